/**
 * What the handlers' telemetry prints: in Lambda, one JSON log line and one Embedded Metric Format
 * record on stdout, whose only dimension is the stage (bounded cardinality: the run id and range
 * index are properties, not dimensions); off Lambda, nothing unless asked, and then on stderr.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { stageTelemetry } from "../../functions/observability";

function capture(stream: NodeJS.WriteStream): string[] {
  const lines: string[] = [];
  vi.spyOn(stream, "write").mockImplementation((chunk: string | Uint8Array) => {
    lines.push(
      ...String(chunk)
        .split("\n")
        .filter((l) => l !== ""),
    );
    return true;
  });
  return lines;
}

const fields = { runId: "log20170630-0123", rangeIndex: 7, bytes: 67_108_864, rows: 590_000, ms: 1350 };

describe("stageTelemetry", () => {
  afterEach(() => vi.restoreAllMocks());

  it("in Lambda: a JSON log line with the fields, and EMF metrics dimensioned by the stage only", () => {
    const stdout = capture(process.stdout);
    const telemetry = stageTelemetry("map", {
      AWS_LAMBDA_FUNCTION_NAME: "EdgarEtl-Map",
      POWERTOOLS_METRICS_NAMESPACE: "EdgarEtl",
    });

    telemetry.report("range mapped", fields, {
      RangeSeconds: 1.35,
      RangeBytes: 67_108_864,
      RangeRowsRead: 590_000,
    });

    const records = stdout.map((l) => JSON.parse(l) as Record<string, unknown>);
    const log = records.find((r) => r.message === "range mapped");
    expect(log).toMatchObject({ level: "INFO", service: "map", ...fields });
    const emf = records.find((r) => r._aws !== undefined) as {
      _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: object[] }[] };
    } & Record<string, unknown>;
    expect(emf._aws.CloudWatchMetrics).toEqual([
      {
        Namespace: "EdgarEtl",
        Dimensions: [["service"]],
        Metrics: expect.arrayContaining([
          { Name: "RangeSeconds", Unit: "Seconds" },
          { Name: "RangeBytes", Unit: "Bytes" },
          { Name: "RangeRowsRead", Unit: "Count" },
        ]),
      },
    ]);
    expect(emf).toMatchObject({
      service: "map",
      RangeSeconds: 1.35,
      RangeBytes: 67_108_864,
      runId: fields.runId,
      rangeIndex: "7",
    });
  });

  it("off Lambda: prints nothing by default", () => {
    const stdout = capture(process.stdout);
    const stderr = capture(process.stderr);

    stageTelemetry("reduce", {}).report("run reduced", fields, { ReduceSeconds: 2 });

    expect([...stdout, ...stderr]).toEqual([]);
  });

  it("off Lambda with POWERTOOLS_LOG_LEVEL=INFO: the same log line on stderr, no metrics", () => {
    const stdout = capture(process.stdout);
    const stderr = capture(process.stderr);

    stageTelemetry("plan", { POWERTOOLS_LOG_LEVEL: "INFO" }).report("object planned", fields, {
      PlanSeconds: 0.1,
    });

    expect(stdout).toEqual([]);
    expect(stderr.map((l) => JSON.parse(l))).toEqual([
      expect.objectContaining({ level: "INFO", message: "object planned", service: "plan", ...fields }),
    ]);
  });

  it("logs a failure with its fields and the error, and rethrows it", async () => {
    const stderr = capture(process.stderr);
    const telemetry = stageTelemetry("map", { POWERTOOLS_LOG_LEVEL: "INFO" });

    const failing = telemetry.observe("range failed", { runId: "r", rangeIndex: 3 }, async () => {
      throw new RangeError("range 3 is not in plan r");
    });

    await expect(failing).rejects.toThrow("range 3 is not in plan r");
    expect(JSON.parse(stderr[0]!)).toMatchObject({
      level: "ERROR",
      message: "range failed",
      runId: "r",
      rangeIndex: 3,
      error: { name: "RangeError", message: "range 3 is not in plan r" },
    });
  });
});
