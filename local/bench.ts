/**
 * `npm run bench`: the whole job, as a user runs it, against DuckDB and Polars on the same file,
 * machine and run. Every contestant is a process of its own (bench/measured.mjs), started in
 * turn, round after round, so drift in the machine hits all alike; medians and peak RSS per
 * contestant, the mapper and reducer alone, the targets with pass/fail, and a check that our
 * tables equal DuckDB's. Timing targets live here, never in tests.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { availableParallelism, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { promisify } from "node:util";
import { DuckDBInstance } from "@duckdb/node-api";
import { DEFAULT_RUN_OPTIONS } from "../functions/contracts";
import { TABLE_NAMES } from "../functions/core/tables";
import { REDUCE_MALLOC_TUNABLES } from "../infra/lambda-environment";
import { sql } from "./bench/jobs";
import { generateEdgarFile } from "./generate";
import { runLocal } from "./run-local";

const run = promisify(execFile);
const MEASURED = new URL("./bench/measured.mjs", import.meta.url).pathname;
const MiB = 1 << 20;

export interface BenchOptions {
  readonly file?: string;
  readonly bytes: number;
  readonly repeats: number;
}

export interface BenchOutcome {
  readonly text: string;
  /** Our tables equal DuckDB's (the targets may still fail: they are reported, not enforced). */
  readonly tablesAgree: boolean;
}

interface Sample {
  readonly seconds: number;
  readonly maxRssKB: number;
  /** CPU time of all the process's threads. */
  readonly cpuSeconds: number;
  readonly detail?: Record<string, number>;
  /** Our runs: the stage seconds the run's validation.json reports. */
  readonly stages?: StageSeconds;
}

/** A run's map stage (planning to the last range's end) and reduce (what is left after it). */
interface StageSeconds {
  readonly map: number;
  readonly reduce: number;
}

/** The stage seconds of the run whose outputs are in outDir (Hive layout). */
async function stagesOf(outDir: string): Promise<StageSeconds | undefined> {
  const runs = join(outDir, "_runs");
  const [source] = await readdir(runs);
  const validation = JSON.parse(await readFile(join(runs, source!, "validation.json"), "utf8")) as {
    run?: { stageSeconds?: { map?: number; reduce?: number } };
  };
  const { map, reduce } = validation.run?.stageSeconds ?? {};
  return map === undefined || reduce === undefined ? undefined : { map, reduce };
}

interface Contestant {
  readonly name: string;
  readonly args: (outDir: string) => string[];
  /** Where its four tables land under outDir: `<table>.parquet` or our Hive layout. */
  readonly layout?: "flat" | "hive";
  readonly samples: Sample[];
}

const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function ensureBenchFile(bytes: number): Promise<string> {
  const path = resolve(".cache", `edgar-bench-${Math.round(bytes / 1e6)}MB-seed7.csv`);
  if (!existsSync(path)) {
    await mkdir(dirname(path), { recursive: true });
    console.error(`generating ${path} (cached for later runs)`);
    await generateEdgarFile(`${path}.partial`, { bytes, seed: 7 });
    await rename(`${path}.partial`, path);
  }
  return path;
}

/**
 * Runs one job in its own process (with `env` over this one's); wall time from spawn to exit,
 * peak RSS and CPU time from the process.
 */
async function measure(args: readonly string[], env: Record<string, string> = {}): Promise<Sample> {
  const started = performance.now();
  const { stdout } = await run(process.execPath, [MEASURED, ...args], {
    maxBuffer: 64 * MiB,
    env: { ...process.env, CI: "true", ...env },
  });
  const seconds = (performance.now() - started) / 1000;
  const last = JSON.parse(stdout.trim().split("\n").at(-1)!) as {
    seconds?: number;
    maxRssKB: number;
    cpuSeconds: number;
    detail?: Record<string, number>;
  };
  return {
    seconds: last.seconds ?? seconds,
    maxRssKB: last.maxRssKB,
    cpuSeconds: last.cpuSeconds,
    detail: last.detail,
  };
}

