/**
 * `edgar-etl backfill` and `edgar-etl status`: start the deployed pipeline over every object
 * under a prefix, at most N at a time, and follow the executions; show one execution's progress.
 * Runs are started exactly as the upload trigger starts them (same execution names), so a
 * backfill skips object versions that already ran and can be repeated safely. The commands parse
 * flags and print; `scheduler.ts` decides what runs when, `aws.ts` makes the calls.
 */
import { parseArgs } from "node:util";
import { type DescribeExecutionOutput, type MapRunItemCounts, SFNClient } from "@aws-sdk/client-sfn";
import { createS3Client } from "../../functions/adapters/s3-client";
import { parseStatesArn } from "../../functions/core/arn";
import { clip, QUOTED_CHARS } from "../../functions/core/clip";
import { executionName } from "../../functions/stages/execution-name";
import { BACKFILL_USAGE, STATUS_USAGE } from "../backfill-usage";
import { progressDisplay } from "../progress";
import {
  backfillPorts,
  describeFailedItem,
  describeMapRuns,
  describeExecution as fetchExecution,
  inputSize,
  listObjects,
  sleep,
} from "./aws";
import { type FinalStatus, type Finished, pipelineInputs, runBackfill } from "./scheduler";

/** Exit codes, as for `edgar-etl run`: 0 ok, 1 failed, 2 bad usage, 3 outputs written but a data check failed. */
const EXIT = { ok: 0, failed: 1, usage: 2, checksFailed: 3 } as const;

export async function backfillCommand(args: readonly string[]): Promise<number> {
  let values: ReturnType<typeof parseBackfillArgs>;
  try {
    values = parseBackfillArgs(args);
  } catch (e) {
    console.error(`edgar-etl backfill: ${(e as Error).message}\n${BACKFILL_USAGE}`);
    return EXIT.usage;
  }
  const { stateMachineArn, bucket, prefix, maxParallel, pollMs, dryRun } = values;
  const region = regionOf(stateMachineArn);
  const s3 = createS3Client(process.env, region);
  const sfn = new SFNClient({ region });
  try {
    const objects = pipelineInputs(await listObjects(s3, bucket, prefix));
    const where = `s3://${bucket}/${prefix}`;
    if (objects.length === 0) {
      console.log(`backfill ${where}: no .csv, .gz or .zip objects; nothing to run`);
      return EXIT.ok;
    }
    if (dryRun) {
      for (const o of objects) console.log(`${executionName({ bucket, ...o })}  s3://${bucket}/${o.key}`);
      console.log(`backfill ${where}: ${objects.length} objects would be started (dry run: nothing started)`);
      return EXIT.ok;
    }
    console.log(`backfill ${where}: ${objects.length} objects, up to ${maxParallel} at a time`);
    const progress = new ProgressLine(objects.length);
    const finished = await runBackfill(backfillPorts(sfn), {
      stateMachineArn,
      bucket,
      objects,
      maxParallel,
      pollMs,
      onProgress: (done, running) => progress.show(done, running),
    });
    progress.end();
    return report(finished, where);
  } catch (e) {
    console.error(`edgar-etl backfill: ${describeError(e)}`);
    return EXIT.failed;
  } finally {
    s3.destroy();
    sfn.destroy();
  }
}

