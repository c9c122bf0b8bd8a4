/**
 * startReduce: partials taken early (as the local engine takes each range's as it finishes)
 * give the same outputs as a reduce that reads them all at the end, a range taken twice counts
 * once, and a partial that cannot be read fails finish() with its own error.
 */
import { describe, expect, it } from "vitest";
import { ContractError } from "../../functions/core/errors";
import { decodePartial, encodePartial } from "../../functions/core/partial-codec";
import { processRange } from "../../functions/core/process-range";
import { TABLE_NAMES } from "../../functions/core/tables";
import { workKeys } from "../../functions/stages/layout";
import { reduceRun, startReduce } from "../../functions/stages/reduce-stage";
import { csvLine, edgarRow } from "../helpers/edgar-csv";
import { memoryObjectStore } from "../helpers/memory-object-store";
import { plannedDay } from "../helpers/planned-day";

const NOW = () => new Date("2024-06-01T00:00:00.000Z");

/** A small day planned into several ranges, every range's partial in the work store. */
async function mappedDay(
  secondsOf: (index: number) => number | undefined = () => undefined,
  { lines = 300, rangeBytes = 2000, ips = 17 } = {},
) {
  const { source, work, planKey, plan } = await plannedDay({
    runId: "r1",
    lines: Array.from({ length: lines }, (_, i) =>
      csvLine(
        edgarRow({
          ip: `10.${Math.floor((i % ips) / 256)}.${(i % ips) % 256}.x`,
          code: i % 9 === 0 ? "503.0" : "200.0",
          time: `${String(i % 24).padStart(2, "0")}:00:00`,
        }),
      ),
    ),
    rangeBytes,
    now: NOW(),
  });
  for (let i = 0; i < plan.ranges.length; i++) {
    const seconds = secondsOf(i);
    const partial = await processRange(source, plan, i);
    await work.put(
      workKeys.partial("r1", i),
      encodePartial(seconds === undefined ? partial : { ...partial, seconds }),
    );
  }
  return { work, planKey, ranges: plan.ranges.length };
}

const tablesOf = (out: ReturnType<typeof memoryObjectStore>) =>
  [...out.objects].filter(
    ([k]) => k.endsWith(".parquet") && TABLE_NAMES.some((t) => k.includes(`/${t}.parquet`)),
  );

