/**
 * One mapper over one range of a local file, in a process of its own, as the map Lambda runs it
 * (plan stage, then map stage over a file ByteSource); prints the rows it read and its peak RSS.
 * Usage: node --import tsx test/chaos/map-range-rss.ts <csv> <rangeBytes> <workDir>
 */
import { openFileByteSource } from "../../functions/adapters/file-byte-source";
import { fileObjectStore } from "../../functions/adapters/file-object-store";
import { DEFAULT_RUN_OPTIONS } from "../../functions/contracts";
import { mapRange } from "../../functions/stages/map-stage";
import { planRun } from "../../functions/stages/plan-stage";

const [file, rangeBytes, workDir] = process.argv.slice(2);
const work = fileObjectStore(workDir!);
const plan = await planRun({
  runId: "rss",
  source: await openFileByteSource(file!),
  location: { key: file! },
  options: { ...DEFAULT_RUN_OPTIONS, rangeBytes: Number(rangeBytes) },
  work,
});
const mapped = await mapRange({
  task: { version: 1, runId: "rss", planKey: plan.planKey, index: 0 },
  work,
  openSource: (source) => openFileByteSource(source.key),
});
// maxRSS is in KiB on Linux.
console.log(
  JSON.stringify({
    ranges: plan.rangeCount,
    rowsRead: mapped.rowsRead,
    maxRssMiB: process.resourceUsage().maxRSS / 1024,
  }),
);
