/**
 * Deterministic sampling keyed by a record's byte offset, so the same records are kept
 * whatever the range size (unlike Spark's per-partition sampler).
 */

import { fmix32 } from "./hash";

/** A uniform number in [0, 1) from (seed, offset); any safe-integer seed, offsets up to 2^53. */
export function sampleHash(seed: number, offset: number): number {
  const lo = offset >>> 0;
  const hi = Math.floor(offset / 0x100000000) >>> 0;
  // Both halves of the seed count, so seeds 2^32 apart sample differently.
  const s = fmix32(seed >>> 0) ^ Math.floor(seed / 0x100000000);
  const a = fmix32(fmix32(lo ^ Math.imul(s, 0x9e3779b1)) ^ hi);
  const b = fmix32(a ^ 0x5bd1e995 ^ s);
  return (a * 0x200000 + (b >>> 11)) / 0x20000000000000;
}

/** Returns a predicate "keep the record starting at this offset", or null when all are kept. */
export function makeSampler(
  sample: { fraction: number; seed: number } | null,
): ((offset: number) => boolean) | null {
  if (sample === null || sample.fraction >= 1) return null;
  const { fraction, seed } = sample;
  return (offset) => sampleHash(seed, offset) < fraction;
}
