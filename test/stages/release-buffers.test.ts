/**
 * Buffers let go of at once: which bytes a stage may release (only a whole buffer of their own,
 * never a slice of Node's pool or shared memory), that releasing detaches them, that the reduce
 * stage releases the partials it read once their IP counts are merged, with the outputs
 * unchanged, and that the map stage releases nothing (a detach in a process makes V8 check every
 * later typed-array access for one: a mapper's ranges took 10-14% longer after a single detach).
 */
import { describe, expect, it } from "vitest";
import { ipCountList } from "../../functions/core/aggregate";
import type { ObjectStore } from "../../functions/core/object-store";
import { decodePartial } from "../../functions/core/partial-codec";
import { processRange } from "../../functions/core/process-range";
import { workKeys } from "../../functions/stages/layout";
import { mapRange } from "../../functions/stages/map-stage";
import { reduceRun } from "../../functions/stages/reduce-stage";
import { ownsItsBuffer, releaseBuffers } from "../../functions/stages/release-buffers";
import { csvLine, edgarRow } from "../helpers/edgar-csv";
import { memoryObjectStore } from "../helpers/memory-object-store";
import { plannedDay } from "../helpers/planned-day";

const NOW = () => new Date("2024-06-01T00:00:00.000Z");

describe("ownsItsBuffer", () => {
  it("is true only for the whole of a buffer larger than Node's pool slab", () => {
    const big = new Uint8Array(64 * 1024);
    expect(ownsItsBuffer(big)).toBe(true);
    expect(ownsItsBuffer(Buffer.alloc(64 * 1024))).toBe(true);
    expect(ownsItsBuffer(big.subarray(1))).toBe(false);
    expect(ownsItsBuffer(big.subarray(0, big.length - 1))).toBe(false);
    // Small Buffers are slices of a shared 8 KiB slab.
    expect(ownsItsBuffer(Buffer.from("a small object"))).toBe(false);
    expect(ownsItsBuffer(new Uint8Array(Buffer.poolSize))).toBe(false);
    expect(ownsItsBuffer(new Uint8Array(Buffer.poolSize + 1))).toBe(true);
    expect(ownsItsBuffer(new Uint8Array(new SharedArrayBuffer(64 * 1024)))).toBe(false);
  });
});

describe("releaseBuffers", () => {
  it("detaches every view of each buffer, listed once or twice, and settles", async () => {
    const a = new Uint8Array(100_000).fill(7);
    const alsoA = new Uint32Array(a.buffer, 8, 10);
    const b = new Float64Array(5_000);
    await releaseBuffers([a.buffer, b.buffer, a.buffer]);
    expect([a.byteLength, alsoA.byteLength, b.byteLength, a.buffer.byteLength]).toEqual([0, 0, 0, 0]);
    await expect(releaseBuffers([])).resolves.toBeUndefined();
    // A buffer already released is left alone.
    await expect(releaseBuffers([a.buffer])).resolves.toBeUndefined();
  });
});

/** A day whose partials are each larger than a pool slab: many distinct IPs a range. */
async function bigDay() {
  return plannedDay({
    runId: "r1",
    lines: Array.from({ length: 4000 }, (_, i) =>
      csvLine(edgarRow({ ip: `10.${i % 7}.${i % 251}.${i}`, code: i % 11 === 0 ? "500.0" : "200.0" })),
    ),
    rangeBytes: 150_000,
    now: NOW(),
  });
}

type Day = Awaited<ReturnType<typeof bigDay>>;

/** Range `index` of the day, as the plan's task. */
const taskOf = ({ plan, planKey }: Day, index: number) => ({
  version: 1 as const,
  runId: plan.runId,
  planKey,
  index,
});

/** Maps every range of the day in turn, on this thread, into its work store. */
async function mapEveryRange(day: Day): Promise<void> {
  for (let index = 0; index < day.plan.ranges.length; index++) {
    await mapRange({ task: taskOf(day, index), work: day.work, openSource: async () => day.source });
  }
}

