// One contestant of `npm run bench`, as a process of its own: runs a job and prints its result
// and the process's peak RSS and CPU time as the last line of stdout, JSON. Our CLI loads as the edgar-etl
// command loads it (a bundle); the other jobs are TypeScript, through tsx.
import { register } from "tsx/esm/api";
import { loadCli } from "../bundles.mjs";

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
const [job, ...args] = process.argv.slice(2);
const result = job === "ours" ? await runOurs(args) : await runOther(job, args);
const usage = process.resourceUsage();
// CPU time of every thread of the process, in seconds: how many cores a contestant kept busy.
const cpuSeconds = (usage.userCPUTime + usage.systemCPUTime) / 1e6;
console.log(JSON.stringify({ ...result, maxRssKB: usage.maxRSS, cpuSeconds }));
process.exit(0);

async function runOurs(args) {
  const { main } = await loadCli();
  const code = await main(["run", ...args]);
  if (code !== 0) throw new Error(`edgar-etl run exited ${code}`);
  return {};
}

async function runOther(job, args) {
  register();
  const { runJob } = await import("./jobs.ts");
  return runJob(job, args);
}