export async function statusCommand(args: readonly string[]): Promise<number> {
  let executionArn: string;
  let watch: boolean;
  let pollMs: number;
  try {
    const { values, positionals } = parseArgs({
      args: [...args],
      allowPositionals: true,
      options: { watch: { type: "boolean" }, "poll-seconds": { type: "string" } },
    });
    if (positionals.length !== 1)
      throw new Error(`needs one execution ARN, got ${positionals.length} arguments`);
    executionArn = positionals[0]!;
    watch = values.watch === true;
    pollMs = seconds("--poll-seconds", values["poll-seconds"], 10) * 1000;
    regionOf(executionArn);
  } catch (e) {
    console.error(`edgar-etl status: ${(e as Error).message}\n${STATUS_USAGE}`);
    return EXIT.usage;
  }
  const sfn = new SFNClient({ region: regionOf(executionArn) });
  try {
    let execution = await fetchExecution(sfn, executionArn);
    if (watch && execution.status === "RUNNING") {
      console.log(describeExecution(execution));
      execution = await watchRanges(sfn, execution, pollMs);
    }
    const lines = [describeExecution(execution)];
    for (const { label, mapRun } of await describeMapRuns(sfn, executionArn)) {
      lines.push(`  map run ${label}: ${describeItems(mapRun.status, mapRun.itemCounts)}`);
      const failedItem = await describeFailedItem(sfn, mapRun);
      if (failedItem !== undefined) lines.push(`  failed ${label} item ${failedItem}`);
    }
    console.log(lines.join("\n"));
    return exitCodeOf(execution);
  } catch (e) {
    console.error(`edgar-etl status: ${describeError(e)}`);
    return EXIT.failed;
  } finally {
    sfn.destroy();
  }
}

/** Shows the Ranges Map Run's progress until the execution ends; returns its final description. */
async function watchRanges(
  sfn: SFNClient,
  running: DescribeExecutionOutput,
  pollMs: number,
): Promise<DescribeExecutionOutput> {
  const executionArn = running.executionArn!;
  const bytesTotal = await inputSize(running.input, regionOf(executionArn));
  const progress = progressDisplay({ label: "ranges", intervalMs: pollMs });
  try {
    for (let execution = running; ; ) {
      const ranges = (await describeMapRuns(sfn, executionArn)).find((m) => m.label === "Ranges");
      const items = ranges?.mapRun.itemCounts;
      if (items?.total !== undefined && items.total > 0) {
        const rangesDone = items.succeeded ?? 0;
        progress.update({
          rangesDone,
          rangesTotal: items.total,
          bytesDone: (bytesTotal * rangesDone) / items.total,
          bytesTotal,
        });
      }
      if (execution.status !== "RUNNING") {
        progress.finish();
        return execution;
      }
      await sleep(pollMs);
      execution = await fetchExecution(sfn, executionArn);
    }
  } finally {
    progress.stop();
  }
}

function parseBackfillArgs(args: readonly string[]) {
  const { values } = parseArgs({
    args: [...args],
    options: {
      "state-machine": { type: "string" },
      bucket: { type: "string" },
      prefix: { type: "string" },
      "max-parallel": { type: "string" },
      "poll-seconds": { type: "string" },
      "dry-run": { type: "boolean" },
    },
  });
  const stateMachineArn = values["state-machine"];
  if (stateMachineArn === undefined)
    throw new Error("--state-machine <arn> is required (the stack output StateMachineArn)");
  regionOf(stateMachineArn);
  if (values.bucket === undefined) throw new Error("--bucket <bucket> is required (the input bucket)");
  if (values.prefix === undefined)
    throw new Error("--prefix <prefix> is required, e.g. --prefix incoming/2017/");
  const maxParallel = Number(values["max-parallel"] ?? 4);
  if (!Number.isSafeInteger(maxParallel) || maxParallel < 1) {
    throw new Error(
      `--max-parallel must be a whole number >= 1, got ${JSON.stringify(values["max-parallel"])}`,
    );
  }
  return {
    stateMachineArn,
    bucket: values.bucket,
    prefix: values.prefix,
    maxParallel,
    pollMs: seconds("--poll-seconds", values["poll-seconds"], 10) * 1000,
    dryRun: values["dry-run"] === true,
  };
}

function seconds(flag: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!(n > 0)) throw new Error(`${flag} must be a number of seconds > 0, got ${JSON.stringify(value)}`);
  return n;
}

