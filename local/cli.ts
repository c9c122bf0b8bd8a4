/**
 * `edgar-etl`: the command line. Each command parses its flags, builds adapters and calls the
 * same code the Lambdas run. Failures print one line (the stack only with --verbose).
 */
import { existsSync, statSync } from "node:fs";
import { mkdir, readFile, rename } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { dirname, join, resolve } from "node:path";
import { type ParseArgsConfig, parseArgs } from "node:util";
import { ConfigError, EtlError } from "../functions/core/errors";
import { rangeBytesForWorkers } from "../functions/core/plan";
import { type RunOverrides, resolveRunOptions, type SettingNames } from "../functions/core/run-options";
import type { ValidationReport } from "../functions/core/validation";
import { outputKeys, sourceStem } from "../functions/stages/layout";
import { BACKFILL_USAGE, STATUS_USAGE } from "./backfill-usage";
import { generateEdgarFile } from "./generate";
import { progressDisplay } from "./progress";
import { rerenderReports } from "./rerender-report";
import { runLocal } from "./run-local";
import { formatSummary } from "./summary";

const RUN_USAGE = `usage: edgar-etl run <file.csv> --out <dir> [options]
  --engine local-aws|in-process  the emulated AWS pipeline (default) or the stages called directly
  --range-bytes N                target bytes per range (default: two rounds per worker, 64 to
                                 256 MiB; the deployed pipeline's default is 64 MiB)
  --sample F --seed S            keep a deterministic fraction F of the records
  --mode permissive|dropmalformed|failfast   what corrupt records do (default permissive)
  --top N                        IPs in top_ips (default 20)
  --concurrency N                Lambda workers, or ranges in flight in-process (default: one per core)
  data checks (merged over the defaults: requireRows, maxRequiredMissingShare 0, maxCorruptShare 0.01):
  --expect-rows MIN..MAX         expected ok rows (either side may be empty: 1000.. or ..5000)
  --max-missing COLUMN=SHARE     largest share of ok rows missing an optional column (repeatable)
  --max-corrupt-share SHARE      largest share of parsed records that are corrupt
  --allow-empty                  a file with no ok rows passes
  --checks JSON                  any checks as JSON, e.g. '{"rowCount":{"min":1},"maxCorruptShare":null}'
  --verbose                      stack traces on failure; the Lambdas' JSON log lines on stderr (local-aws)
exit codes: 0 ok; 1 the run failed; 2 bad usage; 3 outputs written but a data check failed`;
const GENERATE_USAGE = "usage: edgar-etl generate --bytes N [--seed S (1)] --out <file.csv>";
const DEMO_USAGE = `usage: edgar-etl demo [run options]
  what npm start runs: a cached ~200 MB synthetic day (.cache/), run into ./out (see edgar-etl run --help)`;
const BENCH_USAGE =
  "usage: edgar-etl bench [--file f.csv] [--bytes N (1e9)] [--repeats N (3)]   (what npm run bench runs)";
const REPORT_USAGE = `usage: edgar-etl report <out-dir> [--source <stem>]
  renders _runs/source=<stem>/report.html again from validation.json and quarantine.jsonl
  (every source under <out-dir>, or the one named)`;

const COMMAND_USAGE: Readonly<Record<string, string>> = {
  run: RUN_USAGE,
  generate: GENERATE_USAGE,
  demo: DEMO_USAGE,
  bench: BENCH_USAGE,
  report: REPORT_USAGE,
  backfill: BACKFILL_USAGE,
  status: STATUS_USAGE,
};

const USAGE = `usage: edgar-etl <command> [options]   (edgar-etl <command> --help for its options)
  run <file.csv> --out <dir>     the pipeline on this machine
  generate --bytes N --out <f>   a realistic synthetic day
  demo                           what npm start runs
  bench                          speed against DuckDB
  report <out-dir>               render report.html again from a run's outputs
  backfill --state-machine <arn> --bucket B --prefix P   the deployed pipeline over a prefix
  status <executionArn> [--watch]                        one deployed execution's progress`;

/** Bad usage: exits 2 with the command's usage, naming the flag as typed. */
class UsageError extends EtlError {
  readonly code = "BAD_USAGE";
}

/** parseArgs, with its errors as usage errors (its message's first sentence names the flag). */
function parseFlags<T extends NonNullable<ParseArgsConfig["options"]>>(args: readonly string[], options: T) {
  try {
    return parseArgs({ args: [...args], allowPositionals: true, strict: true, options });
  } catch (e) {
    const code = (e as { code?: string }).code ?? "";
    if (code.startsWith("ERR_PARSE_ARGS"))
      throw new UsageError((e as Error).message.split(/\. (?=[A-Z])/)[0]!);
    throw e;
  }
}

