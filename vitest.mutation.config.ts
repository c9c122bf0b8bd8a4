import { defineConfig } from "vitest/config";

/**
 * The tests mutation testing runs for every mutant: the core's and the stages' own, fast ones.
 * End-to-end, infra and CLI tests (S3 servers, synthesis, child processes) are left out.
 */
export default defineConfig({
  test: {
    include: ["test/core/**/*.test.ts", "test/stages/**/*.test.ts"],
    exclude: ["test/core/report-in-browser.test.ts", "test/core/real-files.test.ts"],
    testTimeout: 60_000,
    pool: "forks",
  },
});
