/**
 * A mapper whose IP table fills writes each spilled run to an object of its own and names the
 * runs in its partial; the reduce reads them back. Its outputs are those of a mapper that never
 * spilled, whatever the table bound, range and chunk sizes (property); a run missing, from
 * another attempt, or left out fails the reduce; two attempts at one range at once never mix
 * their runs.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DEFAULT_RUN_OPTIONS } from "../../functions/contracts";
import { memoryByteSource } from "../../functions/core/byte-source";
import { ContractError } from "../../functions/core/errors";
import { decodeIpRun, decodePartial, encodePartial } from "../../functions/core/partial-codec";
import { PartialReducer } from "../../functions/core/reduce";
import { TABLE_NAMES } from "../../functions/core/tables";
import { workKeys } from "../../functions/stages/layout";
import { mapRange } from "../../functions/stages/map-stage";
import { planRun } from "../../functions/stages/plan-stage";
import { readPlan } from "../../functions/stages/read-plan";
import { reduceRun } from "../../functions/stages/reduce-stage";
import { edgarCsvArb } from "../helpers/edgar-arbitraries";
import { csvLine, EDGAR_HEADER, edgarRow, utf8 } from "../helpers/edgar-csv";
import { type MemoryObjectStore, memoryObjectStore } from "../helpers/memory-object-store";

const NOW = () => new Date("2024-06-01T00:00:00.000Z");

/** Row i's IP: one of `ips` short ones, or on every seventh row a long one (an arena key). */
const ipOf = (i: number, ips: number) =>
  i % 7 === 0 ? `host-name-longer-than-fifteen-${i % ips}` : `10.0.${i % ips}.x`;

/** A day of `lines` rows, each IP on rows far apart (so in several runs). */
function dayOf(lines = 400, ips = 150): Uint8Array {
  const rows = Array.from({ length: lines }, (_, i) =>
    csvLine(
      edgarRow({
        ip: ipOf(i, ips),
        code: i % 9 === 0 ? "503.0" : "200.0",
        time: `${String(i % 24).padStart(2, "0")}:00:00`,
      }),
    ),
  );
  return utf8(`${[EDGAR_HEADER, ...rows].join("\n")}\n`);
}

interface StageRun {
  readonly work: MemoryObjectStore;
  readonly out: MemoryObjectStore;
  readonly planKey: string;
  readonly ranges: number;
}

/** Plans `bytes`, maps every range through the map stage with `ipTableSlots`, and nothing more. */
async function mapDay(
  bytes: Uint8Array,
  {
    rangeBytes,
    chunkBytes = 97,
    ipTableSlots,
  }: { rangeBytes: number; chunkBytes?: number; ipTableSlots?: number },
  options: Partial<typeof DEFAULT_RUN_OPTIONS> = {},
): Promise<StageRun> {
  const source = memoryByteSource(bytes, "day.csv", chunkBytes);
  const work = memoryObjectStore("work");
  const planned = await planRun({
    runId: "r1",
    source,
    location: { key: "day.csv" },
    options: { ...DEFAULT_RUN_OPTIONS, ...options, rangeBytes },
    work,
    now: NOW(),
  });
  for (let index = 0; index < planned.rangeCount; index++) {
    await mapRange({
      task: { version: 1, runId: "r1", planKey: planned.planKey, index },
      work,
      openSource: async () => source,
      ...(ipTableSlots === undefined ? {} : { ipTableSlots }),
    });
  }
  return { work, out: memoryObjectStore("out"), planKey: planned.planKey, ranges: planned.rangeCount };
}

const reduce = ({ work, out, planKey }: StageRun) => reduceRun({ planKey, work, out, now: NOW });

/** The tables' Parquet, byte for byte, as hex. */
const tablesOf = (out: MemoryObjectStore) =>
  [...out.objects]
    .filter(([k]) => k.endsWith(".parquet") && TABLE_NAMES.some((t) => k.includes(`/${t}.parquet`)))
    .map(([k, v]) => [k, Buffer.from(v).toString("hex")]);

const runKeys = (work: MemoryObjectStore) => [...work.objects.keys()].filter((k) => k.includes("/ip-runs/"));

const partialOf = (work: MemoryObjectStore, index: number) => {
  const key = workKeys.partial("r1", index);
  return decodePartial(work.objects.get(key)!, key);
};

