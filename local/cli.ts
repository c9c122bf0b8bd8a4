/**
 * `edgar-etl`: the command line. Each command parses its flags, builds adapters and calls the
 * same code the Lambdas run. Failures print one line (the stack only with --verbose).
 */
import { existsSync } from "node:fs";
import { mkdir, readFile, rename } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { EtlError } from "../functions/core/errors";
import { resolveRunOptions } from "../functions/core/run-options";
import type { ValidationReport } from "../functions/core/validation";
import { outputKeys, sourceStem } from "../functions/stages/layout";
import { runOnLocalAws } from "./aws/run-on-local-aws";
import { backfillCommand, statusCommand } from "./backfill";
import { generateEdgarFile } from "./generate";
import { runLocal } from "./run-local";
import { formatSummary } from "./summary";

const USAGE = `usage:
  edgar-etl run <file.csv> --out <dir> [--range-bytes N] [--sample F --seed S]
                [--mode permissive|dropmalformed|failfast] [--top N] [--concurrency N]
                [--engine local-aws|in-process] [--verbose]
  edgar-etl generate --bytes N --seed S --out <file.csv>
  edgar-etl demo     (what npm start runs: a cached ~200 MB synthetic day -> ./out)
  edgar-etl bench [--file f.csv] [--bytes N] [--repeats N]   (what npm run bench runs)
  edgar-etl backfill --state-machine <arn> --bucket B --prefix P [--max-parallel N] [--dry-run]
  edgar-etl status <executionArn>`;

/** Exit codes: 0 ok, 1 failed, 2 bad usage, 3 outputs written but a data check failed. */
export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case "run":
      return runCommand(rest);
    case "generate":
      return generateCommand(rest);
    case "demo":
      return demoCommand(rest);
    case "bench":
      return benchCommand(rest);
    case "backfill":
      return backfillCommand(rest);
    case "status":
      return statusCommand(rest);
    case undefined:
    case "help":
    case "--help":
    case "-h":
      console.log(USAGE);
      return command === undefined ? 2 : 0;
    default:
      console.error(`edgar-etl: unknown command ${JSON.stringify(command)}\n${USAGE}`);
      return 2;
  }
}

async function runCommand(args: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...args],
    allowPositionals: true,
    options: {
      out: { type: "string" },
      "range-bytes": { type: "string" },
      sample: { type: "string" },
      seed: { type: "string" },
      mode: { type: "string" },
      concurrency: { type: "string" },
      engine: { type: "string" },
      top: { type: "string" },
      verbose: { type: "boolean" },
    },
  });
  const [input] = positionals;
  if (input === undefined || values.out === undefined) {
    console.error(`edgar-etl run: needs an input file and --out <dir>\n${USAGE}`);
    return 2;
  }
  if (input.startsWith("s3://")) {
    console.error(
      "edgar-etl run: s3:// input is read by the deployed pipeline; download the object or start an execution",
    );
    return 2;
  }
  const overrides = {
    rangeBytes: values["range-bytes"],
    mode: values.mode,
    sample: values.sample === undefined ? undefined : { fraction: values.sample, seed: values.seed ?? 0 },
    topN: values.top,
  };
  // Validated here too, so a bad flag fails before anything starts.
  const options = resolveRunOptions(overrides);
  const concurrency = values.concurrency === undefined ? availableParallelism() : Number(values.concurrency);
  const engine = values.engine ?? "local-aws";
  const outDir = resolve(values.out);
  let validation: ValidationReport;
  let seconds: number;
  let engineNote: string;
  if (engine === "local-aws") {
    const started = performance.now();
    const outcome = await runOnLocalAws({ file: resolve(input), outDir, overrides, workers: concurrency });
    seconds = (performance.now() - started) / 1000;
    const t = outcome.seconds;
    engineNote = `local AWS: S3 on 127.0.0.1, the synthesized state machine, ${concurrency} Lambda workers (synth ${t.synth.toFixed(1)} s, upload ${t.upload.toFixed(1)} s, execution ${t.execution.toFixed(1)} s, download ${t.download.toFixed(1)} s)`;
    // DataChecksFailed comes after the outputs are written: report them, and exit 3 below.
    if (outcome.execution.status === "FAILED" && outcome.execution.error !== "DataChecksFailed") {
      throw new ExecutionFailedError(outcome.executionName, outcome.execution.error, outcome.execution.cause);
    }
    const stem = sourceStem(input);
    validation = JSON.parse(
      await readFile(join(outDir, outputKeys.runFile(stem, "validation.json")), "utf8"),
    ) as ValidationReport;
  } else if (engine === "in-process") {
    const outcome = await runLocal({ file: resolve(input), outDir, options, concurrency });
    ({ validation, seconds } = outcome);
    engineNote = "in-process: the stages called directly over local files";
  } else {
    console.error(`edgar-etl run: --engine must be local-aws or in-process, got ${JSON.stringify(engine)}`);
    return 2;
  }
  console.log(formatSummary(validation, seconds, values.out, engineNote));
  return validation.status === "pass" ? 0 : 3;
}

