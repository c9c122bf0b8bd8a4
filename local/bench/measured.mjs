// One contestant of `npm run bench`, as a process of its own: runs a job (TypeScript, through
// tsx) and prints its result and the process's peak RSS as the last line of stdout, JSON.
import { register } from "tsx/esm/api";

register();
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
const [job, ...args] = process.argv.slice(2);
const { runJob } = await import("./jobs.ts");
const result = await runJob(job, args);
const maxRssKB = process.resourceUsage().maxRSS;
console.log(JSON.stringify({ ...result, maxRssKB }));
process.exit(0);
