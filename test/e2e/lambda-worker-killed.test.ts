/**
 * A map Lambda dies while it parses its range: the synthesized state machine on the local
 * interpreter, the Lambdas on the worker pool (local/aws/lambda-worker-pool.ts), S3 on s3rver.
 * The test watches the pool's worker threads and, when the worker mapping range 1 has asked S3
 * for that range's first bytes, kills it there. The Map's retry must then end with tables equal
 * to a clean run's (bytes and DuckDB's reading), the output prefix must hold exactly the two
 * runs' files, and the previous run's outputs must stay readable through the crash.
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
import { runLocalExecution } from "../../local/aws/local-step-functions";
import { cachedSynthesizedPipeline, type SynthesizedPipeline } from "../../local/aws/synthesized-pipeline";
import { generateEdgarDay } from "../../local/generate";
import { openDuck, sqlText } from "../helpers/duckdb";
import { type RequestHookProxy, startRequestHookProxy } from "../helpers/request-hook-proxy";

/** The pool's worker threads as the pool made them, and the handler call each is running. */
const watched = vi.hoisted(() => ({
  workers: [] as import("node:worker_threads").Worker[],
  running: new Map<object, { index?: number; runId?: string }>(),
  mapCalls: [] as { runId?: string; index?: number }[],
}));

