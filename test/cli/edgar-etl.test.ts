/**
 * The `edgar-etl` command as a person runs it: through the bin script, in a child process,
 * judged by exit code, stdout, stderr and the files it leaves.
 */
import { execFile } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { main } from "../../local/cli";

const run = promisify(execFile);
const BIN = join(import.meta.dirname, "../../local/bin/edgar-etl.mjs");
const HEADER = "ip,date,time,zone,cik,accession,extention,code,size,idx,norefer,noagent,find,crawler,browser";

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], {
      env: { ...process.env, NO_COLOR: "1" },
    });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

/** The same command line in this process: for the usage checks, which start nothing. */
async function cliInProcess(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, "log").mockImplementation((line: string) => void out.push(line));
  const error = vi.spyOn(console, "error").mockImplementation((line: string) => void err.push(line));
  try {
    const code = await main(args);
    return { code, stdout: out.join("\n"), stderr: err.join("\n") };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

describe("edgar-etl CLI", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "edgar-etl-cli-"));
  });

  it("generates a day and runs it on both engines, writing the documented layout with equal results", async () => {
    // Prepare
    const csv = join(dir, "day.csv");
    const gen = await cli("generate", "--bytes", "2e6", "--seed", "3", "--out", csv);
    expect(gen.code).toBe(0);
    expect(gen.stdout).toMatch(/^wrote .*day\.csv: 2,0\d\d,\d\d\d bytes, [\d,]+ rows/);

    const validations = [];
    for (const engine of ["local-aws", "in-process"]) {
      // Act
      const out = join(dir, `out-${engine}`);
      const result = await cli("run", csv, "--out", out, "--range-bytes", "100000", "--engine", engine);

      // Assess
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/run [\w-]+: PASS/);
      expect(result.stdout).toMatch(/rows +read ([\d,]+) = ok \1 \+ corrupt 0 \+ sampled out 0/);
      for (const table of ["server_errors", "errors_by_hour", "ip_counts", "top_ips"]) {
        expect(existsSync(join(out, table, "source=day", "part-00000.parquet"))).toBe(true);
      }
      for (const file of ["validation.json", "report.html", "_manifest.json", "_SUCCESS"]) {
        expect(existsSync(join(out, "_runs", "source=day", file))).toBe(true);
      }
      const success = JSON.parse(readFileSync(join(out, "_runs", "source=day", "_SUCCESS"), "utf8"));
      const manifest = JSON.parse(readFileSync(join(out, "_runs", "source=day", "_manifest.json"), "utf8"));
      expect(success.runId).toBe(manifest.runId);
      expect(manifest.rangeCount).toBe(20);
      const {
        runId: _,
        source: __,
        run: ___,
        ...validation
      } = JSON.parse(readFileSync(join(out, "_runs", "source=day", "validation.json"), "utf8"));
      validations.push(validation);
    }
    expect(validations[0]).toEqual(validations[1]);
  });

  it("cuts a run that names no range size for its workers on both engines: two rounds each", {
    timeout: 60_000,
  }, async () => {
    // Prepare: a day over twice the 64 MiB floor, so one worker's two rounds are larger ranges
    // than the default's (3 ranges of 64 MiB)
    const csv = join(dir, "big.csv");
    expect((await cli("generate", "--bytes", "1.4e8", "--seed", "5", "--out", csv)).code).toBe(0);
    const size = statSync(csv).size;

    for (const engine of ["local-aws", "in-process"]) {
      // Act
      const out = join(dir, `big-${engine}`);
      const result = await cli("run", csv, "--out", out, "--engine", engine, "--concurrency", "1");

      // Assess
      expect(result.code, result.stderr).toBe(0);
      const { run, coverage } = JSON.parse(
        readFileSync(join(out, "_runs", "source=big", "validation.json"), "utf8"),
      ) as { run: { rangeBytes: number }; coverage: { ranges: number } };
      expect({ engine, rangeBytes: run.rangeBytes, ranges: coverage.ranges }).toEqual({
        engine,
        rangeBytes: Math.ceil(size / 2),
        ranges: 2,
      });
    }
  });

  it("fails a wrong header with one line naming the columns, and no stack trace", async () => {
    const csv = join(dir, "renamed.csv");
    await writeFile(csv, `${HEADER.replace("extention", "extension")}\n`);
    const result = await cli("run", csv, "--out", join(dir, "o2"));
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).toMatch(/InputRejectedError: .*missing extention; unexpected "extension"/);
  });

  it("stops at the first corrupt record in failfast mode, naming byte offset, line and reason", async () => {
    const csv = join(dir, "corrupt.csv");
    const good = "1.2.3.abc,2017-06-30,00:00:01,0.0,1.0,a,.txt,200.0,1.0,0.0,0.0,0.0,0.0,0.0,";
    await writeFile(csv, `${HEADER}\n${good}\n${good}\n1.2.3.abc,2017-06-31,00:00:01\n`);
    const result = await cli("run", csv, "--out", join(dir, "o3"), "--mode", "failfast");
    expect(result.code).toBe(1);
    const offset = HEADER.length + 1 + 2 * (good.length + 1);
    expect(result.stderr).toContain(`corrupt record at byte ${offset}, line 4: column_count`);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
  });

  it("exits 3 when outputs are written but a data check fails", async () => {
    const csv = join(dir, "mostly-bad.csv");
    await writeFile(csv, `${HEADER}\nnot,a,record\n`);
    const result = await cli("run", csv, "--out", join(dir, "o4"));
    expect(result.code).toBe(3);
    expect(result.stdout).toMatch(/FAIL/);
    expect(result.stdout).toMatch(/maxCorruptShare fail/);
  });

  it("rejects bad usage with exit code 2, the usage line, and the flag named as typed", async () => {
    const result = await cli("run");
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/usage: edgar-etl run/);
    const csv = join(dir, "usage.csv");
    await writeFile(csv, `${HEADER}\n`);
    for (const [args, message] of [
      [
        ["--mode", "lenient"],
        'edgar-etl run: --mode must be one of permissive, dropmalformed, failfast, got "lenient"',
      ],
      [["--range-bytes", "0"], 'edgar-etl run: --range-bytes must be a whole number >= 1, got "0"'],
      [["--concurrency", "abc"], 'edgar-etl run: --concurrency must be a whole number >= 1, got "abc"'],
      [["--top", "1.5"], 'edgar-etl run: --top must be a whole number >= 1, got "1.5"'],
      [["--sample", "2"], 'edgar-etl run: --sample must be a number in (0, 1], got "2"'],
      [["--sample", "0.5", "--seed", "x"], 'edgar-etl run: --seed must be an integer, got "x"'],
      [["--engine", "spark"], 'edgar-etl run: --engine must be local-aws or in-process, got "spark"'],
      [
        ["--expect-rows", "lots"],
        'edgar-etl run: --expect-rows must be MIN..MAX (either may be empty), got "lots"',
      ],
      [["--expect-rows", "9..1"], "edgar-etl run: --expect-rows must be a range with min <= max"],
      [["--max-missing", "browser=2"], 'edgar-etl run: --max-missing must be a share from 0 to 1, got "2"'],
      [
        ["--max-corrupt-share", "x"],
        'edgar-etl run: --max-corrupt-share must be a share from 0 to 1, got "x"',
      ],
      [["--checks", "{bad"], "edgar-etl run: --checks must be JSON"],
      [["--bogus"], "edgar-etl run: Unknown option '--bogus'"],
    ] as const) {
      const bad = await cliInProcess("run", csv, "--out", join(dir, "o-usage"), ...args);
      expect(bad.code, args.join(" ")).toBe(2);
      expect(bad.stderr.split("\n")[0], args.join(" ")).toContain(message);
      expect(bad.stderr).toContain("edgar-etl run --help");
    }
    // Nothing started: no output directory.
    expect(existsSync(join(dir, "o-usage"))).toBe(false);
  });

  it("names a missing input plainly, without errno noise", async () => {
    const missing = join(dir, "no-such-day.csv");
    const result = await cliInProcess("run", missing, "--out", join(dir, "o5"));
    expect(result.code).toBe(2);
    expect(result.stderr.split("\n")[0]).toBe(`edgar-etl run: no such file: ${missing}`);
    expect(result.stderr).not.toMatch(/ENOENT|errno|at .*\.ts/);
  });

  it("answers --help on every command with its usage, exit 0", async () => {
    for (const command of ["run", "generate", "demo", "bench", "report", "backfill", "status"]) {
      const result = await cliInProcess(command, "--help");
      expect(result.code, command).toBe(0);
      expect(result.stdout, command).toMatch(new RegExp(`^usage: edgar-etl ${command}`));
    }
    expect((await cliInProcess("run", "--help")).stdout).toMatch(
      /--range-bytes N[\s\S]*--expect-rows MIN\.\.MAX/,
    );
    const top = await cliInProcess("--help");
    expect(top.code).toBe(0);
    expect(top.stdout).toMatch(/report <out-dir>/);
  });

  it("fails the checks of a header-only file (exit 3) and still writes its outputs", async () => {
    const csv = join(dir, "header-only.csv");
    await writeFile(csv, `${HEADER}\n`);
    const out = join(dir, "o6");
    const result = await cli("run", csv, "--out", out, "--engine", "in-process");
    expect(result.code).toBe(3);
    expect(result.stdout).toMatch(/requireRows fail \(0 > 0\)/);
    for (const file of ["validation.json", "report.html", "_SUCCESS"]) {
      expect(existsSync(join(out, "_runs", "source=header-only", file)), file).toBe(true);
    }
    const allowed = await cli(
      "run",
      csv,
      "--out",
      join(dir, "o6b"),
      "--engine",
      "in-process",
      "--allow-empty",
    );
    expect(allowed.code).toBe(0);
  });

  it("applies data-check flags over the defaults: an expected row count and a per-column missing share", async () => {
    const csv = join(dir, "three.csv");
    const row = (browser: string) =>
      `1.2.3.abc,2017-06-30,00:00:01,0.0,1.0,a,.txt,200.0,1.0,0.0,0.0,0.0,0.0,0.0,${browser}`;
    await writeFile(csv, `${HEADER}\n${row("mie")}\n${row("")}\n${row("")}\n`);
    const run = (...flags: string[]) =>
      cli("run", csv, "--out", join(dir, "o7"), "--engine", "in-process", ...flags);
    const within = await run("--expect-rows", "3..3", "--max-missing", "browser=0.7");
    expect(within.code).toBe(0);
    expect(within.stdout).toMatch(/rowCount pass \(3 3\.\.3\), maxRequiredMissingShare pass/);
    const outside = await run("--expect-rows", "4..", "--max-missing", "browser=0.5");
    expect(outside.code).toBe(3);
    expect(outside.stdout).toMatch(/rowCount fail \(3 4\.\.∞\)/);
    expect(outside.stdout).toMatch(/maxMissingShare\.browser fail \(0\.667 <= 0\.5\)/);
  });

  it("shows progress on stderr: a final plain line off a terminal, a live bar on one", async () => {
    const csv = join(dir, "progress.csv");
    expect((await cli("generate", "--bytes", "1e6", "--seed", "5", "--out", csv)).stderr).toMatch(
      /^generate: 1\.0\/1\.0 MB \(100 %\), ([\d.]+|-) MB\/s, ETA 0 s$/m,
    );
    const plain = await cli(
      "run",
      csv,
      "--out",
      join(dir, "o8"),
      "--range-bytes",
      "100000",
      "--engine",
      "local-aws",
    );
    expect(plain.code).toBe(0);
    // MB/s once a second has passed ("-" before: a pace would be noise).
    expect(plain.stderr).toMatch(/^run: 10\/10 ranges, 1\.0\/1\.0 MB \(100 %\), ([\d.]+|-) MB\/s, ETA 0 s$/m);
    expect(plain.stderr).not.toContain("\r");

    // A pseudo-terminal (util-linux script) makes stderr a TTY, as in a person's shell.
    const command = [
      process.execPath,
      BIN,
      "run",
      csv,
      "--out",
      join(dir, "o9"),
      "--range-bytes",
      "100000",
      "--engine",
      "in-process",
    ]
      .map((a) => `'${a}'`)
      .join(" ");
    const { stdout: screen } = await run("script", ["-qec", command, "/dev/null"], {
      env: { ...process.env, NO_COLOR: "1" },
    });
    expect(screen).toMatch(/run \S+ 100% \| 10\/10 ranges \| 1\/1 MB \| ([\d.]+|-) MB\/s \| ETA 0s/);
    // The bar is drawn as soon as the first range is done, before the last.
    expect(screen).toMatch(/\| [1-9]\/10 ranges \|/);
    expect(screen).toMatch(/run [\w-]+: PASS/);
  });

  it("renders a run's report.html again from its outputs (edgar-etl report)", async () => {
    const csv = join(dir, "again.csv");
    await writeFile(
      csv,
      `${HEADER}\n1.2.3.abc,2017-06-30,03:00:01,0.0,1.0,a,.txt,503.0,1.0,0.0,0.0,0.0,0.0,0.0,\nnot,a,record\n${"1.2.3.abd,2017-06-30,04:00:00,0.0,1.0,a,.txt,200.0,1.0,0.0,0.0,0.0,0.0,0.0,\n".repeat(200)}`,
    );
    const out = join(dir, "o10");
    expect((await cli("run", csv, "--out", out, "--engine", "in-process")).code).toBe(0);
    const page = join(out, "_runs", "source=again", "report.html");
    const committed = readFileSync(page, "utf8");
    await rm(page);

    const result = await cli("report", out);

    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^wrote .*report\.html \(PASS, rendered in \d+ ms\)$/m);
    expect(readFileSync(page, "utf8")).toBe(committed);
    expect(committed).toContain("column_count");
    const none = await cliInProcess("report", join(dir, "o-usage-none"));
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/^edgar-etl report: no such directory: /);
  });
});