/** A local execution ended FAILED: its error, and the cause's message when it is a Lambda's. */
class ExecutionFailedError extends EtlError {
  readonly code = "EXECUTION_FAILED";
  constructor(name: string, error: string, cause: string) {
    let message = cause;
    try {
      const parsed = JSON.parse(cause) as { errorMessage?: string };
      if (parsed.errorMessage !== undefined) message = parsed.errorMessage;
    } catch {
      // The cause is plain text, not a Lambda's JSON error.
    }
    super(`execution ${name} failed: ${error}: ${message}`);
  }
}

async function generateCommand(args: readonly string[]): Promise<number> {
  const { values } = parseArgs({
    args: [...args],
    options: { bytes: { type: "string" }, seed: { type: "string" }, out: { type: "string" } },
  });
  const bytes = Number(values.bytes);
  const seed = Number(values.seed ?? 1);
  if (!(bytes > 0) || !Number.isSafeInteger(seed) || values.out === undefined) {
    console.error(`edgar-etl generate: needs --bytes N (> 0), --seed S (integer) and --out <file>\n${USAGE}`);
    return 2;
  }
  const started = performance.now();
  const written = await generateEdgarFile(resolve(values.out), { bytes: Math.round(bytes), seed });
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `wrote ${values.out}: ${written.bytes.toLocaleString("en-US")} bytes, ${written.rows.toLocaleString("en-US")} rows in ${seconds.toFixed(2)} s (${(written.bytes / 1e6 / seconds).toFixed(0)} MB/s)`,
  );
  return 0;
}

/** The demo day is cached: generating it once is enough for every later `npm start`. */
async function demoCommand(args: readonly string[]): Promise<number> {
  const cached = resolve(".cache", "edgar-demo-200MB-seed1.csv");
  if (!existsSync(cached)) {
    console.log(`generating a synthetic EDGAR day (~200 MB, seed 1) into ${cached} ...`);
    await mkdir(dirname(cached), { recursive: true });
    await generateEdgarFile(`${cached}.partial`, { bytes: 200_000_000, seed: 1 });
    await rename(`${cached}.partial`, cached);
  }
  return runCommand([cached, "--out", "out", ...args]);
}

async function benchCommand(args: readonly string[]): Promise<number> {
  const { values } = parseArgs({
    args: [...args],
    options: { file: { type: "string" }, bytes: { type: "string" }, repeats: { type: "string" } },
  });
  const { runBench } = await import("./bench");
  console.log(
    await runBench({
      file: values.file,
      bytes: Number(values.bytes ?? 500_000_000),
      repeats: Number(values.repeats ?? 3),
    }),
  );
  return 0;
}

function describeFailure(e: unknown, verbose: boolean): string {
  if (verbose && e instanceof Error) return e.stack ?? e.message;
  if (e instanceof EtlError) return `${e.code}: ${e.message}`;
  if (e instanceof Error) return `${e.name}: ${e.message.split("\n")[0]} (rerun with --verbose for details)`;
  return String(e);
}

export async function runCli(argv: readonly string[]): Promise<void> {
  try {
    process.exitCode = await main(argv);
  } catch (e) {
    console.error(`edgar-etl: ${describeFailure(e, argv.includes("--verbose"))}`);
    process.exitCode = 1;
  }
}