export async function runBench(options: BenchOptions): Promise<BenchOutcome> {
  const file = options.file ?? (await ensureBenchFile(options.bytes));
  const { size } = await stat(file);
  const mb = size / 1e6;
  const cores = availableParallelism();
  const scratch = await mkdtemp(join(tmpdir(), "edgar-etl-bench-"));
  const ours = (engine: string, workers?: number) => (outDir: string) => [
    "ours",
    file,
    "--out",
    outDir,
    "--engine",
    engine,
    ...(workers === undefined ? [] : ["--concurrency", String(workers)]),
  ];
  const contestants: Contestant[] = [
    {
      name: `ours in-process, ${cores} workers`,
      args: ours("in-process", cores),
      layout: "hive",
      samples: [],
    },
    { name: "ours in-process, 1 worker", args: ours("in-process", 1), layout: "hive", samples: [] },
    { name: "ours local-aws (upload+run+download)", args: ours("local-aws"), layout: "hive", samples: [] },
    {
      name: `DuckDB, ${cores} threads`,
      args: (o) => ["duckdb", file, o, String(cores)],
      layout: "flat",
      samples: [],
    },
    { name: "DuckDB, 1 thread", args: (o) => ["duckdb", file, o, "1"], layout: "flat", samples: [] },
    { name: "Polars", args: (o) => ["polars", file, o], layout: "flat", samples: [] },
  ];
  const outDirOf = (c: Contestant) => join(scratch, c.name.replace(/[^a-z0-9]+/gi, "-"));
  try {
    for (let round = 0; round < options.repeats; round++) {
      for (const c of contestants) {
        const outDir = outDirOf(c);
        await rm(outDir, { recursive: true, force: true });
        await mkdir(outDir, { recursive: true });
        const sample = await measure(c.args(outDir));
        c.samples.push(c.layout === "hive" ? { ...sample, stages: await stagesOf(outDir) } : sample);
        console.error(
          `round ${round + 1}/${options.repeats}: ${c.name} ${c.samples.at(-1)!.seconds.toFixed(2)} s`,
        );
      }
    }
    const mapper = async (rangeBytes: number) => {
      const samples: Sample[] = [];
      for (let i = 0; i < options.repeats; i++)
        samples.push(await measure(["mapper", file, String(rangeBytes)]));
      return samples;
    };
    const mapper64 = await mapper(64 * MiB);
    const mapper512 = await mapper(512 * MiB);
    const workDir = join(scratch, "work");
    const kept = await runLocal({
      file,
      outDir: join(scratch, "reduce-out"),
      options: DEFAULT_RUN_OPTIONS,
      concurrency: cores,
      runId: "bench-reduce",
      workDir,
    });
    // The reducer as the reduce Lambda runs: with its own malloc tunables on this process's.
    const reduceTunables = [process.env.GLIBC_TUNABLES, REDUCE_MALLOC_TUNABLES].filter(Boolean).join(":");
    const reduce: Sample[] = [];
    for (let i = 0; i < options.repeats; i++)
      reduce.push(await measure(["reduce", workDir, kept.plan.planKey], { GLIBC_TUNABLES: reduceTunables }));
    const partialBytes = await partialSizes(join(workDir, "runs", "bench-reduce", "partials"));

    const duck2 = contestants[3]!;
    const checks = await compareTables(
      contestants.filter((c) => c.name.startsWith("ours")).map((c) => [c.name, outDirOf(c)] as const),
      outDirOf(duck2),
    );
    const report = renderReport({
      file,
      mb,
      cores,
      mallocTunables: process.env.GLIBC_TUNABLES ?? "",
      repeats: options.repeats,
      contestants,
      mapper64,
      mapper512,
      reduce,
      reduceTunables,
      partialBytes,
      checks,
    });
    await mkdir("bench", { recursive: true });
    await writeFile(join("bench", "results.json"), `${JSON.stringify(report.json, null, 2)}\n`);
    return { text: report.text, tablesAgree: checks.every((c) => c.differences === 0) };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

async function partialSizes(dir: string): Promise<number[]> {
  const names = (await readdir(dir)).sort();
  return Promise.all(names.map(async (n) => (await stat(join(dir, n))).size));
}

interface TableCheck {
  readonly contestant: string;
  readonly table: string;
  readonly rows: number;
  readonly differences: number;
}

/**
 * Each of our outputs against DuckDB's, row by row in stored order (row number included, so an
 * order difference counts), values compared as text.
 */
async function compareTables(
  ours: readonly (readonly [string, string])[],
  duckOut: string,
): Promise<TableCheck[]> {
  const db = await (await DuckDBInstance.create(":memory:")).connect();
  const numbered = (path: string) =>
    `select row_number() over () as rn, columns(*)::varchar from read_parquet(${sql(path)}, hive_partitioning = false)`;
  const checks: TableCheck[] = [];
  for (const [contestant, dir] of ours) {
    for (const table of TABLE_NAMES) {
      const [partition] = await readdir(join(dir, table));
      const mine = join(dir, table, partition!, "part-00000.parquet");
      const theirs = join(duckOut, `${table}.parquet`);
      const reader = await db.runAndReadAll(
        `select (select count(*) from (${numbered(mine)} except all ${numbered(theirs)}))
              + (select count(*) from (${numbered(theirs)} except all ${numbered(mine)})) as d,
                (select count(*) from read_parquet(${sql(theirs)})) as n`,
      );
      const [d, n] = reader.getRows()[0]!;
      checks.push({ contestant, table, rows: Number(n), differences: Number(d) });
    }
  }
  return checks;
}

function renderReport(r: {
  file: string;
  mb: number;
  cores: number;
  /** GLIBC_TUNABLES, which every contestant's process inherits (edgar-etl sets huge pages). */
  mallocTunables: string;
  repeats: number;
  contestants: Contestant[];
  mapper64: Sample[];
  mapper512: Sample[];
  reduce: Sample[];
  /** GLIBC_TUNABLES of the reducer's process: the reduce Lambda's over every contestant's. */
  reduceTunables: string;
  partialBytes: number[];
  checks: TableCheck[];
}): { text: string; json: unknown } {
  const med = (c: Contestant) => median(c.samples.map((s) => s.seconds));
  /** How many cores a contestant kept busy: CPU time over wall time, the median of its runs. */
  const coresBusy = (c: Contestant) => median(c.samples.map((s) => s.cpuSeconds / s.seconds));
  const rss = (samples: readonly Sample[]) => Math.max(...samples.map((s) => s.maxRssKB)) / 1024;
  const [oursAll, ours1, oursAws, duck2, , polars] = r.contestants as [
    Contestant,
    Contestant,
    Contestant,
    Contestant,
    Contestant,
    Contestant,
  ];
  const fmt = (x: number, d = 2) => x.toFixed(d);
  const rows = r.contestants.map((c) => {
    const m = med(c);
    const range = `${fmt(Math.min(...c.samples.map((s) => s.seconds)))}-${fmt(Math.max(...c.samples.map((s) => s.seconds)))}`;
    return `| ${c.name} | ${fmt(m)} s | ${range} | ${fmt(r.mb / m, 0)} MB/s | ${fmt(coresBusy(c))} | ${fmt(rss(c.samples), 0)} MB | ${fmt(med(duck2) / m)}x | ${fmt(med(polars) / m)}x |`;
  });
  const mapperRate = (samples: Sample[]) =>
    median(samples.map((s) => (s.detail?.bytes ?? 0) / 1e6 / s.seconds));
  const reduceSeconds = median(r.reduce.map((s) => s.seconds));
  const realDay = r.mb > 2000;
  const targets: [string, boolean][] = realDay
    ? [
        [
          `in-process >= 1.5x DuckDB (${r.cores} threads): ${fmt(med(duck2) / med(oursAll))}x`,
          med(duck2) / med(oursAll) >= 1.5,
        ],
        [`in-process peak RSS <= 500 MB: ${fmt(rss(oursAll.samples), 0)} MB`, rss(oursAll.samples) <= 500],
        [`local-aws peak RSS < 2 GB: ${fmt(rss(oursAws.samples), 0)} MB`, rss(oursAws.samples) < 2048],
      ]
    : [
        [
          `in-process >= 1.5x DuckDB (${r.cores} threads): ${fmt(med(duck2) / med(oursAll))}x`,
          med(duck2) / med(oursAll) >= 1.5,
        ],
        [`in-process >= 1.0x Polars: ${fmt(med(polars) / med(oursAll))}x`, med(polars) / med(oursAll) >= 1.0],
        [
          `local-aws >= 1.0x DuckDB (${r.cores} threads): ${fmt(med(duck2) / med(oursAws))}x`,
          med(duck2) / med(oursAws) >= 1.0,
        ],
        [
          `mapper >= 300 MB/s per core: ${fmt(mapperRate(r.mapper64), 0)} MB/s`,
          mapperRate(r.mapper64) >= 300,
        ],
        [
          `mapper RSS flat from 64 to 512 MiB ranges: ${fmt(rss(r.mapper64), 0)} -> ${fmt(rss(r.mapper512), 0)} MB`,
          rss(r.mapper512) <= rss(r.mapper64) * 1.25,
        ],
        [`reducer <= 1 s: ${fmt(reduceSeconds)} s`, reduceSeconds <= 1],
        [
          // The 1-worker run keeps more than one core busy (the main thread folds partials in
          // while the worker maps; the kernel reads; V8 collects on threads of its own): r.cores
          // cores can run its work at most r.cores / coresBusy times as fast.
          `${r.cores} workers >= 1.8x 1 worker: ${fmt(med(ours1) / med(oursAll))}x (the 1-worker run kept ${fmt(coresBusy(ours1))} cores busy: its work on ${r.cores} cores is at most ${fmt(r.cores / coresBusy(ours1))}x as fast)`,
          med(ours1) / med(oursAll) >= 1.8,
        ],
      ];
  const stageMedians = (c: Contestant) => {
    const staged = c.samples.filter((s) => s.stages !== undefined);
    if (staged.length === 0) return undefined;
    const map = median(staged.map((s) => s.stages!.map));
    const reduce = median(staged.map((s) => s.stages!.reduce));
    const rest = median(staged.map((s) => s.seconds - s.stages!.map - s.stages!.reduce));
    return { map, reduce, rest };
  };
  const stageLines = r.contestants.flatMap((c) => {
    const m = stageMedians(c);
    return m === undefined
      ? []
      : [
          `  ${c.name}: map stage ${fmt(m.map)} s, reduce after the last range ${fmt(m.reduce)} s, the rest (start, plan${c === oursAws ? ", upload, download" : ""}, exit) ${fmt(m.rest)} s`,
        ];
  });
  const [stagesAll, stages1] = [stageMedians(oursAll), stageMedians(ours1)];
  if (stagesAll !== undefined && stages1 !== undefined) {
    stageLines.push(
      `  the map stage alone: ${r.cores} workers ${fmt(stages1.map / stagesAll.map)}x 1 worker; outside it, ${fmt(stagesAll.reduce + stagesAll.rest)} s of the ${r.cores}-worker run's ${fmt(med(oursAll))} s run on one core`,
    );
  }
  const differences = r.checks.reduce((sum, c) => sum + c.differences, 0);
  const partialMB = r.partialBytes.reduce((a, b) => a + b, 0) / 1e6;
  const text = [
    `${r.file}: ${fmt(r.mb, 0)} MB; ${r.cores} cores; median of ${r.repeats} runs each, contestants interleaved; every contestant with GLIBC_TUNABLES=${r.mallocTunables || "(unset)"}`,
    "",
    `| what (whole process) | median | range | speed | cores busy | peak RSS | DuckDB ${r.cores}t / this | Polars / this |`,
    "|---|---|---|---|---|---|---|---|",
    ...rows,
    "",
    `mapper core, one range on one thread: 64 MiB ${fmt(mapperRate(r.mapper64), 0)} MB/s, RSS ${fmt(rss(r.mapper64), 0)} MB; 512 MiB ${fmt(mapperRate(r.mapper512), 0)} MB/s, RSS ${fmt(rss(r.mapper512), 0)} MB`,
    `reducer, a fresh process after the Lambda's init (read ${r.partialBytes.length} partials, merge, write every output; GLIBC_TUNABLES=${r.reduceTunables}): ${fmt(reduceSeconds)} s (init ${fmt(median(r.reduce.map((s) => s.detail?.initSeconds ?? 0)))} s), RSS ${fmt(rss(r.reduce), 0)} MB`,
    `partials: ${r.partialBytes.length}, ${fmt(partialMB, 1)} MB in all, ${fmt(partialMB / Math.max(1, r.partialBytes.length), 2)} MB per 64 MiB range`,
    ...(stageLines.length === 0 ? [] : ["where our time goes (medians):", ...stageLines]),
    `tables vs DuckDB: ${r.checks.length} compared, ${differences} differing rows${
      differences === 0
        ? ""
        : ` (${r.checks
            .filter((c) => c.differences > 0)
            .map((c) => `${c.contestant} ${c.table}: ${c.differences}`)
            .join(", ")})`
    }`,
    "",
    "targets:",
    ...targets.map(([what, ok]) => `  ${ok ? "PASS" : "FAIL"}  ${what}`),
  ].join("\n");
  const json = {
    file: r.file,
    bytes: Math.round(r.mb * 1e6),
    cores: r.cores,
    mallocTunables: r.mallocTunables,
    repeats: r.repeats,
    contestants: r.contestants.map((c) => ({
      name: c.name,
      medianSeconds: med(c),
      seconds: c.samples.map((s) => s.seconds),
      peakRssMB: rss(c.samples),
      coresBusy: coresBusy(c),
      ...(stageMedians(c) === undefined ? {} : { medianStageSeconds: stageMedians(c) }),
    })),
    mapper: {
      range64MiB: { mbPerSecond: mapperRate(r.mapper64), peakRssMB: rss(r.mapper64) },
      range512MiB: { mbPerSecond: mapperRate(r.mapper512), peakRssMB: rss(r.mapper512) },
    },
    reducer: { medianSeconds: reduceSeconds, peakRssMB: rss(r.reduce), mallocTunables: r.reduceTunables },
    partialBytes: r.partialBytes,
    tableChecks: r.checks,
    targets: targets.map(([what, ok]) => ({ what, pass: ok })),
  };
  return { text, json };
}
