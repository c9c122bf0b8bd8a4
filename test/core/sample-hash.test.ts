/** The sampling hash: uniform in [0, 1), every bit of the offset counts, the fraction is exclusive. */
import { describe, expect, it } from "vitest";
import { makeSampler, sampleHash } from "../../functions/core/sample";

describe("sampleHash", () => {
  it("stays in [0, 1) for offsets across the whole 2^53 range", () => {
    for (const offset of [0, 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 40 + 7, 2 ** 52, 2 ** 53 - 1]) {
      for (const seed of [0, 1, -1, 2 ** 40, -(2 ** 40)]) {
        const h = sampleHash(seed, offset);
        expect(h, `${seed} ${offset}`).toBeGreaterThanOrEqual(0);
        expect(h).toBeLessThan(1);
      }
    }
    let below = 0;
    for (let offset = 0; offset < 20_000; offset++) {
      const h = sampleHash(7, offset * 131);
      expect(h).toBeGreaterThanOrEqual(0);
      if (h < 0.5) below++;
    }
    expect(below).toBeGreaterThan(9_500);
    expect(below).toBeLessThan(10_500);
  });

  it("offsets 2^32 apart hash differently (the high half counts)", () => {
    for (const offset of [0, 5, 123_456]) {
      expect(sampleHash(1, offset)).not.toBe(sampleHash(1, offset + 2 ** 32));
      expect(sampleHash(1, offset + 2 ** 32)).not.toBe(sampleHash(1, offset + 2 ** 33));
    }
  });

  it("keeps a record iff its hash is below the fraction: a hash equal to it is not kept", () => {
    const fraction = sampleHash(9, 1000);
    const keep = makeSampler({ fraction, seed: 9 })!;
    expect(keep(1000)).toBe(false);
    expect(makeSampler({ fraction: Math.min(1, fraction + 2 ** -40), seed: 9 })!(1000)).toBe(true);
    expect(makeSampler({ fraction: 1, seed: 9 })).toBeNull();
    expect(makeSampler(null)).toBeNull();
  });
});
