// Mutation testing of the pure core and the stages: `npm run test:mutation` (slow; not in CI).
// Narrow it with `npx stryker run --mutate functions/core/coverage.ts,...`.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: "vitest",
  vitest: { configFile: "vitest.mutation.config.ts" },
  coverageAnalysis: "perTest",
  concurrency: 2,
  mutate: ["functions/core/**/*.ts", "functions/stages/**/*.ts"],
  reporters: ["clear-text", "progress", "html", "json"],
  htmlReporter: { fileName: ".cache/mutation/report.html" },
  jsonReporter: { fileName: ".cache/mutation/report.json" },
  tempDirName: ".cache/stryker-tmp",
  // The sandbox is a copy of the project: leave out the caches (bench files run to gigabytes).
  ignorePatterns: ["/.cache", "/cdk.out", "/bench", "/coverage"],
  timeoutMS: 20_000,
  thresholds: { high: 90, low: 85, break: null },
};