/** The region an ARN names; the clients use it, so no AWS_REGION is needed. */
function regionOf(arn: string): string {
  const parsed = parseStatesArn(arn);
  if (parsed === undefined) {
    throw new Error(
      `expected an ARN like arn:aws:states:<region>:<account>:stateMachine:<name> (or :execution:<machine>:<name>), got ${JSON.stringify(arn)}`,
    );
  }
  return parsed.region;
}

function report(finished: readonly Finished[], where: string): number {
  const count = (status: FinalStatus) => finished.filter((f) => f.status === status).length;
  for (const f of finished.filter((x) => x.status === "failed" || x.status === "checksFailed")) {
    console.log(
      `${f.status === "failed" ? "FAILED" : "CHECKS FAILED"} ${f.object.key}  ${f.executionArn}  ${f.detail}`,
    );
  }
  console.log(
    `backfill ${where}: ${count("succeeded")} succeeded, ${count("skipped")} already done, ` +
      `${count("checksFailed")} failed data checks (outputs written), ${count("failed")} failed`,
  );
  if (count("failed") > 0) return EXIT.failed;
  return count("checksFailed") > 0 ? EXIT.checksFailed : EXIT.ok;
}

/** One progress line: rewritten in place on a terminal, printed on change otherwise. */
class ProgressLine {
  private last = "";
  private readonly tty = process.stdout.isTTY === true;

  constructor(private readonly total: number) {}

  show(finished: readonly Finished[], running: number): void {
    const n = (status: FinalStatus) => finished.filter((f) => f.status === status).length;
    const line =
      `[${finished.length}/${this.total}] running ${running}, succeeded ${n("succeeded")}, ` +
      `already done ${n("skipped")}, checks failed ${n("checksFailed")}, failed ${n("failed")}`;
    if (line === this.last) return;
    this.last = line;
    if (this.tty) process.stdout.write(`\r${line}\u001b[K`);
    else console.log(line);
  }

  end(): void {
    if (this.tty) process.stdout.write("\n");
  }
}

function describeExecution(execution: DescribeExecutionOutput): string {
  const started = execution.startDate;
  const ended = execution.stopDate ?? new Date();
  const took = started === undefined ? "" : ` after ${formatDuration(ended.getTime() - started.getTime())}`;
  const lines = [
    `execution ${execution.name}: ${execution.status}${took}`,
    `  input: ${clip(execution.input ?? "", QUOTED_CHARS)}`,
  ];
  if (execution.error !== undefined || execution.cause !== undefined) {
    lines.push(
      `  error: ${execution.error ?? ""}${execution.cause ? `: ${clip(execution.cause, QUOTED_CHARS)}` : ""}`,
    );
  }
  const reduce = parseOutput(execution.output)?.reduce;
  if (reduce !== undefined) {
    lines.push(
      `  result: data checks ${reduce.status}, rows ${JSON.stringify(reduce.rows)}, manifest ${reduce.manifestKey}`,
    );
  }
  return lines.join("\n");
}

function parseOutput(
  output: string | undefined,
): { reduce?: { status: string; rows: unknown; manifestKey: string } } | undefined {
  if (output === undefined) return undefined;
  try {
    return JSON.parse(output);
  } catch {
    return undefined;
  }
}

function describeItems(status: string | undefined, items: MapRunItemCounts | undefined): string {
  if (items === undefined) return status ?? "unknown";
  return (
    `${status}: ${items.succeeded}/${items.total} succeeded, ${items.failed} failed, ${items.running} running, ` +
    `${items.pending} pending${items.timedOut ? `, ${items.timedOut} timed out` : ""}${items.aborted ? `, ${items.aborted} aborted` : ""}`
  );
}

function exitCodeOf(execution: DescribeExecutionOutput): number {
  if (execution.status === "SUCCEEDED" || execution.status === "RUNNING") return EXIT.ok;
  return execution.error === "DataChecksFailed" ? EXIT.checksFailed : EXIT.failed;
}

function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
}

function describeError(e: unknown): string {
  if (e instanceof Error) return `${e.name}: ${e.message.split("\n")[0]}`;
  return String(e);
}