function wholeFlag(flag: string, value: string | undefined, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  const n = value.trim() === "" ? Number.NaN : Number(value);
  if (!Number.isSafeInteger(n) || n < min) {
    throw new UsageError(`${flag} must be a whole number >= ${min}, got ${JSON.stringify(value)}`);
  }
  return n;
}

/** Exit codes: 0 ok, 1 failed, 2 bad usage, 3 outputs written but a data check failed. */
export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  const usage = command === undefined ? undefined : COMMAND_USAGE[command];
  if (usage !== undefined && (rest.includes("--help") || rest.includes("-h"))) {
    console.log(usage);
    return 0;
  }
  try {
    return await dispatch(command, rest);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    const hint =
      usage === undefined
        ? USAGE
        : `${usage.split("\n")[0]}\n(edgar-etl ${command} --help lists the options)`;
    console.error(`edgar-etl ${command}: ${e.message}\n${hint}`);
    return 2;
  }
}

async function dispatch(command: string | undefined, rest: readonly string[]): Promise<number> {
  switch (command) {
    case "run":
      return runCommand(rest);
    case "generate":
      return generateCommand(rest);
    case "demo":
      return demoCommand(rest);
    case "bench":
      return benchCommand(rest);
    case "report":
      return reportCommand(rest);
    case "backfill":
      return (await import("./backfill/commands")).backfillCommand(rest);
    case "status":
      return (await import("./backfill/commands")).statusCommand(rest);
    case undefined:
      console.error(USAGE);
      return 2;
    case "help":
    case "--help":
    case "-h":
      console.log(USAGE);
      return 0;
    default:
      console.error(`edgar-etl: unknown command ${JSON.stringify(command)}\n${USAGE}`);
      return 2;
  }
}

/** What the run flags are called, for messages about their values. */
const RUN_FLAG_NAMES: SettingNames = {
  rangeBytes: "--range-bytes",
  mode: "--mode",
  "sample.fraction": "--sample",
  "sample.seed": "--seed",
  topN: "--top",
  checks: "--checks",
  "checks.rowCount": "--expect-rows",
  "checks.maxMissingShare": "--max-missing",
  "checks.maxCorruptShare": "--max-corrupt-share",
};

