/**
 * A partial with its IP counts as 64-bit floats, whichever width it holds them in (a decoded one
 * the 32-bit view they travel in, a counted one 32 bits when they fit): the values are what a
 * test compares.
 */
import type { RangePartial } from "../../functions/core/partial";

export function withFloatCounts(partial: RangePartial): RangePartial {
  const { ipCounts } = partial.aggregate;
  return {
    ...partial,
    aggregate: {
      ...partial.aggregate,
      ipCounts: { ...ipCounts, counts: Float64Array.from(ipCounts.counts) },
    },
  };
}
