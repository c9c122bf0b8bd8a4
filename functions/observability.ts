/**
 * Structured logs and CloudWatch metrics for the Lambda handlers (Powertools for AWS Lambda):
 * one JSON log line per invocation with the run id, range index, bytes, rows and milliseconds,
 * and the same numbers as Embedded Metric Format metrics. Metric dimensions are only the stage
 * (`service`: trigger, plan, map, reduce), so their number never grows with runs or ranges; the
 * run id and range index travel as EMF properties, searchable in Logs Insights.
 *
 * Outside Lambda (the local runner, tests) no metric is published and the log lines stay quiet
 * unless POWERTOOLS_LOG_LEVEL asks for them (`edgar-etl run --verbose` does); they then go to
 * stderr, as diagnostics, never mixed into a command's output.
 */
import { Logger, type LogItem } from "@aws-lambda-powertools/logger";
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import type { ByteSource } from "./core/byte-source";

export type PipelineStage = "trigger" | "plan" | "map" | "reduce";

/** The metrics the handlers publish, with their units; the dashboard reads these names. */
export const STAGE_METRICS = {
  RunsStarted: MetricUnit.Count,
  DuplicateEvents: MetricUnit.Count,
  PlanSeconds: MetricUnit.Seconds,
  SourceBytes: MetricUnit.Bytes,
  Ranges: MetricUnit.Count,
  RangeSeconds: MetricUnit.Seconds,
  RangeBytes: MetricUnit.Bytes,
  RangeRowsRead: MetricUnit.Count,
  ReduceSeconds: MetricUnit.Seconds,
  RowsRead: MetricUnit.Count,
  RowsOk: MetricUnit.Count,
  RowsCorrupt: MetricUnit.Count,
  RowsSampledOut: MetricUnit.Count,
  ChecksFailed: MetricUnit.Count,
} as const;

export type StageMetric = keyof typeof STAGE_METRICS;

/** Powertools reads the metrics' namespace from it; the stack sets its own name. */
export const METRICS_NAMESPACE_ENV = "POWERTOOLS_METRICS_NAMESPACE";
/** @default namespace when METRICS_NAMESPACE_ENV is not set. */
export const DEFAULT_METRICS_NAMESPACE = "EdgarEtl";

export interface StageTelemetry {
  readonly logger: Logger;
  /**
   * Logs `message` with `fields` and publishes `metrics` as one EMF record carrying the same
   * fields as properties.
   */
  report(
    message: string,
    fields: Readonly<Record<string, string | number>>,
    metrics: Partial<Record<StageMetric, number>>,
  ): void;
  /** Runs `work`; if it throws, logs `failure` with `fields` and the error, and rethrows. */
  observe<T>(
    failure: string,
    fields: Readonly<Record<string, string | number>>,
    work: () => Promise<T>,
  ): Promise<T>;
}

export function stageTelemetry(stage: PipelineStage, env: NodeJS.ProcessEnv = process.env): StageTelemetry {
  const inLambda = env.AWS_LAMBDA_FUNCTION_NAME !== undefined;
  // In Lambda the function's log level applies (Advanced Logging Controls).
  const logger = inLambda
    ? new Logger({ serviceName: stage })
    : new StderrLogger({
        serviceName: stage,
        logLevel: (env.POWERTOOLS_LOG_LEVEL ?? "SILENT") as "SILENT",
      });
  const metrics = new Metrics({
    namespace: env[METRICS_NAMESPACE_ENV] ?? DEFAULT_METRICS_NAMESPACE,
    serviceName: stage,
  });
  const publishMetrics = inLambda && env.POWERTOOLS_METRICS_DISABLED !== "true";
  return {
    logger,
    report(message, fields, values) {
      logger.info(message, { ...fields });
      if (!publishMetrics) return;
      for (const [name, value] of Object.entries(values) as [StageMetric, number][]) {
        metrics.addMetric(name, STAGE_METRICS[name], value);
      }
      for (const [key, value] of Object.entries(fields)) metrics.addMetadata(key, String(value));
      metrics.publishStoredMetrics();
    },
    async observe(failure, fields, work) {
      try {
        return await work();
      } catch (e) {
        logger.error(failure, { ...fields, error: e as Error });
        throw e;
      }
    },
  };
}

/** Off Lambda, stdout is a command's output: log lines go to stderr. */
class StderrLogger extends Logger {
  protected override printLog(_logLevel: number, log: LogItem): void {
    log.prepareForPrint();
    process.stderr.write(`${JSON.stringify(log.getAttributes(), this.getJsonReplacer())}\n`);
  }
}

/** `source`, adding the length of every chunk it streams to `counter.total`. */
export function countingByteSource<T extends ByteSource>(source: T, counter: { total: number }): T {
  return {
    ...source,
    async *stream(start: number, end?: number) {
      for await (const chunk of source.stream(start, end)) {
        counter.total += chunk.length;
        yield chunk;
      }
    },
  };
}

/** Milliseconds since `start` (a performance.now() reading), rounded. */
export function elapsedMs(start: number): number {
  return Math.round(performance.now() - start);
}
