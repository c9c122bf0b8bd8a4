/**
 * Sampling (docs/architecture.md §3): keep a record iff hash(seed, record start offset) < fraction.
 * The hash must be a uniform number in [0, 1), deterministic, and different seeds must pick
 * independent samples; the share kept must match the fraction.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { makeSampler, sampleHash } from "../../functions/core/sample";

const N = 100_000;
/** Allowed deviation of a binomial count: 5 standard deviations, plus one for tiny fractions. */
const tolerance = (n: number, p: number) => 5 * Math.sqrt(n * p * (1 - p)) + 1;

/** Record-like offsets: consecutive bytes, and line starts ~150 bytes apart past 2^32. */
const OFFSET_SETS: [string, (i: number) => number][] = [
  ["consecutive offsets", (i) => i],
  ["line starts every 137-163 bytes", (i) => 95 + i * 150 + ((i * 7919) % 27) - 13],
  ["offsets past 4 GiB", (i) => 2 ** 32 + i * 149],
  ["offsets near 2^53", (i) => 2 ** 53 - 1 - i * 1_000_003],
];

describe("sampleHash", () => {
  it("is a number in [0, 1) for any integer seed and any offset up to 2^53", () => {
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), fc.maxSafeNat(), (seed, offset) => {
        const h = sampleHash(seed, offset);
        expect(h).toBeGreaterThanOrEqual(0);
        expect(h).toBeLessThan(1);
      }),
      { seed: 1, numRuns: 5000 },
    );
  });

  it("is deterministic: the same seed and offset always give the same value", () => {
    fc.assert(
      fc.property(fc.integer(), fc.maxSafeNat(), (seed, offset) => {
        expect(sampleHash(seed, offset)).toBe(sampleHash(seed, offset));
      }),
      { seed: 2, numRuns: 1000 },
    );
  });

  it.each(OFFSET_SETS)("is uniform over 20 buckets on 100k %s (chi-square)", (_, offsetAt) => {
    const buckets = new Array<number>(20).fill(0);
    for (let i = 0; i < N; i++) buckets[Math.floor(sampleHash(12_345, offsetAt(i)) * 20)]!++;
    const expected = N / 20;
    const chi2 = buckets.reduce((s, b) => s + (b - expected) ** 2 / expected, 0);
    // 19 degrees of freedom: P(chi2 > 50) is about 1e-4 for a uniform hash.
    expect(chi2).toBeLessThan(50);
  });
});

describe("makeSampler", () => {
  it.each(
    OFFSET_SETS.flatMap(([name, at]) =>
      [0.001, 0.01, 0.1, 0.5, 0.9, 0.99].map((f) => [f, name, at] as const),
    ),
  )("keeps a %f share of 100k %s", (fraction, _, offsetAt) => {
    const keep = makeSampler({ fraction, seed: 7 })!;
    let kept = 0;
    for (let i = 0; i < N; i++) if (keep(offsetAt(i))) kept++;
    expect(Math.abs(kept - N * fraction)).toBeLessThanOrEqual(tolerance(N, fraction));
  });

  it("keeps a record iff sampleHash(seed, offset) < fraction", () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.000_001, max: 0.999_999, noNaN: true }),
        fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
        fc.maxSafeNat(),
        (fraction, seed, offset) => {
          expect(makeSampler({ fraction, seed })!(offset)).toBe(sampleHash(seed, offset) < fraction);
        },
      ),
      { seed: 3, numRuns: 2000 },
    );
  });

  it("with no sample, or fraction 1, keeps everything (no sampler at all)", () => {
    expect(makeSampler(null)).toBeNull();
    expect(makeSampler({ fraction: 1, seed: 99 })).toBeNull();
  });

  it("a larger fraction keeps a superset (same seed)", () => {
    const small = makeSampler({ fraction: 0.2, seed: 5 })!;
    const large = makeSampler({ fraction: 0.6, seed: 5 })!;
    for (let i = 0; i < N; i++) if (small(i * 131)) expect(large(i * 131)).toBe(true);
  });

  it("different seeds pick independent samples, and neighbouring offsets are independent", () => {
    // Prepare
    const a = makeSampler({ fraction: 0.5, seed: 1 })!;
    const b = makeSampler({ fraction: 0.5, seed: 2 })!;
    const negative = makeSampler({ fraction: 0.5, seed: -1 })!;

    // Act
    let both = 0;
    let withNegative = 0;
    let neighbours = 0;
    for (let i = 0; i < N; i++) {
      const o = 95 + i * 150;
      if (a(o) && b(o)) both++;
      if (a(o) && negative(o)) withNegative++;
      if (a(o) && a(o + 1)) neighbours++;
    }

    // Assess: each pair overlaps on a quarter of the records, as independent coins would
    for (const n of [both, withNegative, neighbours]) {
      expect(Math.abs(n - N / 4)).toBeLessThanOrEqual(tolerance(N, 0.25));
    }
  });

  it("seeds 2^32 apart pick independent samples (the whole seed counts)", () => {
    const a = makeSampler({ fraction: 0.5, seed: 7 })!;
    const b = makeSampler({ fraction: 0.5, seed: 7 + 2 ** 32 })!;
    let both = 0;
    for (let i = 0; i < N; i++) if (a(95 + i * 150) && b(95 + i * 150)) both++;
    expect(Math.abs(both - N / 4)).toBeLessThanOrEqual(tolerance(N, 0.25));
  });
});