describe("startReduce", () => {
  it("gives a reduce that read every partial at the end its outputs, whatever was taken early or twice", async () => {
    const { work, planKey, ranges } = await mappedDay();
    expect(ranges).toBeGreaterThan(4);
    const atEnd = memoryObjectStore("out-a");
    const whole = await reduceRun({ planKey, work, out: atEnd, now: NOW });

    const early = memoryObjectStore("out-b");
    const reduce = await startReduce({ planKey, work, out: early, now: NOW });
    for (const i of [3, 0, 3, 1, 0]) reduce.take(i);
    const taken = await reduce.finish();

    expect(taken.validation.rows).toEqual(whole.validation.rows);
    expect(taken.validation.rows.read).toBe(300);
    expect(taken.result.status).toBe(whole.result.status);
    expect(tablesOf(early).map(([k, v]) => [k, Buffer.from(v).toString("hex")])).toEqual(
      tablesOf(atEnd).map(([k, v]) => [k, Buffer.from(v).toString("hex")]),
    );
  });

  it("fails finish() with the error of a partial taken early that could not be read", async () => {
    const { work, planKey } = await mappedDay();
    const key = workKeys.partial("r1", 2);
    work.objects.set(key, work.objects.get(key)!.subarray(0, 10));
    const reduce = await startReduce({ planKey, work, out: memoryObjectStore("out"), now: NOW });
    reduce.take(2);
    const error = await reduce.finish().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/work\/runs\/r1\/partials\/range-00002/);
  });

  it("starts reading a partial when it is taken, before finish(), and reads its IP counts again at the merge", async () => {
    // Ranges of 2,000 distinct IPs: partials larger than a slab of Node's Buffer pool (which
    // holds small buffers, never released).
    const { work, planKey, ranges } = await mappedDay(undefined, {
      lines: 9000,
      rangeBytes: 200_000,
      ips: 2000,
    });
    const read: string[] = [];
    const given: Uint8Array[] = [];
    const get = work.get.bind(work);
    work.get = async (key) => {
      const bytes = await get(key);
      if (key.includes("/partials/")) {
        read.push(key);
        given.push(bytes);
      }
      return bytes;
    };
    const reduce = await startReduce({ planKey, work, out: memoryObjectStore("out"), now: NOW });
    reduce.take(1);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(read).toEqual([workKeys.partial("r1", 1)]);
    // Folded in, its bytes are let go at once (detached), not held until the merge.
    expect(given[0]!.byteLength).toBe(0);
    await reduce.finish();
    expect(read.filter((k) => k === workKeys.partial("r1", 1))).toHaveLength(2);
    // A partial not taken early is read once, at the end.
    expect(read.filter((k) => k === workKeys.partial("r1", 0))).toHaveLength(1);
    expect(new Set(read).size).toBe(ranges);
  });

  it("fails finish() if a partial taken early has other IP counts when read again", async () => {
    const { work, planKey } = await mappedDay();
    const reduce = await startReduce({ planKey, work, out: memoryObjectStore("out"), now: NOW });
    reduce.take(2);
    await new Promise((resolve) => setTimeout(resolve, 20));
    // Partial 2 loses its last IP count between the fold and the merge.
    const key = workKeys.partial("r1", 2);
    const partial = decodePartial(work.objects.get(key)!, key);
    const { keys, ends, counts } = partial.aggregate.ipCounts;
    const n = ends.length - 1;
    const ipCounts = {
      keys: keys.subarray(0, ends[n - 1]),
      ends: ends.subarray(0, n),
      counts: counts.subarray(0, n),
    };
    work.objects.set(key, encodePartial({ ...partial, aggregate: { ...partial.aggregate, ipCounts } }));
    const error = await reduce.finish().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ContractError);
    expect((error as Error).message).toMatch(
      /^partial 2 of run r1 changed between two reads \(\d+ IP counts, then \d+\): rerun the execution$/,
    );
  });

  it("reads again a partial taken early whose second read came cut short, and gives the outputs of one read", async () => {
    const { work, planKey } = await mappedDay();
    const whole = memoryObjectStore("out-a");
    await reduceRun({ planKey, work, out: whole, now: NOW });
    const key = workKeys.partial("r1", 2);
    let reads = 0;
    const get = work.get.bind(work);
    work.get = async (k) => {
      const bytes = await get(k);
      if (k !== key) return bytes;
      reads++;
      // The second read (the IP counts' at the merge) comes cut short, once.
      return reads === 2 ? bytes.subarray(0, bytes.length - 100) : bytes;
    };
    const early = memoryObjectStore("out-b");
    const reduce = await startReduce({ planKey, work, out: early, now: NOW });
    reduce.take(2);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await reduce.finish();
    expect(reads).toBe(3);
    expect(tablesOf(early).map(([k, v]) => [k, Buffer.from(v).toString("hex")])).toEqual(
      tablesOf(whole).map(([k, v]) => [k, Buffer.from(v).toString("hex")]),
    );
  });

  it("reports the run's range size, each range's seconds and the stage times", async () => {
    const { work, planKey, ranges } = await mappedDay((i) => 0.25 + i);
    const later = () => new Date("2024-06-01T00:00:05.000Z");
    const started = performance.now();
    const { validation } = await reduceRun({ planKey, work, out: memoryObjectStore("out"), now: later });
    const wall = (performance.now() - started) / 1000;
    const run = validation.run!;
    expect(run.rangeBytes).toBe(2000);
    expect(run.rangeSeconds).toEqual(Array.from({ length: ranges }, (_, i) => 0.25 + i));
    // The map stage: from planning (00:00:00) to the reduce's start (00:00:05).
    expect(run.stageSeconds!.map).toBe(5);
    expect(run.stageSeconds!.reduce).toBeGreaterThan(0);
    expect(run.stageSeconds!.reduce).toBeLessThanOrEqual(wall);
  });

  it("reports no range seconds when a partial does not carry its own", async () => {
    const { work, planKey } = await mappedDay((i) => (i === 1 ? undefined : 0.5));
    const { validation } = await reduceRun({ planKey, work, out: memoryObjectStore("out"), now: NOW });
    expect(validation.run!.rangeSeconds).toBeUndefined();
    expect(validation.run!.stageSeconds!.map).toBe(0);
  });
});