describe("IP runs a mapper spills", () => {
  it("are written as the table fills, named by the partial, and reduced to the outputs of a mapper that never spilled", async () => {
    const bytes = dayOf();
    const unbounded = await mapDay(bytes, { rangeBytes: bytes.length });
    expect(runKeys(unbounded.work)).toEqual([]);
    const expected = await reduce(unbounded);

    for (const rangeBytes of [bytes.length, 3000, 701]) {
      const bounded = await mapDay(bytes, { rangeBytes, ipTableSlots: 8 });
      const named = Array.from(
        { length: bounded.ranges },
        (_, i) => partialOf(bounded.work, i).ipRuns ?? [],
      ).flat();
      // A table of 8 slots holds 6 keys: a range of 3000 bytes (27 rows) or more spills runs.
      if (rangeBytes >= 3000) expect(named.length).toBeGreaterThan(2 * bounded.ranges);
      else expect(named.length).toBeGreaterThan(0);
      expect(named.map((r) => r.key).sort()).toEqual(runKeys(bounded.work).sort());
      for (const key of runKeys(bounded.work))
        expect(bounded.work.types.get(key)).toBe("application/octet-stream");
      for (const run of named)
        expect(run.key).toMatch(/^runs\/r1\/ip-runs\/range-\d{5}\/[0-9a-f]{8}-\d{4}\.ipcounts$/);
      const got = await reduce(bounded);
      expect(got.validation.rows).toEqual(expected.validation.rows);
      expect(got.validation.distinctIps).toBe(expected.validation.distinctIps);
      expect(tablesOf(bounded.out)).toEqual(tablesOf(unbounded.out));
    }
  });

  it("of short keys only are written in place by the counter, into the map stage's buffer, with the same outputs", async () => {
    const rows = Array.from({ length: 300 }, (_, i) => csvLine(edgarRow({ ip: `10.0.${i % 97}.x` })));
    const bytes = utf8(`${[EDGAR_HEADER, ...rows].join("\n")}\n`);
    const unbounded = await mapDay(bytes, { rangeBytes: bytes.length });
    const bounded = await mapDay(bytes, { rangeBytes: 5000, ipTableSlots: 16 });
    // A run laid out in place has its keys' section last; one encoded afterwards, first (a
    // drain's later runs: a batch of pending keys can fill a table this small more than once).
    const orders = runKeys(bounded.work).map((key) => {
      const object = Buffer.from(bounded.work.objects.get(key)!);
      const header = JSON.parse(object.toString("utf8", 16, 16 + object.readUInt32LE(12)));
      return (header.sections as { name: string }[]).map((x) => x.name).join(",");
    });
    expect(orders.length).toBeGreaterThan(bounded.ranges);
    expect(orders.filter((o) => o === "ipEnds,ipCounts,ipKeys").length).toBeGreaterThanOrEqual(
      bounded.ranges,
    );
    await reduce(unbounded);
    await reduce(bounded);
    expect(tablesOf(bounded.out)).toEqual(tablesOf(unbounded.out));
  });

  it("give the outputs of one unbounded range for any generated file, range, chunk and table bound (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        edgarCsvArb({ maxLines: 50 }),
        // Ranges of a few rows and up (1-byte ranges are the core suite's: split-invariance).
        fc.integer({ min: 150, max: 3000 }),
        fc.integer({ min: 1, max: 300 }),
        fc.constantFrom(4, 8, 16),
        async (csv, rangeBytes, chunkBytes, ipTableSlots) => {
          const options = {
            mode: "permissive" as const,
            maxRecordBytes: csv.maxRecordBytes,
            quarantineLimitPerRange: 1_000_000,
          };
          const whole = await mapDay(csv.bytes, { rangeBytes: Math.max(1, csv.bytes.length) }, options);
          const split = await mapDay(csv.bytes, { rangeBytes, chunkBytes, ipTableSlots }, options);
          const [a, b] = [await reduce(whole), await reduce(split)];
          expect(b.validation.rows).toEqual(a.validation.rows);
          expect(tablesOf(split.out)).toEqual(tablesOf(whole.out));
        },
      ),
      { numRuns: 30, seed: 20_261_204 },
    );
  });

  it("fail the reduce when a run named is missing, is another attempt's, or a partial leaves its runs out", async () => {
    const bytes = dayOf();
    const fresh = () => mapDay(bytes, { rangeBytes: 3000, ipTableSlots: 8 });

    const missing = await fresh();
    const [first] = partialOf(missing.work, 1).ipRuns!;
    missing.work.objects.delete(first!.key);
    await expect(reduce(missing)).rejects.toThrow(`work/${first!.key} does not exist`);

    // Another run's bytes at a run's key (rewritten): not the run the partial names.
    const swapped = await fresh();
    const [a, b] = partialOf(swapped.work, 1).ipRuns!;
    swapped.work.objects.set(a!.key, swapped.work.objects.get(b!.key)!);
    const error = await reduce(swapped).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ContractError);
    expect((error as Error).message).toMatch(
      /^IP run work\/runs\/r1\/ip-runs\/range-00001\/.+ is not the run its partial names \(SHA-256 .+\): it was rewritten; rerun the execution$/,
    );

    // A partial that names none of its runs: its IP counts fall short of its ok rows.
    const forgotten = await fresh();
    const key = workKeys.partial("r1", 2);
    const { ipRuns: _, ...withoutRuns } = partialOf(forgotten.work, 2);
    forgotten.work.objects.set(key, encodePartial(withoutRuns));
    await expect(reduce(forgotten)).rejects.toThrow(
      /^the partials of run r1 count \d+ requests by IP but 400 ok rows: a partial's IP counts are missing or doubled; rerun the execution$/,
    );

    // A run named twice: counted twice.
    const doubled = await fresh();
    const p = partialOf(doubled.work, 0);
    const extra = { ...p.ipRuns![0]!, key: "runs/r1/ip-runs/range-00000/copy-0000.ipcounts" };
    doubled.work.objects.set(extra.key, doubled.work.objects.get(p.ipRuns![0]!.key)!);
    doubled.work.objects.set(
      workKeys.partial("r1", 0),
      encodePartial({ ...p, ipRuns: [...p.ipRuns!, extra] }),
    );
    await expect(reduce(doubled)).rejects.toThrow(/count \d+ requests by IP but 400 ok rows/);
  });

  it("of two attempts at one range at once are kept apart: the partial written last names its own", async () => {
    const bytes = dayOf();
    const run = await mapDay(bytes, { rangeBytes: 3000, ipTableSlots: 8 });
    const expected = await reduce(run);
    const tables = tablesOf(run.out);
    const source = memoryByteSource(bytes, "day.csv", 61);
    const task = { version: 1 as const, runId: "r1", planKey: run.planKey, index: 1 };
    // Two attempts of range 1 at once, with other table bounds: other runs, interleaved writes.
    await Promise.all(
      [4, 16].map((ipTableSlots) =>
        mapRange({ task, work: run.work, openSource: async () => source, ipTableSlots }),
      ),
    );
    const attempts = new Set(
      runKeys(run.work)
        .filter((k) => k.includes("range-00001/"))
        .map((k) => k.split("/")[4]!.slice(0, 8)),
    );
    expect(attempts.size).toBe(3);
    const again = { ...run, out: memoryObjectStore("out") };
    const got = await reduce(again);
    expect(got.validation.rows).toEqual(expected.validation.rows);
    expect(tablesOf(again.out)).toEqual(tables);
  });
});

