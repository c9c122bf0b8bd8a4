/**
 * One CloudWatch dashboard for the pipeline: executions, range and reduce durations, Lambda
 * errors, throttles and concurrency, rows per run and data checks failed. The row and duration
 * graphs read the metrics the handlers publish (functions/observability.ts), whose only
 * dimension is the stage (`service`).
 */
import { Duration } from "aws-cdk-lib";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import type * as sfn from "aws-cdk-lib/aws-stepfunctions";
import { Construct } from "constructs";
import type { PipelineStage, StageMetric } from "../../functions/observability";

export interface PipelineDashboardProps {
  /** The dashboard's name. */
  readonly dashboardName: string;
  readonly stateMachine: sfn.IStateMachine;
  /** Graphed per function, by a stable name. */
  readonly functions: Readonly<Record<string, lambda.IFunction>>;
  /** The handlers' metric namespace (POWERTOOLS_METRICS_NAMESPACE). */
  readonly metricsNamespace: string;
}

export class PipelineDashboard extends Construct {
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: PipelineDashboardProps) {
    super(scope, id);
    const period = Duration.minutes(5);
    const stageMetric = (
      stage: PipelineStage,
      metricName: StageMetric,
      statistic: string,
      label: string = metricName,
    ): cloudwatch.Metric =>
      new cloudwatch.Metric({
        namespace: props.metricsNamespace,
        metricName,
        dimensionsMap: { service: stage },
        statistic,
        period,
        label,
      });
    const perFunction = (metric: (fn: lambda.IFunction) => cloudwatch.IMetric) =>
      Object.values(props.functions).map(metric);
    const machine = props.stateMachine;
    const graph = (title: string, left: cloudwatch.IMetric[], right: cloudwatch.IMetric[] = []) =>
      new cloudwatch.GraphWidget({ title, left, right, width: 12, height: 6 });

    this.dashboard = new cloudwatch.Dashboard(this, "Dashboard", {
      dashboardName: props.dashboardName,
      defaultInterval: Duration.days(1),
      widgets: [
        [
          graph("Executions", [
            machine.metricStarted({ period, statistic: "Sum", label: "started" }),
            machine.metricSucceeded({ period, statistic: "Sum", label: "succeeded" }),
            machine.metricFailed({ period, statistic: "Sum", label: "failed" }),
            machine.metricTimedOut({ period, statistic: "Sum", label: "timed out" }),
          ]),
          graph(
            "Range and reduce seconds",
            [
              stageMetric("map", "RangeSeconds", "p50", "range p50"),
              stageMetric("map", "RangeSeconds", "p99", "range p99"),
              stageMetric("map", "RangeSeconds", "Maximum", "range max"),
            ],
            [stageMetric("reduce", "ReduceSeconds", "Maximum", "reduce")],
          ),
        ],
        [
          graph(
            "Lambda errors and throttles",
            perFunction((fn) => fn.metricErrors({ period, statistic: "Sum" })),
            perFunction((fn) => fn.metricThrottles({ period, statistic: "Sum" })),
          ),
          graph(
            "Lambda concurrency",
            perFunction((fn) => fn.metric("ConcurrentExecutions", { period, statistic: "Maximum" })),
          ),
        ],
        [
          graph("Rows per run", [
            stageMetric("reduce", "RowsRead", "Sum", "read"),
            stageMetric("reduce", "RowsOk", "Sum", "ok"),
            stageMetric("reduce", "RowsCorrupt", "Sum", "corrupt"),
            stageMetric("reduce", "RowsSampledOut", "Sum", "sampled out"),
          ]),
          graph(
            "Data checks failed, bytes mapped",
            [stageMetric("reduce", "ChecksFailed", "Sum", "checks failed")],
            [stageMetric("map", "RangeBytes", "Sum", "bytes mapped")],
          ),
        ],
      ],
    });
  }
}
