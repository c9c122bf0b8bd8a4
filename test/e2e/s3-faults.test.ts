/**
 * The synthesized state machine with every S3 call of the Lambdas (and of the Map's item reader)
 * through a fault-injecting proxy: 500s, 503 SlowDown, connections reset mid-body, bodies cut
 * short with a matching Content-Length, delays. Each run must end with the same tables as a run
 * without faults, or fail loudly; a run that succeeds with other tables is a silent difference.
 * `npm test` runs a few seeds; `npm run test:chaos` (EDGAR_CHAOS=1) runs more.
 */
import { PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { s3ObjectStore } from "../../functions/adapters/s3-object-store";
import { inProcessLambdas } from "../../local/aws/in-process-lambdas";
import { type LocalS3, localS3Client, startLocalS3 } from "../../local/aws/local-s3";
import { type LambdaInvoker, runLocalExecution } from "../../local/aws/local-step-functions";
import { cachedSynthesizedPipeline, type SynthesizedPipeline } from "../../local/aws/synthesized-pipeline";
import { FAULT_KINDS, type FaultProxy, type FaultStats, startFaultProxy } from "../helpers/fault-proxy";
import { generatedDay } from "../helpers/generated-day";
import { realCsv } from "../helpers/real-fixtures";

const CHAOS = process.env.EDGAR_CHAOS === "1";
const SEEDS = CHAOS ? 10 : 1;
const RATE = 0.15;
const TABLES = ["server_errors", "errors_by_hour", "ip_counts", "top_ips"] as const;

const inputs: { name: string; body: () => Buffer }[] = [
  { name: "generated", body: () => generatedDay(CHAOS ? 1_000_000 : 200_000, 11) },
  ...(CHAOS ? ["log20170630-head25k", "dirty-log20050101-all-quoted"] : ["dirty-log20050101-all-quoted"]).map(
    (stem) => ({ name: stem, body: () => Buffer.from(realCsv(stem)) }),
  ),
];

interface RunRecord {
  input: string;
  seed: number;
  outcome: "equal" | "failed loudly" | "DIFFERENT";
  stats: FaultStats;
  error?: string;
}

describe("runs through S3 faults end with a clean run's tables, or fail loudly", () => {
  let pipeline: SynthesizedPipeline;
  let s3: LocalS3;
  let proxy: FaultProxy;
  let proxied: S3Client;
  let invoke: LambdaInvoker;
  const records: RunRecord[] = [];

  beforeAll(async () => {
    pipeline = cachedSynthesizedPipeline({ rangeBytes: "65536" });
    s3 = await startLocalS3([pipeline.buckets.input, pipeline.buckets.work, pipeline.buckets.output]);
    proxy = await startFaultProxy(s3.endpoint, { seed: 0, rate: 0 });
    proxied = localS3Client(proxy.endpoint, { maxAttempts: 5 });
    invoke = await inProcessLambdas(pipeline, { ...s3.env, AWS_ENDPOINT_URL_S3: proxy.endpoint });
  });
  afterAll(async () => {
    if (records.length > 0) {
      const total = (k: keyof FaultStats) => records.reduce((n, r) => n + (r.stats[k] as number), 0);
      const byKind = Object.fromEntries(
        FAULT_KINDS.map((k) => [k, records.reduce((n, r) => n + r.stats.byKind[k], 0)]),
      );
      const outcomes: Record<string, number> = {};
      for (const r of records) outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + 1;
      console.info(
        `S3 fault runs: ${records.length} ${JSON.stringify(outcomes)}; requests ${total("requests")}, faulted ${total("faulted")} ${JSON.stringify(byKind)}, delayed ${total("delayed")}`,
      );
      for (const r of records.filter((x) => x.outcome !== "equal"))
        console.info(`  ${r.input} seed ${r.seed}: ${r.outcome} ${r.error ?? ""}`);
    }
    proxied?.destroy();
    await proxy?.stop();
    await s3?.stop();
  });

  /** Runs the input under `key` and returns the execution and its four tables' bytes. */
  async function run(key: string, body: Buffer, name: string) {
    await s3.client.send(new PutObjectCommand({ Bucket: pipeline.buckets.input, Key: key, Body: body }));
    const execution = await runLocalExecution({
      definition: pipeline.definition,
      stateMachineArn: pipeline.stateMachineArn,
      name,
      input: { bucket: pipeline.buckets.input, key },
      invoke,
      s3: proxied,
    });
    proxy.configure({ seed: 0, rate: 0 });
    const out = s3ObjectStore(s3.client, pipeline.buckets.output);
    const partition = key
      .split("/")
      .slice(1)
      .join("%2F")
      .replace(/\.csv$/, "");
    const tables = await Promise.all(
      TABLES.map((t) =>
        out.get(`${t}/source=${partition}/part-00000.parquet`).then(
          (b) => Buffer.from(b).toString("base64"),
          () => null,
        ),
      ),
    );
    return { execution, tables };
  }

  // A timed-out test would leave its runs going into the next test's: allow every seed its time.
  it.each(inputs)(
    "$name: clean run, then faulted runs",
    { timeout: SEEDS * 180_000 },
    async ({ name, body }) => {
      // Prepare: the clean run is the reference.
      const csv = body();
      const clean = await run(`incoming/clean/${name}.csv`, csv, `clean-${name}`);
      expect(["SUCCEEDED", "FAILED"], JSON.stringify(clean.execution).slice(0, 600)).toContain(
        clean.execution.status,
      );
      if (clean.execution.status === "FAILED")
        expect(clean.execution).toMatchObject({ error: "DataChecksFailed" });
      expect(clean.tables.every((t) => t !== null)).toBe(true);

      for (let seed = 1; seed <= SEEDS; seed++) {
        // Act
        proxy.configure({ seed, rate: RATE });
        const key = `incoming/faulted-${seed}/${name}.csv`;
        await s3.client.send(new PutObjectCommand({ Bucket: pipeline.buckets.input, Key: key, Body: csv }));
        proxy.configure({ seed, rate: RATE });
        const execution = await runLocalExecution({
          definition: pipeline.definition,
          stateMachineArn: pipeline.stateMachineArn,
          name: `faulted-${seed}-${name}`,
          input: { bucket: pipeline.buckets.input, key },
          invoke,
          s3: proxied,
        });
        const stats = proxy.stats();
        proxy.configure({ seed: 0, rate: 0 });
        const out = s3ObjectStore(s3.client, pipeline.buckets.output);
        const tables = await Promise.all(
          TABLES.map((t) =>
            out.get(`${t}/source=faulted-${seed}%2F${name}/part-00000.parquet`).then(
              (b) => Buffer.from(b).toString("base64"),
              () => null,
            ),
          ),
        );

        // Assess: the same end as the clean run (DataChecksFailed included), or a loud failure.
        const sameEnd =
          execution.status === clean.execution.status &&
          (execution.status === "SUCCEEDED" ||
            (execution as { error?: string }).error === "DataChecksFailed");
        const record: RunRecord = { input: name, seed, stats, outcome: "equal" };
        if (sameEnd) {
          record.outcome = tables.every((t, i) => t === clean.tables[i]) ? "equal" : "DIFFERENT";
        } else {
          record.outcome = "failed loudly";
          const failed = execution as { error?: string; cause?: string };
          record.error = `${failed.error}: ${String(failed.cause).slice(0, 1500)}`;
          expect(failed.error, record.error).toBeTruthy();
          expect(failed.cause, record.error).toBeTruthy();
        }
        records.push(record);
        expect(record.outcome, `${name} seed ${seed}`).not.toBe("DIFFERENT");
      }
    },
  );

  it("faulted at least 10% of the faulted runs' requests", () => {
    const requests = records.reduce((n, r) => n + r.stats.requests, 0);
    const faulted = records.reduce((n, r) => n + r.stats.faulted, 0);
    expect(records).toHaveLength(inputs.length * SEEDS);
    expect(faulted / requests).toBeGreaterThanOrEqual(0.1);
  });
});
