/**
 * A Lambda dies mid-way: the synthesized state machine on the local interpreter, the Lambdas on
 * the worker pool (local/aws/lambda-worker-pool.ts), S3 on s3rver. The test watches the pool's
 * worker threads and kills one at a chosen request: the mapper of range 1 when its source read
 * arrives, the reducer at its first write into its own run folder (before the commit), and the
 * reducer at its first published copy (after the commit). Each run's retry must end with a clean
 * run's tables (bytes and DuckDB's reading), the output prefix must hold exactly the current and
 * the replaced run's files, and a reader following `_SUCCESS` must get one whole run throughout.
 * Runs follow one another on one source, each replacing the one before.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { s3ObjectStore } from "../../functions/adapters/s3-object-store";
import type { CommitRecord, Manifest } from "../../functions/contracts";
import { startLambdaWorkerPool } from "../../local/aws/lambda-worker-pool";
import { type LocalS3, startLocalS3 } from "../../local/aws/local-s3";
import type { LambdaInvoker } from "../../local/aws/local-step-functions";
import { cachedSynthesizedPipeline, type SynthesizedPipeline } from "../../local/aws/synthesized-pipeline";
import { expectSameParquet, openDuck } from "../helpers/duckdb";
import { generatedDay } from "../helpers/generated-day";
import {
  type RequestHookProxy,
  type SeenRequest,
  startRequestHookProxy,
} from "../helpers/request-hook-proxy";
import { executeOnSource } from "../helpers/source-execution";

/** The handler call each of the pool's worker threads is running, and every call made. */
const watched = vi.hoisted(() => ({
  running: new Map<object, { index?: number; runId?: string; planKey?: string }>(),
  calls: [] as { runId?: string; index?: number; planKey?: string }[],
}));

vi.mock("node:worker_threads", async (importOriginal) => {
  const actual = await importOriginal<typeof import("node:worker_threads")>();
  class WatchedWorker extends actual.Worker {
    constructor(...args: ConstructorParameters<typeof actual.Worker>) {
      super(...args);
      this.on("message", () => watched.running.delete(this));
    }
    override postMessage(message: {
      name?: string;
      payload?: { index?: number; runId?: string; planKey?: string };
    }): void {
      if (message.name === "handler") {
        watched.running.set(this, message.payload ?? {});
        watched.calls.push(message.payload ?? {});
      }
      super.postMessage(message);
    }
  }
  return { ...actual, Worker: WatchedWorker, default: { ...actual, Worker: WatchedWorker } };
});

const RANGE_BYTES = 65_536;
const TARGET_RANGE = 1;
const TABLES = ["server_errors", "errors_by_hour", "ip_counts", "top_ips"] as const;
const CRASH_MODULE = new URL("../helpers/worker-crash.mjs", import.meta.url).href;
/** A run that has not ended this long after the crash is hung: the pool lost the call. */
const HUNG_AFTER_MS = 60_000;

type Kill = (worker: import("node:worker_threads").Worker) => void;

/** Has the worker's thread throw outside any handler call: an uncaught exception in the runtime. */
const crashThread: Kill = (worker) =>
  worker.postMessage({ id: -1, module: CRASH_MODULE, name: "crashThread", payload: "killed by the test" });

/** How a Lambda container dies. */
const DEATHS = {
  // An uncaught exception in the runtime: the thread ends with an 'error' event.
  uncaughtException: {
    name: "an uncaught exception",
    poolSize: 2,
    kill: crashThread,
  },
  // The same in a pool of one: the retry needs the worker that takes the dead one's place.
  uncaughtExceptionInTheOnlyWorker: {
    name: "an uncaught exception in the only worker",
    poolSize: 1,
    kill: crashThread,
  },
  // The container ended from outside (out of memory, a sandbox reset): the thread just exits.
  terminated: { name: "the worker terminated", poolSize: 2, kill: (worker) => void worker.terminate() },
} satisfies Record<string, { name: string; poolSize: number; kill: Kill }>;

interface RunContext {
  readonly runId: string;
  readonly key: string;
  readonly partition: string;
  readonly dataStart: number;
  readonly buckets: SynthesizedPipeline["buckets"];
}

type Task = { runId?: string; index?: number; planKey?: string };

