/**
 * The commit protocol: run-scoped files, `_SUCCESS` written conditionally, published copies.
 * Crashes at every write, retries, a run overtaken by a later one, two sources on one partition.
 */
import { describe, expect, it } from "vitest";
import type { CommitRecord, Plan } from "../../functions/contracts";
import { CommitConflictError, PreconditionFailedError } from "../../functions/core/errors";
import type { ObjectStore } from "../../functions/core/object-store";
import { buildValidation } from "../../functions/core/validation";
import { commitOutputs, type RunOutputs } from "../../functions/stages/commit-outputs";
import { csvFile, csvLine, edgarRow } from "../helpers/edgar-csv";
import { type MemoryObjectStore, memoryObjectStore } from "../helpers/memory-object-store";
import { runCore } from "../helpers/run-core";

const TABLES = ["server_errors", "errors_by_hour", "ip_counts", "top_ips"] as const;

/** A run's outputs; each table's bytes name the run, so a mix of two runs shows. */
async function runOutputs(
  runId: string,
  plannedAt: string,
  { key = "incoming/log.csv", bucket = "input", corrupt = false } = {},
): Promise<RunOutputs> {
  const lines = [csvLine(edgarRow({ code: "503.0" })), csvLine(edgarRow())];
  if (corrupt) lines.push("not,a,record", "nor,this");
  const core = await runCore({ bytes: csvFile(lines), name: "log.csv" });
  const plan: Plan = {
    ...core.plan,
    runId,
    plannedAt,
    source: { ...core.plan.source, bucket, key, stem: "log", etag: '"e1"' },
  };
  const validation = buildValidation(plan, core.merged, core.coverage, []);
  const tables = Object.fromEntries(
    TABLES.map((t) => [t, { parquet: new Uint8Array(Buffer.from(`${t} of ${runId}`)), rows: 1 }]),
  ) as RunOutputs["tables"];
  return { plan, tables, quarantine: core.merged.quarantine, validation };
}

const text = (store: MemoryObjectStore, key: string) => {
  const body = store.objects.get(key);
  return body === undefined ? undefined : Buffer.from(body).toString("utf8");
};
const success = (store: MemoryObjectStore) =>
  JSON.parse(text(store, "_runs/source=log/_SUCCESS")!) as CommitRecord;
/** What a reader globbing the table partitions sees. */
const publishedTables = (store: MemoryObjectStore) =>
  TABLES.map((t) => text(store, `${t}/source=log/part-00000.parquet`));
