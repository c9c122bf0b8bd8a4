/**
 * mergeAggregates is the reducer's fold: associative and commutative with emptyAggregate() as
 * identity, so the result depends only on the set of partials, never on the order they are read
 * or grouped in. Partials come from real runs of the core over generated files, split at random.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type Aggregate,
  AggregateMerger,
  emptyAggregate,
  ipCountList,
  mergeAggregates,
} from "../../functions/core/aggregate";
import { ContractError } from "../../functions/core/errors";
import { decodePartial, encodePartial } from "../../functions/core/partial-codec";
import { reducePartials } from "../../functions/core/reduce";
import { withFloatCounts } from "../helpers/decoded-partial";
import { edgarCsvArb } from "../helpers/edgar-arbitraries";
import { csvLine, EDGAR_HEADER, edgarRow, utf8 } from "../helpers/edgar-csv";
import { heavyProperty } from "../helpers/property";
import { runCore } from "../helpers/run-core";
import { compareUtf8, ipCountsOf } from "../helpers/tables";

const SEED = 8_675_309;

/** The partial aggregates of one generated file cut into ranges of `rangeBytes`. */
async function partialsOf(csv: { bytes: Uint8Array; maxRecordBytes: number }, rangeBytes: number) {
  const { partials } = await runCore({
    bytes: csv.bytes,
    rangeBytes,
    chunkBytes: 64,
    options: { maxRecordBytes: csv.maxRecordBytes, quarantineLimitPerRange: 1_000_000 },
  });
  return partials;
}

/** A permutation of 0..n-1 driven by fast-check's random keys. */
function permutation(n: number, keys: readonly number[]): number[] {
  return Array.from({ length: n }, (_, i) => i).sort(
    (a, b) => (keys[a % keys.length]! ^ a) - (keys[b % keys.length]! ^ b) || a - b,
  );
}

const input = fc.record({
  csv: edgarCsvArb({ maxLines: 30 }),
  rangeBytes: fc.integer({ min: 20, max: 600 }),
  keys: fc.array(fc.nat({ max: 1 << 20 }), { minLength: 1, maxLength: 64 }),
});