/** Where the Lambda is killed: which call, at which request, and which run a reader sees then. */
interface KillPoint {
  readonly name: string;
  readonly runs: (task: Task, run: RunContext) => boolean;
  readonly at: (request: SeenRequest, run: RunContext) => boolean;
  readonly readerSees: "the replaced run" | "this run";
}

const isMapOfRange1 = (task: Task, run: RunContext) =>
  task.runId === run.runId && task.index === TARGET_RANGE;
const isReduce = (task: Task, run: RunContext) =>
  task.index === undefined && task.planKey === `runs/${run.runId}/plan.json`;
const runFolder = (run: RunContext, runId = run.runId) => `_runs/source=${run.partition}/run=${runId}/`;

const KILL_POINTS: readonly KillPoint[] = [
  {
    name: "the mapper of range 1, reading its range",
    runs: isMapOfRange1,
    at: (r, run) =>
      r.method === "GET" &&
      r.path === `/${run.buckets.input}/${run.key}` &&
      r.rangeStart === run.dataStart + TARGET_RANGE * RANGE_BYTES - 1,
    readerSees: "the replaced run",
  },
  {
    name: "the reducer, writing its run folder before the commit",
    runs: isReduce,
    at: (r, run) => r.method === "PUT" && r.path.startsWith(`/${run.buckets.output}/${runFolder(run)}`),
    readerSees: "the replaced run",
  },
  {
    name: "the reducer, publishing copies after the commit",
    runs: isReduce,
    at: (r, run) =>
      r.method === "PUT" &&
      r.path.startsWith(`/${run.buckets.output}/`) &&
      !r.path.includes("/run=") &&
      !r.path.endsWith("/_SUCCESS"),
    readerSees: "this run",
  },
];

// Every kill point with an uncaught exception; the other deaths at the mapper (npm run
// test:chaos-sized combinations are not needed: the pool handles every death the same way).
const CASES = [
  ...KILL_POINTS.map((point) => ({ point, death: DEATHS.uncaughtException })),
  { point: KILL_POINTS[0]!, death: DEATHS.uncaughtExceptionInTheOnlyWorker },
  { point: KILL_POINTS[0]!, death: DEATHS.terminated },
];