const tablesOf = (runId: string) => TABLES.map((t) => `${t} of ${runId}`);
/** Every object but the commit times, which differ from run to run. */
const snapshot = (store: MemoryObjectStore) =>
  Object.fromEntries(
    [...store.objects.keys()].sort().map((k) => [k, text(store, k)!.replace(/"committedAt": "[^"]*"/g, "")]),
  );
const at = (s: number) => () => new Date(Date.UTC(2024, 0, 1, 0, 0, s));

describe("commitOutputs", () => {
  it("writes the run's files under its own folder, _SUCCESS naming it, and copies where readers glob", async () => {
    // Prepare
    const out = memoryObjectStore("mem://out");
    const outputs = await runOutputs("run-a", "2024-01-01T00:00:00.000Z", { corrupt: true });

    // Act
    const manifestKey = await commitOutputs(out, outputs, at(5));

    // Assess
    expect(manifestKey).toBe("_runs/source=log/run=run-a/_manifest.json");
    expect([...out.objects.keys()].sort()).toEqual([
      "_runs/source=log/_SUCCESS",
      "_runs/source=log/_manifest.json",
      "_runs/source=log/quarantine.jsonl",
      "_runs/source=log/report.html",
      "_runs/source=log/run=run-a/_manifest.json",
      "_runs/source=log/run=run-a/errors_by_hour.parquet",
      "_runs/source=log/run=run-a/ip_counts.parquet",
      "_runs/source=log/run=run-a/quarantine.jsonl",
      "_runs/source=log/run=run-a/report.html",
      "_runs/source=log/run=run-a/server_errors.parquet",
      "_runs/source=log/run=run-a/top_ips.parquet",
      "_runs/source=log/run=run-a/validation.json",
      "_runs/source=log/validation.json",
      "errors_by_hour/source=log/part-00000.parquet",
      "ip_counts/source=log/part-00000.parquet",
      "server_errors/source=log/part-00000.parquet",
      "top_ips/source=log/part-00000.parquet",
    ]);
    expect(success(out)).toEqual({
      format: "edgar-etl/commit",
      version: 1,
      runId: "run-a",
      plannedAt: "2024-01-01T00:00:00.000Z",
      committedAt: "2024-01-01T00:00:05.000Z",
      source: { bucket: "input", key: "incoming/log.csv", etag: '"e1"' },
      manifestKey,
      replaces: null,
    });
    expect(publishedTables(out)).toEqual(tablesOf("run-a"));
    const manifest = JSON.parse(text(out, manifestKey)!);
    expect(manifest).toMatchObject({
      runId: "run-a",
      committedAt: "2024-01-01T00:00:05.000Z",
      quarantineKey: "_runs/source=log/run=run-a/quarantine.jsonl",
      tables: { top_ips: { key: "_runs/source=log/run=run-a/top_ips.parquet", rows: 1 } },
    });
    expect(text(out, "_runs/source=log/_manifest.json")).toBe(text(out, manifestKey));
    const quarantined = text(out, "_runs/source=log/quarantine.jsonl")!.split("\n");
    expect(quarantined).toHaveLength(3);
    expect(quarantined[2]).toBe("");
    expect(JSON.parse(quarantined[0]!)).toMatchObject({ line: 4, reason: "column_count" });
    expect(JSON.parse(quarantined[1]!)).toMatchObject({ line: 5, reason: "column_count" });
    const type = (k: string) => out.types.get(k);
    expect(type("_runs/source=log/run=run-a/top_ips.parquet")).toBe("application/vnd.apache.parquet");
    expect(type("top_ips/source=log/part-00000.parquet")).toBe("application/vnd.apache.parquet");
    expect(type("_runs/source=log/run=run-a/quarantine.jsonl")).toBe("application/x-ndjson");
    expect(type("_runs/source=log/run=run-a/validation.json")).toBe("application/json");
    expect(type("_runs/source=log/run=run-a/report.html")).toBe("text/html; charset=utf-8");
    expect(type(manifestKey)).toBe("application/json");
    expect(type("_runs/source=log/_SUCCESS")).toBe("application/json");
  });

  it("a later run replaces the published copies, keeps the replaced run's folder one generation, drops older ones", async () => {
    const out = memoryObjectStore();
    await commitOutputs(out, await runOutputs("run-1", "2024-01-01T00:00:01.000Z", { corrupt: true }), at(1));
    await commitOutputs(out, await runOutputs("run-2", "2024-01-01T00:00:02.000Z"), at(2));
    expect(publishedTables(out)).toEqual(tablesOf("run-2"));
    expect(text(out, "_runs/source=log/quarantine.jsonl")).toBeUndefined();
    expect(text(out, "_runs/source=log/run=run-1/top_ips.parquet")).toBe("top_ips of run-1");

    await commitOutputs(out, await runOutputs("run-3", "2024-01-01T00:00:03.000Z"), at(3));
    const runDirs = new Set([...out.objects.keys()].flatMap((k) => /run=([^/]+)\//.exec(k)?.[1] ?? []));
    expect([...runDirs].sort()).toEqual(["run-2", "run-3"]);
    expect(success(out).runId).toBe("run-3");
  });

  /** Every put the commit makes, in order, for a crash at each one. */
  async function putsOfACommit(): Promise<string[]> {
    const out = memoryObjectStore();
    await commitOutputs(out, await runOutputs("good", "2024-01-01T00:00:01.000Z"), at(1));
    const keys: string[] = [];
    out.failPut = (key) => {
      keys.push(key);
      return false;
    };
    await commitOutputs(out, await runOutputs("next", "2024-01-01T00:00:02.000Z", { corrupt: true }), at(2));
    return keys;
  }

  it("a reducer failing at any write, then retried: the previous output stays readable until the commit, the retry equals a clean run", async () => {
    // Prepare: the reference, a clean commit of "next" over "good".
    const clean = memoryObjectStore();
    await commitOutputs(clean, await runOutputs("good", "2024-01-01T00:00:01.000Z"), at(1));
    await commitOutputs(
      clean,
      await runOutputs("next", "2024-01-01T00:00:02.000Z", { corrupt: true }),
      at(2),
    );
    const puts = await putsOfACommit();
    expect(puts.length).toBeGreaterThan(10);

    for (let crashAt = 0; crashAt < puts.length; crashAt++) {
      const out = memoryObjectStore();
      await commitOutputs(out, await runOutputs("good", "2024-01-01T00:00:01.000Z"), at(1));
      const before = snapshot(out);
      let n = 0;
      out.failPut = () => n++ === crashAt;

      // Act: the attempt fails at put number `crashAt`.
      const attempt = commitOutputs(
        out,
        await runOutputs("next", "2024-01-01T00:00:02.000Z", { corrupt: true }),
        at(2),
      );
      await expect(attempt).rejects.toThrow(/injected failure/);

      // Assess: before the commit point, readers see exactly the previous output.
      const committed = success(out).runId === "next";
      expect(committed).toBe(puts.indexOf("_runs/source=log/_SUCCESS") < crashAt);
      if (!committed) {
        for (const [key, body] of Object.entries(before)) expect(snapshot(out)[key], key).toBe(body);
        expect(publishedTables(out)).toEqual(tablesOf("good"));
      } else {
        // After it, every published table is one committed run's, whole.
        for (const [i, t] of publishedTables(out).entries())
          expect([tablesOf("good")[i], tablesOf("next")[i]]).toContain(t);
      }

      // Act: the retry.
      out.failPut = undefined;
      await commitOutputs(
        out,
        await runOutputs("next", "2024-01-01T00:00:02.000Z", { corrupt: true }),
        at(3),
      );

      // Assess: the same objects as a clean run, nothing of the failed attempt besides.
      expect(snapshot(out), `crash at put ${crashAt} (${puts[crashAt]})`).toEqual(snapshot(clean));
    }
  });

  it("a failed execution's files are never read and are deleted by the next commit", async () => {
    const out = memoryObjectStore();
    await commitOutputs(out, await runOutputs("good", "2024-01-01T00:00:01.000Z"), at(1));
    out.failPut = (key) => key.endsWith("_SUCCESS");
    await expect(
      commitOutputs(out, await runOutputs("failed", "2024-01-01T00:00:02.000Z"), at(2)),
    ).rejects.toThrow();
    expect(text(out, "_runs/source=log/run=failed/top_ips.parquet")).toBe("top_ips of failed");
    expect(publishedTables(out)).toEqual(tablesOf("good"));
    out.failPut = undefined;

    await commitOutputs(out, await runOutputs("later", "2024-01-01T00:00:03.000Z"), at(3));

    expect([...out.objects.keys()].filter((k) => k.includes("run=failed"))).toEqual([]);
    expect(publishedTables(out)).toEqual(tablesOf("later"));
  });

  it("a run planned earlier than the committed one fails, naming both, and changes nothing", async () => {
    const out = memoryObjectStore();
    await commitOutputs(out, await runOutputs("later", "2024-01-01T00:00:09.000Z"), at(9));
    const before = snapshot(out);

    const act = commitOutputs(out, await runOutputs("earlier", "2024-01-01T00:00:01.000Z"), at(10));

    await expect(act).rejects.toThrow(CommitConflictError);
    await expect(
      commitOutputs(out, await runOutputs("earlier", "2024-01-01T00:00:01.000Z"), at(10)),
    ).rejects.toThrow(
      /run earlier \(planned 2024-01-01T00:00:01.000Z\) was overtaken: run later, planned later \(2024-01-01T00:00:09.000Z\)/,
    );
    expect(snapshot(out)).toEqual(before);
  });

  it("equal plan times: the greater run id wins, whichever commits first", async () => {
    for (const order of [
      ["run-a", "run-b"],
      ["run-b", "run-a"],
    ]) {
      const out = memoryObjectStore();
      const results = [];
      for (const id of order) {
        results.push(
          await commitOutputs(out, await runOutputs(id, "2024-01-01T00:00:01.000Z"), at(1)).catch(
            (e: Error) => e,
          ),
        );
      }
      expect(success(out).runId).toBe("run-b");
      expect(publishedTables(out)).toEqual(tablesOf("run-b"));
    }
  });

  it("a run overtaken while it publishes never overwrites the later run's copies", async () => {
    // Prepare: "early" commits, then stalls just before publishing top_ips, while "late"
    // (planned later) commits and publishes everything.
    const out = memoryObjectStore();
    const late = await runOutputs("late", "2024-01-01T00:00:02.000Z");
    let lateDone: Promise<string> | undefined;
    const stalling: ObjectStore = {
      ...out,
      async putIfUnchanged(key, body, ifMatch, type) {
        if (key === "top_ips/source=log/part-00000.parquet" && lateDone === undefined) {
          lateDone = commitOutputs(out, late, at(2));
          await lateDone;
        }
        return out.putIfUnchanged(key, body, ifMatch, type);
      },
    };

    // Act
    await commitOutputs(stalling, await runOutputs("early", "2024-01-01T00:00:01.000Z"), at(1));

    // Assess: every copy is the later run's.
    expect(lateDone).toBeDefined();
    expect(success(out).runId).toBe("late");
    expect(publishedTables(out)).toEqual(tablesOf("late"));
    expect(JSON.parse(text(out, "_runs/source=log/_manifest.json")!).runId).toBe("late");
  });

  it("a _SUCCESS that keeps changing: ten tries, the run's files written once, then a conflict", async () => {
    const out = memoryObjectStore("mem://out");
    let tries = 0;
    const racing: ObjectStore = {
      ...out,
      async putIfUnchanged(key, body, ifMatch, type) {
        if (key.endsWith("_SUCCESS")) {
          tries++;
          throw new PreconditionFailedError("changed");
        }
        return out.putIfUnchanged(key, body, ifMatch, type);
      },
    };
    let puts = 0;
    out.failPut = () => {
      puts++;
      return false;
    };
    await expect(
      commitOutputs(racing, await runOutputs("r", "2024-01-01T00:00:01.000Z"), at(1)),
    ).rejects.toThrow(
      "mem://out/_runs/source=log/_SUCCESS kept changing while run r committed (10 tries); run it again",
    );
    expect(tries).toBe(10);
    expect(puts).toBe(7);
  });

  it("a published copy that keeps changing: ten tries, then a conflict", async () => {
    const out = memoryObjectStore("mem://out");
    let tries = 0;
    const racing: ObjectStore = {
      ...out,
      async putIfUnchanged(key, body, ifMatch, type) {
        if (key === "ip_counts/source=log/part-00000.parquet") {
          tries++;
          throw new PreconditionFailedError("changed");
        }
        return out.putIfUnchanged(key, body, ifMatch, type);
      },
    };
    await expect(
      commitOutputs(racing, await runOutputs("r", "2024-01-01T00:00:01.000Z"), at(1)),
    ).rejects.toThrow(
      "mem://out/ip_counts/source=log/part-00000.parquet kept changing while run r published it; run it again",
    );
    expect(tries).toBe(10);
  });

  it("other failures of a conditional write are not taken for a lost race", async () => {
    const out = memoryObjectStore();
    const broken: ObjectStore = {
      ...out,
      async putIfUnchanged() {
        throw new Error("access denied");
      },
    };
    await expect(
      commitOutputs(broken, await runOutputs("r", "2024-01-01T00:00:01.000Z"), at(1)),
    ).rejects.toThrow("access denied");
  });

  it("a failed read of _SUCCESS fails the commit, and nothing is published", async () => {
    const out = memoryObjectStore();
    await commitOutputs(out, await runOutputs("good", "2024-01-01T00:00:01.000Z"), at(1));
    const flaky: ObjectStore = {
      ...out,
      async get(key) {
        if (key.endsWith("_SUCCESS")) throw new Error("connection reset");
        return out.get(key);
      },
    };
    await expect(
      commitOutputs(flaky, await runOutputs("next", "2024-01-01T00:00:02.000Z"), at(2)),
    ).rejects.toThrow("connection reset");
    expect(success(out).runId).toBe("good");
    expect(publishedTables(out)).toEqual(tablesOf("good"));
  });

  it("a read of _SUCCESS reset or cut short once is read again, and the commit goes on", async () => {
    for (const failure of ["reset", "cut short"] as const) {
      const out = memoryObjectStore();
      await commitOutputs(out, await runOutputs("good", "2024-01-01T00:00:01.000Z"), at(1));
      let failed = 0;
      const flaky: ObjectStore = {
        ...out,
        async get(key) {
          const body = await out.get(key);
          if (!key.endsWith("_SUCCESS") || failed > 0) return body;
          failed++;
          if (failure === "reset") throw Object.assign(new Error("aborted"), { code: "ECONNRESET" });
          return body.subarray(0, body.length >> 1);
        },
      };

      await commitOutputs(flaky, await runOutputs("next", "2024-01-01T00:00:02.000Z"), at(2));

      expect(failed, failure).toBe(1);
      expect(success(out).runId, failure).toBe("next");
      expect(success(out).replaces, failure).toBe("good");
      expect(publishedTables(out), failure).toEqual(tablesOf("next"));
    }
  });

  it("a run overtaken after publishing leaves the later run's folder alone", async () => {
    const out = memoryObjectStore();
    const late = await runOutputs("late", "2024-01-01T00:00:02.000Z");
    let lateDone = false;
    const stalling: ObjectStore = {
      ...out,
      async list(prefix) {
        if (prefix.includes("run=") && !lateDone) {
          lateDone = true;
          await commitOutputs(out, late, at(2));
        }
        return out.list(prefix);
      },
    };
    await commitOutputs(stalling, await runOutputs("early", "2024-01-01T00:00:01.000Z"), at(1));
    expect(lateDone).toBe(true);
    expect(success(out).runId).toBe("late");
    expect(text(out, "_runs/source=log/run=late/top_ips.parquet")).toBe("top_ips of late");
    expect(publishedTables(out)).toEqual(tablesOf("late"));
  });

  it("stray files in a table's partition are removed by the commit", async () => {
    const out = memoryObjectStore();
    await out.put("top_ips/source=log/part-00001.parquet", "stray");
    await out.put("top_ips/source=other/part-00000.parquet", "another source");
    await commitOutputs(out, await runOutputs("r", "2024-01-01T00:00:01.000Z"), at(1));
    expect(text(out, "top_ips/source=log/part-00001.parquet")).toBeUndefined();
    expect(text(out, "top_ips/source=other/part-00000.parquet")).toBe("another source");
    expect(publishedTables(out)).toEqual(tablesOf("r"));
  });

  it("local runs into one directory replace each other; a local and an S3 source do not mix", async () => {
    const out = memoryObjectStore("mem://out");
    const local = async (id: string, at_: string, key: string) => {
      const o = await runOutputs(id, at_, { key });
      return { ...o, plan: { ...o.plan, source: { ...o.plan.source, bucket: undefined } } };
    };
    await commitOutputs(out, await local("l1", "2024-01-01T00:00:01.000Z", "/a/log.csv"), at(1));
    await commitOutputs(out, await local("l2", "2024-01-01T00:00:02.000Z", "/b/log.csv"), at(2));
    expect(success(out)).toMatchObject({ runId: "l2", source: { key: "/b/log.csv" } });
    expect(success(out).source).not.toHaveProperty("bucket");
    await expect(
      commitOutputs(
        out,
        await runOutputs("s", "2024-01-01T00:00:03.000Z", { key: "log.csv", bucket: "in" }),
        at(3),
      ),
    ).rejects.toThrow("holds the outputs of /b/log.csv, and s3://in/log.csv maps to the same partition");
  });

  it("the same key in another bucket is another source", async () => {
    const out = memoryObjectStore("mem://out");
    await commitOutputs(
      out,
      await runOutputs("a", "2024-01-01T00:00:01.000Z", { key: "log.csv", bucket: "one" }),
      at(1),
    );
    await expect(
      commitOutputs(
        out,
        await runOutputs("b", "2024-01-01T00:00:02.000Z", { key: "log.csv", bucket: "two" }),
        at(2),
      ),
    ).rejects.toThrow("holds the outputs of s3://one/log.csv, and s3://two/log.csv");
  });

  it("another object on the same partition is refused, naming both objects", async () => {
    const out = memoryObjectStore("mem://out");
    await commitOutputs(
      out,
      await runOutputs("a", "2024-01-01T00:00:01.000Z", { key: "log.csv", bucket: "in" }),
      at(1),
    );
    const other = await runOutputs("b", "2024-01-01T00:00:02.000Z", { key: "x/log.csv", bucket: "in" });
    await expect(commitOutputs(out, other, at(2))).rejects.toThrow(
      "mem://out/_runs/source=log/_SUCCESS holds the outputs of s3://in/log.csv, and s3://in/x/log.csv maps to the same partition",
    );
    expect(publishedTables(out)).toEqual(tablesOf("a"));
  });

  it("objects in different folders get different partitions", async () => {
    const out = memoryObjectStore();
    await commitOutputs(
      out,
      await runOutputs("a", "2024-01-01T00:00:01.000Z", { key: "incoming/a/log.csv" }),
      at(1),
    );
    await commitOutputs(
      out,
      await runOutputs("b", "2024-01-01T00:00:02.000Z", { key: "incoming/b/log.csv" }),
      at(2),
    );
    expect(text(out, "top_ips/source=a%2Flog/part-00000.parquet")).toBe("top_ips of a");
    expect(text(out, "top_ips/source=b%2Flog/part-00000.parquet")).toBe("top_ips of b");
    expect(JSON.parse(text(out, "_runs/source=a%2Flog/_SUCCESS")!).runId).toBe("a");
  });

  it("replaces a _SUCCESS written before commit records existed", async () => {
    const out = memoryObjectStore();
    await out.put("_runs/source=log/_SUCCESS", JSON.stringify({ runId: "old", committedAt: "2020-01-01" }));
    await out.put("top_ips/source=log/part-00000.parquet", "old");
    await commitOutputs(out, await runOutputs("new", "2024-01-01T00:00:01.000Z"), at(1));
    expect(success(out).runId).toBe("new");
    expect(publishedTables(out)).toEqual(tablesOf("new"));
  });
});
