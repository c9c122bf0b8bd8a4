/**
 * The reducer at MAX_RANGES: 10,000 partials, of a 1 MB day (most ranges hold a record or none)
 * and of a 50 MB day (each partial carries its own IPs), reduced in a process of its own; the
 * tables must equal a single-range run's and the peak RSS stay within the reduce Lambda's
 * memory. Only in `npm run test:chaos`; `npm test` runs 2,000 partials (test/reduce/).
 */
import { describe, it } from "vitest";
import { MAX_RANGES } from "../../functions/core/plan";
import { reducerOverManyPartials } from "../helpers/many-partials";

const CHAOS = process.env.EDGAR_CHAOS === "1";

describe.skipIf(!CHAOS)("the reducer over MAX_RANGES partials", () => {
  it.each([
    { bytes: 1_000_000, seed: 32 },
    { bytes: 50_000_000, seed: 33 },
  ])(
    "$bytes bytes in 10,000 partials reduce to a single-range run's tables",
    { timeout: 600_000 },
    async ({ bytes, seed }) => {
      await reducerOverManyPartials({ bytes, ranges: MAX_RANGES, seed });
    },
  );
});
