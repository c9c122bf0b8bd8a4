/**
 * planRanges (docs/architecture.md §2): cut [dataStart, size) into consecutive ranges of
 * rangeBytes, the last maybe shorter; never more than maxRanges (the range size grows instead);
 * none for no data.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../functions/core/errors";
import {
  MAX_RANGES,
  MAX_WORKER_RANGE_BYTES,
  planRanges,
  rangeBytesForWorkers,
} from "../../functions/core/plan";

/** Checks the tiling and returns the common range length (all but the last). */
function assertTiles(ranges: ReturnType<typeof planRanges>, dataStart: number, size: number): number {
  expect(ranges[0]!.start).toBe(dataStart);
  expect(ranges.at(-1)!.end).toBe(size);
  const step = ranges[0]!.end - ranges[0]!.start;
  // One expect for the whole list (thousands of ranges): the first range that breaks the tiling.
  const fault = ranges.find((r, i) => {
    const contiguous = i === 0 || r.start === ranges[i - 1]!.end;
    const length = r.end - r.start;
    const sized = i < ranges.length - 1 ? length === step : length > 0 && length <= step;
    return r.index !== i || !contiguous || !sized;
  });
  expect(fault).toBeUndefined();
  return step;
}

/** dataStart, dataBytes (up to 1 TiB), rangeBytes and maxRanges of a plan that may hit maxRanges. */
const boundedPlan = [
  fc.nat({ max: 1000 }),
  fc.integer({ min: 1, max: 2 ** 40 }),
  fc.integer({ min: 1, max: 1 << 20 }),
  fc.integer({ min: 1, max: 2000 }),
] as const;

describe("planRanges", () => {
  it("tiles [dataStart, size) with contiguous ranges of rangeBytes, the last maybe shorter", () => {
    fc.assert(
      fc.property(
        fc.nat({ max: 1 << 20 }),
        fc.integer({ min: 1, max: 1 << 22 }),
        fc.integer({ min: 1, max: 1 << 16 }),
        (dataStart, dataBytes, rangeBytes) => {
          const size = dataStart + dataBytes;
          fc.pre(Math.ceil(dataBytes / rangeBytes) <= MAX_RANGES);

          const ranges = planRanges(dataStart, size, rangeBytes);

          expect(ranges).toHaveLength(Math.ceil(dataBytes / rangeBytes));
          expect(assertTiles(ranges, dataStart, size)).toBe(Math.min(rangeBytes, dataBytes));
        },
      ),
      { seed: 11, numRuns: 500 },
    );
  });

  it("never makes more than maxRanges: the range size grows, to the smallest that fits", () => {
    fc.assert(
      fc.property(...boundedPlan, (dataStart, dataBytes, rangeBytes, maxRanges) => {
        const size = dataStart + dataBytes;

        const ranges = planRanges(dataStart, size, rangeBytes, maxRanges);

        expect(ranges.length).toBeLessThanOrEqual(maxRanges);
        const step = assertTiles(ranges, dataStart, size);
        expect(step).toBeGreaterThanOrEqual(Math.min(rangeBytes, dataBytes));
        // Grown only as much as needed: one byte less per range would not fit in maxRanges.
        if (step > rangeBytes) expect(Math.ceil(dataBytes / (step - 1))).toBeGreaterThan(maxRanges);
      }),
      { seed: 12, numRuns: 500 },
    );
  });

  it("rounds more than one range up to a multiple of the workers, cut evenly, none above rangeBytes", () => {
    fc.assert(
      fc.property(
        ...boundedPlan,
        fc.integer({ min: 1, max: 64 }),
        (dataStart, dataBytes, rangeBytes, maxRanges, workers) => {
          const size = dataStart + dataBytes;
          const plain = planRanges(dataStart, size, rangeBytes, maxRanges);

          const ranges = planRanges(dataStart, size, rangeBytes, maxRanges, workers);

          expect(ranges[0]!.start).toBe(dataStart);
          expect(ranges.at(-1)!.end).toBe(size);
          const lengths = ranges.map((r) => r.end - r.start);
          const fault = ranges.find(
            (r, i) => r.index !== i || (i > 0 && r.start !== ranges[i - 1]!.end) || lengths[i]! < 1,
          );
          expect(fault).toBeUndefined();
          if (ranges.length !== plain.length) {
            expect(Math.max(...lengths) - Math.min(...lengths)).toBeLessThanOrEqual(1);
          }
          expect(Math.max(...lengths)).toBeLessThanOrEqual(plain[0]!.end - plain[0]!.start);
          expect(ranges.length).toBeLessThanOrEqual(maxRanges);
          const rounded = Math.min(Math.ceil(plain.length / workers) * workers, maxRanges, dataBytes);
          if (plain.length === 1 || rounded === plain.length) expect(ranges).toEqual(plain);
          else expect(ranges.length).toBe(rounded);
        },
      ),
      { seed: 13, numRuns: 500 },
    );
    // 1 GB at 64 MiB: 15 ranges, 16 on two workers.
    expect(planRanges(95, 1e9, 64 << 20, MAX_RANGES, 2)).toHaveLength(16);
    expect(planRanges(95, 1e9, 64 << 20, MAX_RANGES, 1)).toHaveLength(15);
  });

  it("defaults maxRanges to 10,000: a 2.7 GB day at 1-byte ranges gets 10,000 ranges", () => {
    const size = 2_730_000_000;
    const ranges = planRanges(95, size, 1);
    expect(MAX_RANGES).toBe(10_000);
    expect(ranges).toHaveLength(10_000);
    assertTiles(ranges, 95, size);
  });

  it("makes no ranges when there is no data after the header", () => {
    expect(planRanges(0, 0, 1)).toEqual([]);
    expect(planRanges(95, 95, 64 << 20)).toEqual([]);
  });

  it("makes one range when rangeBytes covers the data", () => {
    expect(planRanges(95, 1000, 905)).toEqual([{ index: 0, start: 95, end: 1000 }]);
    expect(planRanges(95, 1000, 64 << 20)).toEqual([{ index: 0, start: 95, end: 1000 }]);
    expect(planRanges(95, 1000, 904)).toEqual([
      { index: 0, start: 95, end: 999 },
      { index: 1, start: 999, end: 1000 },
    ]);
  });

  it.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53])(
    "rejects rangeBytes %s with a ConfigError naming it",
    (rangeBytes) => {
      expect(() => planRanges(0, 100, rangeBytes)).toThrow(ConfigError);
      expect(() => planRanges(0, 100, rangeBytes)).toThrow(
        `rangeBytes must be a whole number >= 1, got ${rangeBytes}`,
      );
    },
  );

  it("rejects a dataStart outside the object", () => {
    expect(() => planRanges(101, 100, 10)).toThrow(ConfigError);
    expect(() => planRanges(-1, 100, 10)).toThrow(/dataStart -1 is outside the object \(size 100\)/);
  });
});

