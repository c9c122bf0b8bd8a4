#!/usr/bin/env node
// Runs the TypeScript CLI from a bundle that the first run builds (../bundles.mjs), so no build
// step stands between a clone and a run, and no run pays for compiling its sources at load.
import { spawnSync } from "node:child_process";
import { constants } from "node:os";

// On Linux the process starts again, once, with glibc's malloc asked to back its large blocks
// (typed arrays: chunks, IP tables, partials, Parquet pages) with transparent huge pages. A run
// touches hundreds of MB of fresh memory, and on a VM each first touch of a 4 KiB page costs
// 15-25 us: one fault per 2 MiB instead makes that up to ~50x cheaper. glibc before 2.35, and
// other C libraries, ignore the setting. EDGAR_ETL_MALLOC_TUNING=off keeps the default.
const HUGE_PAGES = "glibc.malloc.hugetlb=1";
const tunables = process.env.GLIBC_TUNABLES ?? "";
if (
  process.platform === "linux" &&
  process.env.EDGAR_ETL_MALLOC_TUNING !== "off" &&
  !tunables.split(":").some((t) => t.startsWith("glibc.malloc.hugetlb="))
) {
  const child = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: "inherit",
    env: { ...process.env, GLIBC_TUNABLES: tunables === "" ? HUGE_PAGES : `${tunables}:${HUGE_PAGES}` },
  });
  if (child.error !== undefined) throw child.error;
  process.exit(child.status ?? 128 + (constants.signals[child.signal] ?? 0));
}

// The AWS SDK warns once per thread that Node 20 loses its support in 2027; the deployed Lambdas
// run Node 24, and locally the notice would repeat for every Lambda worker.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
// Loaded only here, past the restart: the first process does no more than start the second.
const { loadCli } = await import("../bundles.mjs");
const { runCli } = await loadCli();
await runCli(process.argv.slice(2));
