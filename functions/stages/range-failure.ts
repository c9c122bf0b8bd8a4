/**
 * When a range fails, a Distributed Map fails with States.ExceedToleratedFailureThreshold; the
 * range's own error and cause are only in the Map Run's results, which the Map writes to the work
 * bucket (`<resultsPrefix>/<map run id>/FAILED_<n>.json`, arrays of child executions with their
 * Input, Error and Cause). This finds the first failed range there, so the run fails with it.
 */
import type { RangeFailureRequest } from "../contracts";
import { getJson, type ObjectStore } from "../core/object-store";

export interface RunFailure {
  readonly error: string;
  readonly cause: string;
}

/** One child execution as a ResultWriter records it (Transformation NONE). */
interface ChildExecutionResult {
  readonly Input?: unknown;
  readonly Error?: unknown;
  readonly Cause?: unknown;
}

const FAILED_RESULTS = /\/FAILED_\d+\.json$/;

export async function findRangeFailure(work: ObjectStore, request: RangeFailureRequest): Promise<RunFailure> {
  const prefix = request.resultsPrefix.endsWith("/") ? request.resultsPrefix : `${request.resultsPrefix}/`;
  const keys = (await work.list(prefix)).filter((key) => FAILED_RESULTS.test(key));
  const results: ChildExecutionResult[] = [];
  for (const key of keys) {
    // Read again if the transfer fails or comes cut short: this is what the failed run reports.
    const parsed = await getJson<unknown>(work, key);
    if (Array.isArray(parsed)) results.push(...(parsed as ChildExecutionResult[]));
  }
  return firstRangeFailure(results) ?? { error: request.error, cause: request.cause };
}

/**
 * The failed range with the lowest index: its error, and a cause naming the range (and how many
 * others failed) with the message of the error it threw. Undefined if no result names a range.
 */
export function firstRangeFailure(results: readonly ChildExecutionResult[]): RunFailure | undefined {
  const failed = results
    .map((r) => ({ index: rangeIndexOf(r.Input), error: text(r.Error), cause: text(r.Cause) }))
    .filter((r): r is { index: number; error: string; cause: string } => r.index !== undefined)
    .sort((a, b) => a.index - b.index);
  const first = failed[0];
  if (first === undefined) return undefined;
  const others = failed.length > 1 ? ` (and ${failed.length - 1} more ranges)` : "";
  return {
    error: first.error === "" ? "RangeFailed" : first.error,
    cause: `range ${first.index}${others} failed: ${lambdaErrorMessage(first.cause)}`,
  };
}

/** The child's input is the RangeTask, as JSON text or as an object. */
function rangeIndexOf(input: unknown): number | undefined {
  let task = input;
  if (typeof input === "string") {
    try {
      task = JSON.parse(input);
    } catch {
      return undefined;
    }
  }
  const index = (task as { index?: unknown } | null)?.index;
  return Number.isInteger(index) ? (index as number) : undefined;
}

/** A Lambda task's cause is `{"errorType","errorMessage","trace"}`; other causes are plain text. */
function lambdaErrorMessage(cause: string): string {
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown };
    if (typeof parsed.errorMessage === "string") return parsed.errorMessage;
  } catch {
    // Not JSON: a Step Functions cause such as a timeout's, shown as it is.
  }
  return cause === "" ? "no cause recorded" : cause;
}

function text(value: unknown): string {
  return typeof value === "string" ? value : value === undefined || value === null ? "" : String(value);
}
