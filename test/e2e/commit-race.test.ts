/**
 * Conditional writes on the local S3 server, and two runs of one source committing at once over
 * HTTP: exactly one complete set of tables, `_SUCCESS` naming the run planned later.
 */
import { GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { s3ObjectStore } from "../../functions/adapters/s3-object-store";
import type { Plan } from "../../functions/contracts";
import { CommitConflictError, PreconditionFailedError } from "../../functions/core/errors";
import type { ObjectStore } from "../../functions/core/object-store";
import { buildValidation } from "../../functions/core/validation";
import { commitOutputs, type RunOutputs } from "../../functions/stages/commit-outputs";
import { type LocalS3, startLocalS3 } from "../../local/aws/local-s3";
import { csvFile, csvLine, edgarRow } from "../helpers/edgar-csv";
import { runCore } from "../helpers/run-core";

const TABLES = ["server_errors", "errors_by_hour", "ip_counts", "top_ips"] as const;
/** Interleavings tried: a few in `npm test`, more in `npm run test:chaos`. */
const TRIALS = process.env.EDGAR_CHAOS === "1" ? 40 : 4;

async function runOutputs(runId: string, plannedAt: string): Promise<RunOutputs> {
  const core = await runCore({ bytes: csvFile([csvLine(edgarRow())]), name: "log.csv" });
  const plan: Plan = {
    ...core.plan,
    runId,
    plannedAt,
    source: { ...core.plan.source, bucket: "input", key: "incoming/log.csv", stem: "log" },
  };
  const tables = Object.fromEntries(
    TABLES.map((t) => [t, { parquet: new Uint8Array(Buffer.from(`${t} of ${runId}`)), rows: 1 }]),
  ) as RunOutputs["tables"];
  return { plan, tables, quarantine: [], validation: buildValidation(plan, core.merged, core.coverage, []) };
}

/** The store with a seeded delay of 0-3 ms before every call, so two runs interleave differently. */
function jittered(store: ObjectStore, seed: number): ObjectStore {
  let state = seed;
  const pause = () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return new Promise((r) => setTimeout(r, state % 4));
  };
  const wrap =
    <A extends unknown[], R>(f: (...a: A) => Promise<R>) =>
    async (...a: A) => {
      await pause();
      return f(...a);
    };
  return {
    name: store.name,
    get: wrap(store.get),
    put: wrap(store.put),
    putStream: wrap(store.putStream),
    list: wrap(store.list),
    delete: wrap(store.delete),
    etag: wrap(store.etag),
    putIfUnchanged: wrap(store.putIfUnchanged),
  };
}

describe("commits racing over S3", () => {
  let s3: LocalS3;
  beforeAll(async () => {
    s3 = await startLocalS3(["cond", "race"]);
  });
  afterAll(async () => {
    await s3?.stop();
  });

  it("the local server honours If-None-Match: * and If-Match on PUT as S3 does", async () => {
    const store = s3ObjectStore(s3.client, "cond");
    await store.putIfUnchanged("k", "one", null);
    await expect(store.putIfUnchanged("k", "two", null)).rejects.toThrow(PreconditionFailedError);
    const etag = (await store.etag("k"))!;
    await expect(store.putIfUnchanged("k", "two", '"0000"')).rejects.toThrow(
      /no longer at ETag "0000" \(HTTP 412\)/,
    );
    await store.putIfUnchanged("k", "two", etag);
    await expect(store.putIfUnchanged("k", "three", etag)).rejects.toThrow(PreconditionFailedError);
    await expect(store.putIfUnchanged("absent", "x", etag)).rejects.toThrow(/HTTP 404/);
    expect(Buffer.from(await store.get("k")).toString()).toBe("two");
    expect(await store.etag("absent")).toBeNull();
    // An unconditional PUT is not affected.
    await s3.client.send(new PutObjectCommand({ Bucket: "cond", Key: "k", Body: "plain" }));
    const plain = await s3.client.send(new GetObjectCommand({ Bucket: "cond", Key: "k" }));
    expect(await plain.Body!.transformToString()).toBe("plain");
  });

  it("of 20 conditional creates of one key at once, exactly one succeeds", async () => {
    const store = s3ObjectStore(s3.client, "cond");
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => store.putIfUnchanged("once", `writer ${i}`, null)),
    );
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    const winner = results.findIndex((r) => r.status === "fulfilled");
    expect(Buffer.from(await store.get("once")).toString()).toBe(`writer ${winner}`);
  });

  it("two runs of one source committing at once: one complete set of tables, _SUCCESS naming the later run (seeded interleavings)", async () => {
    const outcomes = { earlierCommittedFirst: 0, earlierRefused: 0 };
    for (let seed = 1; seed <= TRIALS; seed++) {
      // Prepare
      const prefix = `trial-${seed}/`;
      const base = s3ObjectStore(s3.client, "race", prefix);
      const [earlier, later] = await Promise.all([
        runOutputs(`run-early-${seed}`, "2024-01-01T00:00:01.000Z"),
        runOutputs(`run-late-${seed}`, "2024-01-01T00:00:02.000Z"),
      ]);

      // Act
      const [a, b] = await Promise.allSettled([
        commitOutputs(jittered(base, seed), earlier, () => new Date()),
        commitOutputs(jittered(base, seed * 7919), later, () => new Date()),
      ]);

      // Assess
      expect(b.status, `seed ${seed}`).toBe("fulfilled");
      if (a.status === "rejected") {
        expect(a.reason).toBeInstanceOf(CommitConflictError);
        outcomes.earlierRefused++;
      } else outcomes.earlierCommittedFirst++;
      const read = async (key: string) => Buffer.from(await base.get(key)).toString();
      expect(JSON.parse(await read("_runs/source=log/_SUCCESS")).runId).toBe(`run-late-${seed}`);
      for (const t of TABLES) {
        expect(await read(`${t}/source=log/part-00000.parquet`), `seed ${seed} ${t}`).toBe(
          `${t} of run-late-${seed}`,
        );
      }
      const manifest = JSON.parse(await read("_runs/source=log/_manifest.json"));
      expect(manifest.runId).toBe(`run-late-${seed}`);
      const tableFiles = (await base.list("")).filter(
        (k) => k.endsWith(".parquet") && !k.startsWith("_runs/"),
      );
      expect(tableFiles).toHaveLength(4);
    }
    expect(outcomes.earlierCommittedFirst + outcomes.earlierRefused).toBe(TRIALS);
    console.info(`commit races: ${JSON.stringify(outcomes)}`);
  });
});
