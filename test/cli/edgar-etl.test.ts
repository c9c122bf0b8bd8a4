/**
 * The `edgar-etl` command as a person runs it: through the bin script, in a child process,
 * judged by exit code, stdout, stderr and the files it leaves.
 */
import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";

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
        ...validation
      } = JSON.parse(readFileSync(join(out, "_runs", "source=day", "validation.json"), "utf8"));
      validations.push(validation);
    }
    expect(validations[0]).toEqual(validations[1]);
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

  it("rejects bad usage with exit code 2 and the usage text", async () => {
    const result = await cli("run");
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/usage:/);
    const badMode = await cli("run", "x.csv", "--out", "o", "--mode", "lenient");
    expect(badMode.code).toBe(1);
    expect(badMode.stderr).toMatch(/mode must be one of permissive, dropmalformed, failfast, got "lenient"/);
  });
});