/** `store`, noting every body put and every object got. */
function noting(store: ObjectStore) {
  /** Each object got: its key, its bytes, and their length when got. */
  const got: [string, Uint8Array, number][] = [];
  const put: [string, Uint8Array | string][] = [];
  const noted: ObjectStore = {
    ...store,
    async get(key) {
      const bytes = await store.get(key);
      got.push([key, bytes, bytes.byteLength]);
      return bytes;
    },
    async put(key, body, type) {
      await store.put(key, body, type);
      put.push([key, body]);
    },
  };
  return { noted, got, put };
}

describe("the stages let go of partials", () => {
  it("the map stage detaches none of the buffers it writes, its partial's and its IP runs', and what it wrote stands", async () => {
    const day = await bigDay();
    const { source, work } = day;
    const { noted, put } = noting(work);
    await mapRange({ task: taskOf(day, 1), work: noted, openSource: async () => source, ipTableSlots: 64 });
    const key = workKeys.partial("r1", 1);
    const runs = put.filter(([k]) => k.includes("/ip-runs/"));
    expect(runs.length).toBeGreaterThan(2);
    for (const [, body] of [...runs, put.find(([k]) => k === key)!]) {
      expect(typeof body).not.toBe("string");
      expect((body as Uint8Array).byteLength).toBeGreaterThan(0);
    }
    const written = decodePartial(await work.get(key), key);
    expect(written.ipRuns?.length).toBe(runs.length);
    expect(written.aggregate.rows.read).toBeGreaterThan(0);
  });

  it("a mapper mapping range after range on one thread (its IP counter kept) writes each partial as a fresh one would", async () => {
    const day = await bigDay();
    const { source, work, plan } = day;
    await mapEveryRange(day);
    for (let index = 0; index < plan.ranges.length; index++) {
      const key = workKeys.partial("r1", index);
      const written = decodePartial(await work.get(key), key).aggregate;
      const fresh = (await processRange(source, plan, index)).aggregate;
      expect(written.rows).toEqual(fresh.rows);
      expect(ipCountList(written.ipCounts)).toEqual(ipCountList(fresh.ipCounts));
    }
  });

  it("the reduce stage releases every partial it read once merged, with the same outputs", async () => {
    const day = await bigDay();
    const { work, plan, planKey } = day;
    expect(plan.ranges.length).toBeGreaterThan(2);
    await mapEveryRange(day);
    const kept = memoryObjectStore("out-kept");
    // The same reduce over bytes it cannot release (views into a larger buffer).
    const sliced: ObjectStore = {
      ...work,
      async get(key) {
        const bytes = await work.get(key);
        const larger = new Uint8Array(bytes.length + 1);
        larger.set(bytes, 1);
        return larger.subarray(1);
      },
    };
    const expected = await reduceRun({ planKey, work: sliced, out: kept, now: NOW });

    const { noted, got } = noting(work);
    const out = memoryObjectStore("out");
    const reduced = await reduceRun({ planKey, work: noted, out, now: NOW });
    const partials = got.filter(([k]) => k.includes("/partials/"));
    expect(partials).toHaveLength(plan.ranges.length);
    // Those larger than a pool slab (all but the last, short range's) are let go; no other is.
    const large = partials.filter(([, , length]) => length > Buffer.poolSize);
    expect(large.length).toBeGreaterThanOrEqual(2);
    for (const [, bytes, length] of partials) {
      expect(bytes.byteLength).toBe(length > Buffer.poolSize ? 0 : length);
    }
    expect(reduced.validation.rows).toEqual(expected.validation.rows);
    expect(reduced.validation.rows.read).toBe(4000);
    const tables = (store: typeof out) =>
      [...store.objects]
        .filter(([k]) => k.endsWith(".parquet"))
        .map(([k, v]) => [k, Buffer.from(v).toString("hex")]);
    expect(tables(out)).toEqual(tables(kept));
  });
});