describe("a Lambda killed mid-way", () => {
  let pipeline: SynthesizedPipeline;
  let s3: LocalS3;
  let proxy: RequestHookProxy;
  let dir: string;
  const key = "incoming/crash/day.csv";
  const partition = "crash%2Fday";
  let dataStart: number;
  let cleanTables: Buffer[];
  /** The run now committed: each case's run replaces it. */
  let previous: string;

  const out = () => s3ObjectStore(s3.client, pipeline.buckets.output);
  const read = async (k: string) => Buffer.from(await out().get(k));
  /** The four tables a reader gets by following `_SUCCESS` to its manifest. */
  const committedTables = async () => {
    const success = JSON.parse((await read(`_runs/source=${partition}/_SUCCESS`)).toString()) as CommitRecord;
    const manifest = JSON.parse((await read(success.manifestKey)).toString()) as Manifest;
    return {
      runId: success.runId,
      tables: await Promise.all(TABLES.map((t) => read(manifest.tables[t]!.key))),
    };
  };
  const lambdasOf = (poolSize: number) =>
    startLambdaWorkerPool(
      pipeline,
      { ...s3.env, AWS_ENDPOINT_URL_S3: proxy.endpoint, POWERTOOLS_LOG_LEVEL: "SILENT" },
      poolSize,
    );
  const execute = (runId: string, invoke: LambdaInvoker) =>
    executeOnSource(pipeline, { name: runId, key, invoke, s3: s3.client });

  beforeAll(async () => {
    pipeline = cachedSynthesizedPipeline({ rangeBytes: String(RANGE_BYTES) });
    s3 = await startLocalS3([pipeline.buckets.input, pipeline.buckets.work, pipeline.buckets.output]);
    proxy = await startRequestHookProxy(s3.endpoint);
    dir = await mkdtemp(join(tmpdir(), "edgar-etl-killed-"));
    // A clean run of the source: the reference, and the output a reader has before the first kill.
    const csv = generatedDay(200_000, 21);
    dataStart = csv.indexOf(10) + 1;
    await s3.client.send(new PutObjectCommand({ Bucket: pipeline.buckets.input, Key: key, Body: csv }));
    const lambdas = lambdasOf(2);
    try {
      const clean = await execute("clean", lambdas.invoke);
      expect(clean, JSON.stringify(clean).slice(0, 600)).toMatchObject({ status: "SUCCEEDED" });
    } finally {
      await lambdas.close();
    }
    cleanTables = await Promise.all(TABLES.map((t) => read(`${t}/source=${partition}/part-00000.parquet`)));
    previous = "clean";
  });
  afterAll(async () => {
    await proxy?.stop();
    await s3?.stop();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it.each(CASES)(
    "$death.name in $point.name: the retry ends as a clean run, a reader gets one whole run",
    async ({ point, death }) => {
      // Prepare
      const runId = `killed-${KILL_POINTS.indexOf(point)}-${death.name.replace(/[^a-z]+/g, "-")}`;
      const run: RunContext = { runId, key, partition, dataStart, buckets: pipeline.buckets };
      const keysBefore = await out().list("");
      const lambdas = lambdasOf(death.poolSize);
      try {
        // Act: kill the worker running the chosen call when its chosen request arrives.
        let killed = 0;
        let duringCrash: Awaited<ReturnType<typeof committedTables>> | undefined;
        proxy.setHook(async (request) => {
          if (killed > 0 || !point.at(request, run)) return;
          const worker = [...watched.running].find(([, task]) => point.runs(task, run))?.[0] as
            | import("node:worker_threads").Worker
            | undefined;
          if (worker === undefined) return;
          killed++;
          death.kill(worker);
          duringCrash = await committedTables();
        });
        const callsBefore = watched.calls.length;
        const clock = performance.now();
        const deadline = new Promise<"hung">((resolve) =>
          setTimeout(() => resolve("hung"), HUNG_AFTER_MS).unref(),
        );
        const execution = await Promise.race([execute(runId, lambdas.invoke), deadline]);
        proxy.setHook(undefined);
        console.info(
          `${death.name} in ${point.name}: run ${((performance.now() - clock) / 1000).toFixed(1)} s`,
        );

        // Assess: one kill, the killed call made twice, and the run ended as the clean one did.
        expect(killed).toBe(1);
        expect(execution, `the run did not end within ${HUNG_AFTER_MS / 1000} s of the kill`).not.toBe(
          "hung",
        );
        expect(execution, JSON.stringify(execution).slice(0, 600)).toMatchObject({ status: "SUCCEEDED" });
        expect(watched.calls.slice(callsBefore).filter((t) => point.runs(t, run))).toHaveLength(2);

        // While the worker was dead, a reader following _SUCCESS got one whole run: the clean tables.
        expect(duringCrash?.runId).toBe(point.readerSees === "this run" ? runId : previous);
        for (const [i, t] of duringCrash!.tables.entries())
          expect(t.equals(cleanTables[i]!), TABLES[i]).toBe(true);

        // The published tables: the same bytes, and the same rows as DuckDB reads them.
        const duck = await openDuck();
        try {
          for (const [i, table] of TABLES.entries()) {
            const published = await read(`${table}/source=${partition}/part-00000.parquet`);
            const files = [
              join(dir, `clean-${table}.parquet`),
              join(dir, `${runId}-${table}.parquet`),
            ] as const;
            await writeFile(files[0], cleanTables[i]!);
            await writeFile(files[1], published);
            await expectSameParquet(duck, files, table);
          }
        } finally {
          duck.close();
        }

        // The output prefix: the fixed keys, the replaced run's folder and this run's, which mirrors
        // it; the folder of the run before that is gone; nothing else from the killed attempt.
        const kept = keysBefore.filter((k) => !k.includes("/run=") || k.startsWith(runFolder(run, previous)));
        const expectedKeys = [
          ...kept,
          ...kept
            .filter((k) => k.startsWith(runFolder(run, previous)))
            .map((k) => k.replace(runFolder(run, previous), runFolder(run))),
        ].sort();
        expect((await out().list("")).sort()).toEqual(expectedKeys);
        const success = JSON.parse(
          (await read(`_runs/source=${partition}/_SUCCESS`)).toString(),
        ) as CommitRecord;
        expect(success).toMatchObject({ runId, replaces: previous });
        // The replaced run's own files stay readable until the next commit.
        for (const [i, table] of TABLES.entries()) {
          const replaced = await read(`${runFolder(run, previous)}${table}.parquet`);
          expect(replaced.equals(cleanTables[i]!), table).toBe(true);
        }
        previous = runId;
      } finally {
        proxy.setHook(undefined);
        await lambdas.close();
      }
    },
  );
});
