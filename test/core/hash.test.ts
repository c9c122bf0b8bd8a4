/**
 * fmix32 is murmur3's 32-bit finaliser. Expected values are the published MurmurHash3_x86_32
 * test vectors whose last step is fmix32 alone: for an empty input with seed s the hash is
 * fmix32(s); for four zero bytes with seed 0 the body leaves 0xe6546b64 ^ 4 = 0xe6546b60.
 */
import { describe, expect, it } from "vitest";
import { fmix32 } from "../../functions/core/hash";

describe("fmix32", () => {
  it("gives the MurmurHash3_x86_32 test vectors' values", () => {
    expect(fmix32(0)).toBe(0);
    expect(fmix32(1)).toBe(0x514e28b7); // murmur3("", seed 1)
    expect(fmix32(0xffffffff)).toBe(0x81f16f39); // murmur3("", seed 0xffffffff)
    expect(fmix32(0xe6546b60)).toBe(0x2362f9de); // murmur3("\0\0\0\0", seed 0)
  });

  it("reads its input as 32 bits and returns an unsigned 32-bit value", () => {
    expect(fmix32(-1)).toBe(0x81f16f39);
    expect(fmix32(2 ** 32 + 1)).toBe(0x514e28b7);
    for (let v = 0; v < 2000; v++) {
      const h = fmix32(v * 0x9e3779b1);
      expect(Number.isInteger(h) && h >= 0 && h < 2 ** 32).toBe(true);
    }
  });

  it("is one-to-one: distinct inputs, distinct outputs", () => {
    const seen = new Set<number>();
    for (let v = 0; v < 50_000; v++) seen.add(fmix32(v));
    expect(seen.size).toBe(50_000);
  });
});
