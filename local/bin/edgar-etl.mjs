#!/usr/bin/env node
// Runs the TypeScript CLI through tsx's loader, so no build step stands between a clone and a run.
import { register } from "tsx/esm/api";

register();
// The AWS SDK warns once per thread that Node 20 loses its support in 2027; the deployed Lambdas
// run Node 24, and locally the notice would repeat for every Lambda worker.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
const { runCli } = await import("../cli.ts");
await runCli(process.argv.slice(2));
