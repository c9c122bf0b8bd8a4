/**
 * The reducer over thousands of small partials: a generated day cut into many tiny ranges, each
 * mapped to a partial in a work directory, then the reduce stage run in a process of its own
 * (file object stores, as the reduce Lambda runs over S3). Its tables must equal a single-range
 * run's, byte for byte and as DuckDB reads them, and its peak RSS must stay within the reduce
 * Lambda's configured memory. `npm test` reduces 2,000 partials; `npm run test:chaos` runs
 * the same with MAX_RANGES (10,000), in test/chaos/reduce-max-ranges.test.ts.
 */
import { describe, it } from "vitest";
import { reducerOverManyPartials } from "../helpers/many-partials";

describe("the reducer over many small partials", () => {
  it("2,000 partials reduce to a single-range run's tables, within the reduce Lambda's memory", async () => {
    await reducerOverManyPartials({ bytes: 300_000, ranges: 2_000, seed: 31 });
  });
});
