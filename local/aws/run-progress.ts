/**
 * Progress of a run on the emulated pipeline, seen from the Lambda invocations the state machine
 * makes: the plan function's result says how many ranges there are (its plan, their bytes), each
 * map function's result says which range is done.
 */
import type { ByteRange, MapResult, PlanResult } from "../../functions/contracts";
import type { RunProgress } from "../progress";
import type { LambdaInvoker } from "./local-step-functions";

export interface ProgressTarget {
  readonly planFunctionArn: string;
  readonly mapFunctionArn: string;
  /** The ranges of the plan stored under `planKey`. */
  readonly rangesOf: (planKey: string) => Promise<readonly ByteRange[]>;
  readonly onProgress: RunProgress;
}

export function invokerReportingProgress(invoke: LambdaInvoker, target: ProgressTarget): LambdaInvoker {
  let ranges: readonly ByteRange[] = [];
  let bytesTotal = 0;
  let bytesDone = 0;
  const done = new Set<number>();
  const report = () =>
    target.onProgress({ rangesDone: done.size, rangesTotal: ranges.length, bytesDone, bytesTotal });
  return async (functionArn, payload) => {
    const result = await invoke(functionArn, payload);
    if (functionArn === target.planFunctionArn) {
      ranges = await target.rangesOf((result as PlanResult).planKey);
      bytesTotal = ranges.reduce((sum, r) => sum + (r.end - r.start), 0);
      bytesDone = 0;
      done.clear();
      report();
    } else if (functionArn === target.mapFunctionArn) {
      const { index } = result as MapResult;
      const range = ranges[index];
      // A retried range reports once.
      if (range !== undefined && !done.has(index)) {
        done.add(index);
        bytesDone += range.end - range.start;
        report();
      }
    }
    return result;
  };
}