describe("mergeAggregates", () => {
  it("is commutative: any order of the partials gives the same aggregate", async () => {
    await fc.assert(
      fc.asyncProperty(input, async ({ csv, rangeBytes, keys }) => {
        // Prepare
        const parts = (await partialsOf(csv, rangeBytes)).map((p) => p.aggregate);
        const shuffled = permutation(parts.length, keys).map((i) => parts[i]!);

        // Act / Assess
        expect(mergeAggregates(shuffled)).toEqual(mergeAggregates(parts));
        expect(mergeAggregates([...parts].reverse())).toEqual(mergeAggregates(parts));
      }),
      heavyProperty(SEED, 100),
    );
  });

  it("is associative: merging merged groups, in any tree shape or interleaved, equals merging all at once", async () => {
    await fc.assert(
      fc.asyncProperty(input, async ({ csv, rangeBytes, keys }) => {
        // Prepare: canonical leaves (a range's own ip counts are in hash-table order)
        const parts = (await partialsOf(csv, rangeBytes)).map((p) => mergeAggregates([p.aggregate]));
        const all = mergeAggregates(parts);

        // Act: a random split in two, and a random binary tree of pairwise merges
        const cut = keys[0]! % (parts.length + 1);
        const twoGroups = mergeAggregates([
          mergeAggregates(parts.slice(0, cut)),
          mergeAggregates(parts.slice(cut)),
        ]);
        const pool: Aggregate[] = [...parts];
        let k = 0;
        while (pool.length > 1) {
          const i = keys[k++ % keys.length]! % (pool.length - 1);
          pool.splice(i, 2, mergeAggregates([pool[i]!, pool[i + 1]!]));
        }

        // Interleaved groups: the even ranges and the odd ones, whose rows alternate in the file.
        const interleaved = mergeAggregates([
          mergeAggregates(parts.filter((_, i) => i % 2 === 0)),
          mergeAggregates(parts.filter((_, i) => i % 2 === 1)),
        ]);

        // Assess
        expect(twoGroups).toEqual(all);
        expect(pool[0] ?? emptyAggregate()).toEqual(all);
        expect(interleaved).toEqual(all);
      }),
      heavyProperty(SEED, 100),
    );
  });

  it("has emptyAggregate() as identity, and merging one aggregate gives it back, ip counts sorted", async () => {
    expect(mergeAggregates([])).toEqual(emptyAggregate());
    await fc.assert(
      fc.asyncProperty(input, async ({ csv, rangeBytes }) => {
        for (const { aggregate: range } of await partialsOf(csv, rangeBytes)) {
          const a = mergeAggregates([range]);
          const byIp = (x: Aggregate) => {
            const { ip, count } = ipCountList(x.ipCounts);
            return new Map(ip.map((k, i) => [k, count[i]]));
          };
          expect(byIp(a)).toEqual(byIp(range));
          expect(ipCountList(a.ipCounts).ip).toEqual([...byIp(range).keys()].sort(compareUtf8));
          expect({ ...a, ipCounts: null }).toEqual({ ...range, ipCounts: null });
          expect(mergeAggregates([a])).toEqual(a);
          expect(mergeAggregates([a, emptyAggregate()])).toEqual(a);
          expect(mergeAggregates([emptyAggregate(), a, emptyAggregate()])).toEqual(a);
        }
      }),
      heavyProperty(SEED, 50),
    );
  });

  it("does not modify its inputs", async () => {
    await fc.assert(
      fc.asyncProperty(input, async ({ csv, rangeBytes }) => {
        const parts = (await partialsOf(csv, rangeBytes)).map((p) => p.aggregate);
        const before = structuredClone(parts);
        mergeAggregates(parts);
        mergeAggregates([...parts].reverse());
        expect(parts).toEqual(before);
      }),
      heavyProperty(SEED, 50),
    );
  });

  it("merges the IP counts ahead of result() to the same aggregate, merging them once", async () => {
    await fc.assert(
      fc.asyncProperty(input, async ({ csv, rangeBytes }) => {
        const parts = (await partialsOf(csv, rangeBytes)).map((p) => p.aggregate);
        const ahead = new AggregateMerger();
        for (const p of parts) ahead.add(p);
        ahead.mergeIpCounts();
        ahead.mergeIpCounts();
        expect(ahead.result()).toEqual(mergeAggregates(parts));
      }),
      heavyProperty(SEED, 30),
    );
  });

  it("gives the same result from partials that went through encodePartial/decodePartial", async () => {
    await fc.assert(
      fc.asyncProperty(input, async ({ csv, rangeBytes }) => {
        const partials = await partialsOf(csv, rangeBytes);
        const decoded = partials.map((p, i) => decodePartial(encodePartial(p), `partial ${i}`));
        expect(decoded.map(withFloatCounts)).toEqual(partials.map(withFloatCounts));
        expect(mergeAggregates(decoded.map((p) => p.aggregate))).toEqual(
          mergeAggregates(partials.map((p) => p.aggregate)),
        );
      }),
      heavyProperty(SEED, 50),
    );
  });

  it("adds counts and keeps rows in file order across hand-made partials", () => {
    // Prepare: two ranges' worth, given in reverse file order
    const early = emptyAggregate();
    early.rows = { read: 2, ok: 1, corrupt: 1, sampledOut: 0, blank: 3 };
    early.corruptByReason = { bad_date: 1 };
    early.errorsByHour[4] = 1;
    early.serverErrors = {
      offset: [100],
      date: ["2017-06-30"],
      time: ["04:00:00"],
      extention: [null],
      code: [503],
    };
    early.ipCounts = ipCountsOf(["b"], [1]);
    early.minDate = "2017-06-30";
    early.maxDate = "2017-06-30";
    const late = emptyAggregate();
    late.rows = { read: 3, ok: 3, corrupt: 0, sampledOut: 0, blank: 0 };
    late.errorsByHour[4] = 2;
    late.serverErrors = {
      offset: [500, 900],
      date: ["2017-07-01", "2017-07-01"],
      time: ["04:00:00", "04:30:00"],
      extention: [".txt", "日本"],
      code: [500, 599],
    };
    late.ipCounts = ipCountsOf(["a", "b"], [2, 1]);
    late.minDate = "2017-07-01";
    late.maxDate = "2017-07-01";

    // Act
    const m = mergeAggregates([late, early]);

    // Assess
    expect(m.rows).toEqual({ read: 5, ok: 4, corrupt: 1, sampledOut: 0, blank: 3 });
    expect(m.corruptByReason).toEqual({ bad_date: 1 });
    expect(m.errorsByHour[4]).toBe(3);
    expect(m.serverErrors.offset).toEqual([100, 500, 900]);
    expect(m.serverErrors.extention).toEqual([null, ".txt", "日本"]);
    expect(ipCountList(m.ipCounts)).toEqual({ ip: ["a", "b"], count: [2, 2] });
    expect([m.minDate, m.maxDate]).toEqual(["2017-06-30", "2017-07-01"]);
  });

  it("names the part whose IP counts are out of order: its place among the parts, or its range and run", async () => {
    const outOfOrder: Aggregate = {
      ...emptyAggregate(),
      ipCounts: {
        keys: new Uint8Array(Buffer.from("ba")),
        ends: Uint32Array.of(1, 2),
        counts: Float64Array.of(1, 1),
      },
    };
    expect(() => mergeAggregates([emptyAggregate(), outOfOrder])).toThrow(ContractError);
    expect(() => mergeAggregates([emptyAggregate(), outOfOrder])).toThrow(
      /IP counts of part 2 are not in strictly/,
    );
    const { plan, partials } = await runCore({ bytes: utf8(`${EDGAR_HEADER}\n${csvLine(edgarRow({}))}\n`) });
    const bad = { ...partials[0]!, aggregate: { ...partials[0]!.aggregate, ipCounts: outOfOrder.ipCounts } };
    expect(() => reducePartials(plan, [bad])).toThrow(
      `IP counts of partial ${bad.index} of run ${plan.runId} are not in strictly ascending byte order at entry 1`,
    );
  });

  it("lists IP keys as the file's text, a leading byte-order mark kept", () => {
    const bom = Buffer.from("\ufeff10.0.0.abc", "utf8");
    const list = ipCountList({
      keys: new Uint8Array(bom),
      ends: Uint32Array.of(bom.length),
      counts: Float64Array.of(3),
    });
    expect(list).toEqual({ ip: ["\ufeff10.0.0.abc"], count: [3] });
  });
});
