import { defineConfig } from "vitest/config";

/**
 * The tests mutation testing runs for every mutant: the unit tests of the files it mutates by
 * default. End-to-end, infra, CLI and the heavy property suites (split invariance, merge) are left
 * out: each would run for most mutants of the core and multiply the run's time (header
 * rejections, which bad-input.test.ts checks through the local pipeline, have header.test.ts).
 */
export default defineConfig({
  test: {
    include: [
      "test/core/coverage.test.ts",
      "test/core/validation-checks.test.ts",
      "test/core/validation.test.ts",
      "test/core/plan.test.ts",
      "test/core/header.test.ts",
      "test/core/sample.test.ts",
      "test/core/sample-hash.test.ts",
      "test/core/quoted-line.test.ts",
      "test/core/run-options.test.ts",
      "test/core/quarantine-limit.test.ts",
      "test/core/byte-counter.test.ts",
      "test/core/range-scanner.test.ts",
      "test/core/process-range.test.ts",
      "test/core/field-typing.test.ts",
      "test/core/hash.test.ts",
      "test/core/tables.test.ts",
      "test/core/archive.test.ts",
      "test/core/partial-codec.test.ts",
      "test/stages/**/*.test.ts",
    ],
    testTimeout: 60_000,
    pool: "forks",
  },
});
