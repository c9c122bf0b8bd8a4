/**
 * A decoded partial as it was before encoding: its IP counts arrive as the 32-bit view they
 * travel in, counted ones are 64-bit floats; the values are what a test compares.
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
