/**
 * rankIps orders ip positions by count descending, then position (key order) ascending: the
 * counting sort for small counts and the comparator fallback for huge ones agree with a plain sort.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { rankIps } from "../../functions/core/tables";
import { ipCountsOf } from "../helpers/tables";

const plainRank = (counts: readonly number[]) =>
  counts.map((_, i) => i).sort((a, b) => counts[b]! - counts[a]! || a - b);

describe("rankIps", () => {
  it("equals a comparator sort for small counts, ties in key order (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 40 }), { maxLength: 300 }), (counts) => {
        const ips = counts.map((_, i) => `ip${String(i).padStart(4, "0")}`);
        expect(Array.from(rankIps(ipCountsOf(ips, counts)))).toEqual(plainRank(counts));
      }),
      { seed: 5, numRuns: 200 },
    );
  });

  it("equals a comparator sort when counts are too large to bucket (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 2 ** 21, max: 2 ** 52 })), {
          minLength: 1,
          maxLength: 100,
        }),
        (counts) => {
          const ips = counts.map((_, i) => `ip${String(i).padStart(4, "0")}`);
          expect(Array.from(rankIps(ipCountsOf(ips, counts)))).toEqual(plainRank(counts));
        },
      ),
      { seed: 6, numRuns: 100 },
    );
  });

  it("equals a comparator sort when some counts are not whole numbers (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 8 }), { minLength: 1, maxLength: 100 }),
        fc.nat(),
        (halves, at) => {
          const counts = halves.map((h) => h / 2);
          counts[at % counts.length] = 1.5;
          const ips = counts.map((_, i) => `ip${String(i).padStart(4, "0")}`);
          expect(Array.from(rankIps(ipCountsOf(ips, counts)))).toEqual(plainRank(counts));
        },
      ),
      { seed: 7, numRuns: 100 },
    );
  });

  it("ranks nothing for no ips", () => {
    expect(Array.from(rankIps(ipCountsOf([], [])))).toEqual([]);
  });
});