describe("PartialReducer and the IP runs a partial names", () => {
  /** Range 0 of a day mapped with a tiny table: its partial, and its runs' counts by key. */
  async function spilledRange() {
    const day = await mapDay(dayOf(60, 30), { rangeBytes: 1_000_000, ipTableSlots: 8 });
    const partial = partialOf(day.work, 0);
    const plan = await readPlan(day.work, day.planKey);
    const runs = partial.ipRuns!.map((run) => ({
      run,
      counts: decodeIpRun(day.work.objects.get(run.key)!, run, run.key),
    }));
    expect(runs.length).toBeGreaterThan(1);
    return { plan, partial, runs };
  }

  it("merges a partial's runs with its own counts into the counts of its ok rows", async () => {
    const { plan, partial, runs } = await spilledRange();
    const reducer = new PartialReducer(plan);
    reducer.add(partial);
    for (const { run, counts } of runs) reducer.addIpRun(0, run, counts);
    const { merged } = reducer.result();
    expect(Array.from(merged.ipCounts.counts).reduce((a, b) => a + b, 0)).toBe(60);
    expect(merged.ipCounts.ends.length).toBe(new Set(Array.from({ length: 60 }, (_, i) => ipOf(i, 30))).size);
  });

  it("refuses to merge before every run named is added, a run no partial names, and a run added twice", async () => {
    const { plan, partial, runs } = await spilledRange();
    const reducer = new PartialReducer(plan);
    reducer.add(partial);
    for (const { run, counts } of runs.slice(1)) reducer.addIpRun(0, run, counts);
    expect(() => reducer.mergeIpCounts()).toThrow(
      `IP run ${runs[0]!.run.key}, named by partial 0 of run r1, was not read: the reduce would lose its counts`,
    );
    const { run, counts } = runs[1]!;
    expect(() => reducer.addIpRun(0, run, counts)).toThrow(ContractError);
    expect(() => reducer.addIpRun(0, { ...run, key: "elsewhere" }, counts)).toThrow(
      "IP run elsewhere is not named by partial 0 of run r1, or was added twice",
    );
    expect(() => reducer.addIpRun(1, runs[0]!.run, runs[0]!.counts)).toThrow(ContractError);
  });

  it("names a run whose counts are out of order by its key and its partial", async () => {
    const { plan, partial, runs } = await spilledRange();
    const reducer = new PartialReducer(plan);
    reducer.add(partial);
    const [first, ...rest] = runs;
    const { keys, ends, counts } = first!.counts;
    // The ends of the first two keys swapped: the keys' bounds go backwards.
    const backwards = Uint32Array.from(ends);
    backwards[0] = ends[1]!;
    backwards[1] = ends[0]!;
    reducer.addIpRun(0, first!.run, { keys, ends: backwards, counts });
    for (const { run, counts } of rest) reducer.addIpRun(0, run, counts);
    expect(() => reducer.mergeIpCounts()).toThrow(
      `IP counts of IP run ${first!.run.key} of partial 0 of run r1 have key ends out of order`,
    );
  });
});