vi.mock("node:worker_threads", async (importOriginal) => {
  const actual = await importOriginal<typeof import("node:worker_threads")>();
  class WatchedWorker extends actual.Worker {
    constructor(...args: ConstructorParameters<typeof actual.Worker>) {
      super(...args);
      watched.workers.push(this);
      this.on("message", () => watched.running.delete(this));
    }
    override postMessage(message: { name?: string; payload?: { index?: number; runId?: string } }): void {
      if (message.name === "handler") {
        watched.running.set(this, message.payload ?? {});
        if (message.payload?.index !== undefined) watched.mapCalls.push(message.payload);
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

function generated(bytes: number, seed: number): Buffer {
  const parts: Buffer[] = [];
  const day = generateEdgarDay({ bytes, seed });
  for (let next = day.next(); next.done !== true; next = day.next()) parts.push(next.value);
  return Buffer.concat(parts);
}

type Kill = (worker: import("node:worker_threads").Worker) => void;

/** How a Lambda container dies. */
const DEATHS: { name: string; poolSize: number; kill: Kill }[] = [
  {
    // An uncaught exception in the runtime: the thread ends with an 'error' event.
    name: "an uncaught exception inside the worker",
    poolSize: 2,
    kill: (worker) =>
      worker.postMessage({ id: -1, module: CRASH_MODULE, name: "crashThread", payload: "killed mid-range" }),
  },
];

describe("a map Lambda killed mid-range", () => {
  let pipeline: SynthesizedPipeline;
  let s3: LocalS3;
  let proxy: RequestHookProxy;
  let dir: string;

  beforeAll(async () => {
    pipeline = cachedSynthesizedPipeline({ rangeBytes: String(RANGE_BYTES) });
    s3 = await startLocalS3([pipeline.buckets.input, pipeline.buckets.work, pipeline.buckets.output]);
    proxy = await startRequestHookProxy(s3.endpoint);
    dir = await mkdtemp(join(tmpdir(), "edgar-etl-killed-"));
  });
  afterAll(async () => {
    await proxy?.stop();
    await s3?.stop();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it.each(DEATHS)(
    "$name: the retry ends as a clean run, the previous output stays readable",
    async ({ name, poolSize, kill }) => {
      // Prepare: a clean run of the source is the reference and the output a reader has.
      const slug = name.replace(/[^a-z]+/g, "-");
      const key = `incoming/${slug}/day.csv`;
      const partition = `${slug}%2Fday`;
      const csv = generated(200_000, 21);
      const dataStart = csv.indexOf(10) + 1;
      await s3.client.send(new PutObjectCommand({ Bucket: pipeline.buckets.input, Key: key, Body: csv }));
      const lambdas = startLambdaWorkerPool(
        pipeline,
        { ...s3.env, AWS_ENDPOINT_URL_S3: proxy.endpoint, POWERTOOLS_LOG_LEVEL: "SILENT" },
        poolSize,
      );
      const out = s3ObjectStore(s3.client, pipeline.buckets.output);
      const read = async (k: string) => Buffer.from(await out.get(k));
      const execute = (runName: string) =>
        runLocalExecution({
          definition: pipeline.definition,
          stateMachineArn: pipeline.stateMachineArn,
          name: runName,
          input: { bucket: pipeline.buckets.input, key },
          invoke: lambdas.invoke,
          s3: s3.client,
        });
      /** The four tables a reader gets by following `_SUCCESS` to its manifest. */
      const committedTables = async () => {
        const success = JSON.parse(
          (await read(`_runs/source=${partition}/_SUCCESS`)).toString(),
        ) as CommitRecord;
        const manifest = JSON.parse((await read(success.manifestKey)).toString()) as Manifest;
        return {
          runId: success.runId,
          tables: await Promise.all(TABLES.map((t) => read(manifest.tables[t]!.key))),
        };
      };
      const cleanName = `clean-${slug}`;
      const killedName = `killed-${slug}`;
      try {
        let clock = performance.now();
        const clean = await execute(cleanName);
        const cleanSeconds = (performance.now() - clock) / 1000;
        expect(clean, JSON.stringify(clean).slice(0, 600)).toMatchObject({ status: "SUCCEEDED" });
        const cleanTables = await Promise.all(
          TABLES.map((t) => read(`${t}/source=${partition}/part-00000.parquet`)),
        );
        const keysAfterClean = await out.list("");

        // Act: kill the worker mapping range 1 of the second run when its source read arrives.
        let killed = 0;
        let duringCrash: Awaited<ReturnType<typeof committedTables>> | undefined;
        proxy.setHook(async (request) => {
          const isTargetRead =
            request.method === "GET" &&
            request.path === `/${pipeline.buckets.input}/${key}` &&
            request.rangeStart === dataStart + TARGET_RANGE * RANGE_BYTES - 1;
          if (!isTargetRead || killed > 0) return;
          const worker = [...watched.running].find(
            ([, task]) => task.runId === killedName && task.index === TARGET_RANGE,
          )?.[0] as import("node:worker_threads").Worker | undefined;
          if (worker === undefined) return;
          killed++;
          kill(worker);
          duringCrash = await committedTables();
        });
        const started = watched.mapCalls.length;
        const deadline = new Promise<"hung">((resolve) =>
          setTimeout(() => resolve("hung"), HUNG_AFTER_MS).unref(),
        );
        clock = performance.now();
        const execution = await Promise.race([execute(killedName), deadline]);
        console.info(
          `${name}: clean run ${cleanSeconds.toFixed(1)} s, killed run ${((performance.now() - clock) / 1000).toFixed(1)} s`,
        );
        proxy.setHook(undefined);

        // Assess: one kill, range 1 mapped twice, and the run ended as the clean one did.
        expect(killed).toBe(1);
        expect(execution, `the run did not end within ${HUNG_AFTER_MS / 1000} s of the kill`).not.toBe(
          "hung",
        );
        expect(execution, JSON.stringify(execution).slice(0, 600)).toMatchObject({ status: "SUCCEEDED" });
        const attempts = watched.mapCalls
          .slice(started)
          .filter((t) => t.runId === killedName && t.index === TARGET_RANGE);
        expect(attempts).toHaveLength(2);

        // While the worker was dead, a reader following _SUCCESS got the clean run, whole.
        expect(duringCrash?.runId).toBe(cleanName);
        for (const [i, t] of duringCrash!.tables.entries())
          expect(t.equals(cleanTables[i]!), TABLES[i]).toBe(true);

        // The published tables: the same bytes, and the same rows as DuckDB reads them.
        const duck = await openDuck();
        try {
          for (const [i, table] of TABLES.entries()) {
            const published = await read(`${table}/source=${partition}/part-00000.parquet`);
            expect(published.equals(cleanTables[i]!), table).toBe(true);
            const files = [
              join(dir, `${slug}-clean-${table}.parquet`),
              join(dir, `${slug}-killed-${table}.parquet`),
            ];
            await writeFile(files[0]!, cleanTables[i]!);
            await writeFile(files[1]!, published);
            const [cleanRows, killedRows] = await Promise.all(
              files.map((f) => duck.rows(`select * from read_parquet(${sqlText(f)})`)),
            );
            expect(killedRows, table).toEqual(cleanRows);
            expect(cleanRows!.length, table).toBeGreaterThan(0);
          }
        } finally {
          duck.close();
        }

        // The output prefix: the clean run's keys, and the killed run's own folder mirroring the
        // clean run's; no key from the failed attempt, no stray file.
        const cleanFolder = `_runs/source=${partition}/run=${cleanName}/`;
        const expectedKeys = [
          ...keysAfterClean,
          ...keysAfterClean
            .filter((k) => k.startsWith(cleanFolder))
            .map((k) => k.replace(cleanFolder, `_runs/source=${partition}/run=${killedName}/`)),
        ].sort();
        expect((await out.list("")).sort()).toEqual(expectedKeys);
        const success = JSON.parse(
          (await read(`_runs/source=${partition}/_SUCCESS`)).toString(),
        ) as CommitRecord;
        expect(success).toMatchObject({ runId: killedName, replaces: cleanName });
        // The replaced run's own files stay readable until the next commit.
        for (const [i, table] of TABLES.entries()) {
          expect((await read(`${cleanFolder}${table}.parquet`)).equals(cleanTables[i]!), table).toBe(true);
        }
      } finally {
        proxy.setHook(undefined);
        await lambdas.close();
      }
    },
  );
});
