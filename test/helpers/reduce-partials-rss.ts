/**
 * The reduce stage over a work directory of partials, in a process of its own, as the reduce
 * Lambda runs it (file object stores for the work and output buckets); prints the ranges
 * reduced, the rows, the seconds and the process's peak RSS.
 * Usage: node --import tsx test/helpers/reduce-partials-rss.ts <workDir> <planKey> <outDir>
 */
import { fileObjectStore } from "../../functions/adapters/file-object-store";
import { reduceRun } from "../../functions/stages/reduce-stage";

const [workDir, planKey, outDir] = process.argv.slice(2);
const started = performance.now();
const { validation } = await reduceRun({
  planKey: planKey!,
  work: fileObjectStore(workDir!),
  out: fileObjectStore(outDir!),
});
// maxRSS is in KiB on Linux.
console.log(
  JSON.stringify({
    ranges: validation.coverage.ranges,
    rowsRead: validation.rows.read,
    seconds: (performance.now() - started) / 1000,
    maxRssMiB: process.resourceUsage().maxRSS / 1024,
  }),
);