/** The checks the flags ask for (merged over the defaults by resolveRunOptions). */
function checksFromFlags(values: {
  checks?: string;
  "expect-rows"?: string;
  "max-missing"?: string[];
  "max-corrupt-share"?: string;
  "allow-empty"?: boolean;
}): Record<string, unknown> | undefined {
  let checks: Record<string, unknown> = {};
  if (values.checks !== undefined) {
    try {
      checks = JSON.parse(values.checks);
    } catch {
      throw new UsageError(
        `--checks must be JSON, e.g. '{"maxCorruptShare":0.05}', got ${JSON.stringify(values.checks)}`,
      );
    }
    if (typeof checks !== "object" || checks === null || Array.isArray(checks)) {
      throw new UsageError(`--checks must be a JSON object, got ${JSON.stringify(values.checks)}`);
    }
  }
  const rows = values["expect-rows"];
  if (rows !== undefined) {
    const match = /^\s*(\d*)\s*\.\.\s*(\d*)\s*$/.exec(rows);
    if (match === null || (match[1] === "" && match[2] === "")) {
      throw new UsageError(
        `--expect-rows must be MIN..MAX (either may be empty), got ${JSON.stringify(rows)}`,
      );
    }
    checks.rowCount = {
      ...(match[1] === "" ? {} : { min: Number(match[1]) }),
      ...(match[2] === "" ? {} : { max: Number(match[2]) }),
    };
  }
  if (values["max-missing"] !== undefined) {
    const shares: Record<string, string> = {
      ...(checks.maxMissingShare as Record<string, string> | undefined),
    };
    for (const pair of values["max-missing"]) {
      const eq = pair.indexOf("=");
      if (eq <= 0)
        throw new UsageError(
          `--max-missing must be COLUMN=SHARE, e.g. browser=0.9, got ${JSON.stringify(pair)}`,
        );
      shares[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
    checks.maxMissingShare = shares;
  }
  if (values["max-corrupt-share"] !== undefined) checks.maxCorruptShare = values["max-corrupt-share"];
  if (values["allow-empty"] === true) checks.requireRows = false;
  return Object.keys(checks).length === 0 ? undefined : checks;
}

/** The input must be a file that exists: said plainly, before anything starts. */
function requireFile(path: string): void {
  let isFile: boolean;
  try {
    isFile = statSync(path).isFile();
  } catch {
    throw new UsageError(`no such file: ${path}`);
  }
  if (!isFile) throw new UsageError(`not a file: ${path}`);
}

async function runCommand(args: readonly string[]): Promise<number> {
  const { values, positionals } = parseFlags(args, {
    out: { type: "string" },
    "range-bytes": { type: "string" },
    sample: { type: "string" },
    seed: { type: "string" },
    mode: { type: "string" },
    concurrency: { type: "string" },
    engine: { type: "string" },
    top: { type: "string" },
    checks: { type: "string" },
    "expect-rows": { type: "string" },
    "max-missing": { type: "string", multiple: true },
    "max-corrupt-share": { type: "string" },
    "allow-empty": { type: "boolean" },
    verbose: { type: "boolean" },
  });
  const [input, ...extra] = positionals;
  if (input === undefined) throw new UsageError("needs an input file");
  if (extra.length > 0)
    throw new UsageError(`takes one input file, got also ${extra.map((e) => JSON.stringify(e)).join(", ")}`);
  if (values.out === undefined) throw new UsageError("needs --out <dir>");
  if (input.startsWith("s3://")) {
    throw new UsageError(
      "s3:// input is read by the deployed pipeline; download the object or start an execution",
    );
  }
  if (values.seed !== undefined && values.sample === undefined)
    throw new UsageError("--seed needs --sample F");
  const engine = values.engine ?? "local-aws";
  if (engine !== "local-aws" && engine !== "in-process") {
    throw new UsageError(`--engine must be local-aws or in-process, got ${JSON.stringify(engine)}`);
  }
  const concurrency = wholeFlag("--concurrency", values.concurrency, availableParallelism());
  const overrides: RunOverrides = {
    rangeBytes: values["range-bytes"],
    mode: values.mode,
    sample: values.sample === undefined ? undefined : { fraction: values.sample, seed: values.seed ?? 0 },
    topN: values.top,
    checks: checksFromFlags(values),
  };
  let options: ReturnType<typeof resolveRunOptions>;
  try {
    // Validated here too, so a bad flag fails before anything starts.
    options = resolveRunOptions(overrides, undefined, RUN_FLAG_NAMES);
  } catch (e) {
    if (e instanceof ConfigError) throw new UsageError(e.message);
    throw e;
  }
  requireFile(input);
  const outDir = resolve(values.out);
  const progress = progressDisplay({ label: "run" });
  let validation: ValidationReport;
  let seconds: number;
  let engineNote: string;
  try {
    if (engine === "local-aws") {
      const started = performance.now();
      // Loaded only for this engine: it brings the CDK app, the SDK and the local servers.
      const { runOnLocalAws } = await import("./aws/run-on-local-aws");
      const outcome = await runOnLocalAws({
        file: resolve(input),
        outDir,
        // As in-process, a run that names no range size is cut for this machine's workers; the
        // deployed pipeline keeps its configured size (64 MiB), spread over many Lambdas.
        overrides:
          values["range-bytes"] === undefined
            ? {
                ...overrides,
                rangeBytes: rangeBytesForWorkers(statSync(input).size, concurrency, options.rangeBytes),
              }
            : overrides,
        workers: concurrency,
        onProgress: progress.update,
        verbose: values.verbose === true,
      });
      seconds = (performance.now() - started) / 1000;
      const t = outcome.seconds;
      engineNote = `local AWS: S3 on 127.0.0.1, the synthesized state machine, ${concurrency} Lambda workers (synth ${t.synth.toFixed(1)} s, upload ${t.upload.toFixed(1)} s, execution ${t.execution.toFixed(1)} s, download ${t.download.toFixed(1)} s)`;
      // DataChecksFailed comes after the outputs are written: report them, and exit 3 below.
      if (outcome.execution.status === "FAILED" && outcome.execution.error !== "DataChecksFailed") {
        throw new ExecutionFailedError(
          outcome.executionName,
          outcome.execution.error,
          outcome.execution.cause,
        );
      }
      const stem = sourceStem(input);
      validation = JSON.parse(
        await readFile(join(outDir, outputKeys.runFile(stem, "validation.json")), "utf8"),
      ) as ValidationReport;
    } else {
      const outcome = await runLocal({
        file: resolve(input),
        outDir,
        options,
        concurrency,
        rangesForWorkers: values["range-bytes"] === undefined,
        onProgress: progress.update,
      });
      ({ validation, seconds } = outcome);
      engineNote = "in-process: the stages called directly over local files";
    }
    progress.finish();
  } finally {
    progress.stop();
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
  const { values, positionals } = parseFlags(args, {
    bytes: { type: "string" },
    seed: { type: "string" },
    out: { type: "string" },
  });
  if (positionals.length > 0)
    throw new UsageError(`takes no arguments, got ${JSON.stringify(positionals[0])}`);
  const bytes = values.bytes === undefined || values.bytes.trim() === "" ? Number.NaN : Number(values.bytes);
  if (!(bytes >= 1) || !Number.isFinite(bytes)) {
    throw new UsageError(
      `--bytes must be a number of bytes > 0 (e.g. 2e8), got ${JSON.stringify(values.bytes ?? null)}`,
    );
  }
  const seed = wholeFlag("--seed", values.seed, 1, Number.MIN_SAFE_INTEGER);
  if (values.out === undefined) throw new UsageError("needs --out <file.csv>");
  const started = performance.now();
  const written = await generateWithProgress(resolve(values.out), Math.round(bytes), seed);
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `wrote ${values.out}: ${written.bytes.toLocaleString("en-US")} bytes, ${written.rows.toLocaleString("en-US")} rows in ${seconds.toFixed(2)} s (${(written.bytes / 1e6 / seconds).toFixed(0)} MB/s)`,
  );
  return 0;
}

async function generateWithProgress(path: string, bytes: number, seed: number) {
  const progress = progressDisplay({ label: "generate" });
  progress.update({ rangesDone: 0, rangesTotal: 0, bytesDone: 0, bytesTotal: bytes });
  try {
    const written = await generateEdgarFile(path, { bytes, seed }, (bytesDone, bytesTotal) =>
      progress.update({ rangesDone: 0, rangesTotal: 0, bytesDone, bytesTotal }),
    );
    progress.finish();
    return written;
  } finally {
    progress.stop();
  }
}

/** The demo day is cached: generating it once is enough for every later `npm start`. */
async function demoCommand(args: readonly string[]): Promise<number> {
  const cached = resolve(".cache", "edgar-demo-200MB-seed1.csv");
  if (!existsSync(cached)) {
    console.log(`generating a synthetic EDGAR day (~200 MB, seed 1) into ${cached} ...`);
    await mkdir(dirname(cached), { recursive: true });
    await generateWithProgress(`${cached}.partial`, 200_000_000, 1);
    await rename(`${cached}.partial`, cached);
  }
  return runCommand([cached, "--out", "out", ...args]);
}

async function benchCommand(args: readonly string[]): Promise<number> {
  const { values, positionals } = parseFlags(args, {
    file: { type: "string" },
    bytes: { type: "string" },
    repeats: { type: "string" },
  });
  if (positionals.length > 0)
    throw new UsageError(`takes no arguments, got ${JSON.stringify(positionals[0])}`);
  const bytes = values.bytes === undefined ? 1e9 : Number(values.bytes);
  if (!(bytes >= 1) || !Number.isFinite(bytes)) {
    throw new UsageError(`--bytes must be a number of bytes > 0, got ${JSON.stringify(values.bytes)}`);
  }
  const repeats = wholeFlag("--repeats", values.repeats, 3);
  if (values.file !== undefined) requireFile(values.file);
  const { runBench } = await import("./bench");
  const outcome = await runBench({ file: values.file, bytes: Math.round(bytes), repeats });
  console.log(outcome.text);
  // Targets are reported; a table that differs from DuckDB's is a failure.
  return outcome.tablesAgree ? 0 : 1;
}

async function reportCommand(args: readonly string[]): Promise<number> {
  const { values, positionals } = parseFlags(args, { source: { type: "string" } });
  const [outDir, ...extra] = positionals;
  if (outDir === undefined) throw new UsageError("needs the output directory of a run (its --out)");
  if (extra.length > 0) throw new UsageError(`takes one directory, got also ${JSON.stringify(extra[0])}`);
  if (!existsSync(outDir)) throw new UsageError(`no such directory: ${outDir}`);
  const rendered = await rerenderReports(resolve(outDir), values.source);
  for (const r of rendered) {
    console.log(`wrote ${r.path} (${r.status.toUpperCase()}, rendered in ${r.milliseconds.toFixed(0)} ms)`);
  }
  return 0;
}

function describeFailure(e: unknown, verbose: boolean): string {
  if (verbose && e instanceof Error) return e.stack ?? e.message;
  // A file that vanished mid-run (or a path the engine could not open): the path, not errno.
  const io = e as { code?: string; path?: string };
  if (io.code === "ENOENT" && typeof io.path === "string") return `no such file: ${io.path}`;
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