describe("rangeBytesForWorkers", () => {
  const MiB = 1 << 20;

  it("is the smallest size that gives each worker at most two rounds, within [floor, ceiling]", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 42 }),
        fc.integer({ min: 1, max: 64 }),
        fc.integer({ min: 1, max: 1 << 30 }),
        fc.integer({ min: 0, max: 1 << 30 }),
        (dataBytes, workers, floor, extra) => {
          const ceiling = floor + extra;
          const rangeBytes = rangeBytesForWorkers(dataBytes, workers, floor, ceiling);
          expect(Number.isSafeInteger(rangeBytes)).toBe(true);
          expect(rangeBytes).toBeGreaterThanOrEqual(floor);
          expect(rangeBytes).toBeLessThanOrEqual(ceiling);
          // The smallest size that maps the data in at most two rounds, unless a bound says otherwise.
          if (rangeBytes < ceiling)
            expect(Math.ceil(dataBytes / rangeBytes)).toBeLessThanOrEqual(2 * workers);
          if (rangeBytes > floor)
            expect(Math.ceil(dataBytes / (rangeBytes - 1))).toBeGreaterThan(2 * workers);
        },
      ),
      { seed: 17, numRuns: 500 },
    );
  });

  it("sizes the bench's days for 2 workers: 1 GB in 4 ranges, 2.7 GB at the 256 MiB ceiling, 2 MB at the floor", () => {
    expect(MAX_WORKER_RANGE_BYTES).toBe(256 * MiB);
    expect(rangeBytesForWorkers(1e9, 2, 64 * MiB)).toBe(250_000_000);
    expect(planRanges(95, 1e9, rangeBytesForWorkers(1e9, 2, 64 * MiB), MAX_RANGES, 2)).toHaveLength(4);
    expect(rangeBytesForWorkers(2.7e9, 2, 64 * MiB)).toBe(256 * MiB);
    expect(planRanges(95, 2.7e9, 256 * MiB, MAX_RANGES, 2)).toHaveLength(12);
    expect(rangeBytesForWorkers(2e6, 2, 64 * MiB)).toBe(64 * MiB);
    // One worker still gets two rounds; a worker count below one counts as one.
    expect(rangeBytesForWorkers(1e8, 1, MiB)).toBe(50_000_000);
    expect(rangeBytesForWorkers(1e8, 0, MiB)).toBe(50_000_000);
  });
});
