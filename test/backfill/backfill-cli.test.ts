/**
 * `edgar-etl backfill` and `edgar-etl status` against S3 (s3rver on 127.0.0.1) and a fake Step
 * Functions endpoint on 127.0.0.1 that speaks the JSON protocol for the calls the CLI makes,
 * with Step Functions' idempotency rules for execution names.
 */
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { executionName } from "../../functions/stages/execution-name";
import { type LocalS3, startLocalS3 } from "../../local/aws/local-s3";
import { backfillCommand, statusCommand } from "../../local/backfill/commands";
import {
  type FakeExecution,
  type FakeOperation,
  startFakeStepFunctions,
} from "../helpers/fake-step-functions";

const STATE_MACHINE_ARN = "arn:aws:states:us-east-1:123456789012:stateMachine:EdgarEtl-pipeline";
const FAST = ["--poll-seconds", "0.01"];

type Outcome = { status: "SUCCEEDED" } | { status: "FAILED"; error: string; cause: string };

interface BackfillExecution extends FakeExecution {
  describesLeft: number;
  error?: string;
  cause?: string;
}

/** Executions run for a few DescribeExecution polls, then end as `outcomeOf(key)` says. */
async function startBackfillStepFunctions(outcomeOf: (key: string) => Outcome) {
  let running = 0;
  let maxRunning = 0;
  const started = (execution: FakeExecution): BackfillExecution => {
    running++;
    maxRunning = Math.max(maxRunning, running);
    return { ...execution, describesLeft: 2 };
  };
  const operations = (executions: Map<string, BackfillExecution>): Record<string, FakeOperation> => ({
    DescribeExecution({ executionArn }) {
      const execution = [...executions.values()].find((e) => e.arn === executionArn);
      if (execution === undefined)
        return [
          400,
          { __type: "ExecutionDoesNotExist", message: `Execution Does Not Exist: '${executionArn}'` },
        ];
      if (execution.status === "RUNNING" && --execution.describesLeft < 0) {
        const outcome = outcomeOf((JSON.parse(execution.input) as { key: string }).key);
        Object.assign(execution, outcome);
        running--;
      }
      return [
        200,
        {
          executionArn: execution.arn,
          stateMachineArn: STATE_MACHINE_ARN,
          name: execution.name,
          status: execution.status,
          startDate: 1_700_000_000,
          ...(execution.status === "RUNNING" ? {} : { stopDate: 1_700_000_090 }),
          input: execution.input,
          ...(execution.status === "SUCCEEDED"
            ? {
                output: JSON.stringify({
                  reduce: {
                    status: "pass",
                    rows: { read: 10, ok: 10 },
                    manifestKey: "_runs/source=x/_manifest.json",
                  },
                }),
              }
            : {}),
          ...(execution.error === undefined ? {} : { error: execution.error, cause: execution.cause }),
        },
      ];
    },
    ListMapRuns({ executionArn }) {
      return [
        200,
        {
          mapRuns: [
            {
              executionArn,
              mapRunArn: `${String(executionArn)
                .replace(":execution:", ":mapRun:")
                .replace(/:([^:]+)$/, "/Ranges:$1")}`,
              stateMachineArn: STATE_MACHINE_ARN,
              startDate: 1_700_000_001,
            },
          ],
        },
      ];
    },
    /** A run failed by bad input has one failed Map Run child: its range's own error. */
    ListExecutions({ mapRunArn }) {
      const parentName = /:([^:/]+)$/.exec(String(mapRunArn))?.[1] ?? "";
      const parent = executions.get(parentName);
      if (parent?.error !== "InputRejectedError") return [200, { executions: [] }];
      const arn = `${String(mapRunArn).replace(":mapRun:", ":execution:")}:3`;
      executions.set(arn, {
        arn,
        name: "3",
        input: JSON.stringify({ version: 1, runId: parentName, index: 3 }),
        status: "FAILED",
        describesLeft: 0,
        error: "InputRejectedError",
        cause: JSON.stringify({ errorType: "InputRejectedError", errorMessage: "range 3: bad header" }),
      });
      return [200, { executions: [{ executionArn: arn, name: "3", status: "FAILED" }] }];
    },
    DescribeMapRun({ mapRunArn }) {
      const parentName = /:([^:/]+)$/.exec(String(mapRunArn))?.[1] ?? "";
      const failed = executions.get(parentName)?.error === "InputRejectedError" ? 1 : 0;
      return [
        200,
        {
          mapRunArn,
          executionArn: "x",
          status: "RUNNING",
          startDate: 1_700_000_001,
          maxConcurrency: 100,
          toleratedFailurePercentage: 0,
          toleratedFailureCount: 0,
          itemCounts: {
            pending: 3,
            running: 10,
            succeeded: 37,
            failed,
            timedOut: 0,
            aborted: 0,
            total: 50,
            resultsWritten: 0,
          },
          executionCounts: {
            pending: 3,
            running: 10,
            succeeded: 37,
            failed: 0,
            timedOut: 0,
            aborted: 0,
            total: 50,
            resultsWritten: 0,
          },
        },
      ];
    },
  });
  const fake = await startFakeStepFunctions({ stateMachineArn: STATE_MACHINE_ARN, started, operations });
  return { ...fake, maxRunning: () => maxRunning };
}

describe("edgar-etl backfill / status", () => {
  let s3: LocalS3;
  let sfn: Awaited<ReturnType<typeof startBackfillStepFunctions>>;
  let printed: string[];
  const etags = new Map<string, string>();

  beforeAll(async () => {
    s3 = await startLocalS3(["input"]);
    sfn = await startBackfillStepFunctions((key) => {
      if (key.includes("checks"))
        return {
          status: "FAILED",
          error: "DataChecksFailed",
          cause: 'data checks failed: ["maxCorruptShare"]',
        };
      if (key.includes("broken"))
        return { status: "FAILED", error: "InputRejectedError", cause: "header does not match" };
      return { status: "SUCCEEDED" };
    });
    for (const [name, value] of Object.entries(s3.env)) vi.stubEnv(name, value);
    vi.stubEnv("AWS_ENDPOINT_URL_SFN", sfn.endpoint);
    const keys = [
      "incoming/2017/log20170101.csv",
      "incoming/2017/log20170102.csv",
      "incoming/2017/log20170103.csv",
      "incoming/2017/log20170104.csv",
      "incoming/2017/log20170105.zip",
      "incoming/2017/README.txt",
      "incoming/mixed/log20180101.csv",
      "incoming/mixed/checks-log20180102.csv",
      "incoming/mixed/broken-log20180103.csv",
      "incoming/checks-only/checks-log20190101.csv",
    ];
    for (const key of keys) {
      const put = await s3.client.send(
        new PutObjectCommand({ Bucket: "input", Key: key, Body: `body of ${key}` }),
      );
      etags.set(key, put.ETag ?? "");
    }
  });

  beforeEach(() => {
    printed = [];
    vi.spyOn(console, "log").mockImplementation((line: string) => void printed.push(line));
    vi.spyOn(console, "error").mockImplementation((line: string) => void printed.push(line));
  });

  afterEach(() => {
    vi.restoreAllMocks();
  });

  afterAll(async () => {
    vi.unstubAllEnvs();
    await sfn.close();
    await s3.stop();
  });

  const backfill = (prefix: string, ...more: string[]) =>
    backfillCommand([
      "--state-machine",
      STATE_MACHINE_ARN,
      "--bucket",
      "input",
      "--prefix",
      prefix,
      ...FAST,
      ...more,
    ]);

  it("--dry-run lists each .csv/.gz/.zip object with the trigger's execution name and starts nothing", async () => {
    const code = await backfill("incoming/2017/", "--dry-run");

    expect(code).toBe(0);
    const key = "incoming/2017/log20170101.csv";
    expect(printed).toContain(
      `${executionName({ bucket: "input", key, etag: etags.get(key)! })}  s3://input/${key}`,
    );
    expect(printed.at(-1)).toBe(
      "backfill s3://input/incoming/2017/: 5 objects would be started (dry run: nothing started)",
    );
    expect(printed.join("\n")).not.toContain("README.txt");
    expect(sfn.calls).not.toContain("StartExecution");
  });

  it("starts every object, never more than --max-parallel at once, and follows them to the end", async () => {
    const code = await backfill("incoming/2017/", "--max-parallel", "2");

    expect(code).toBe(0);
    expect(sfn.executions.size).toBe(5);
    expect(sfn.maxRunning()).toBe(2);
    expect(printed).toContain("[5/5] running 0, succeeded 5, already done 0, checks failed 0, failed 0");
    expect(printed.at(-1)).toBe(
      "backfill s3://input/incoming/2017/: 5 succeeded, 0 already done, 0 failed data checks (outputs written), 0 failed",
    );
  });

  it("is idempotent: a second backfill finds every run done and starts none", async () => {
    const started = sfn.executions.size;

    const code = await backfill("incoming/2017/");

    expect(code).toBe(0);
    expect(sfn.executions.size).toBe(started);
    expect(printed.at(-1)).toMatch(
      /0 succeeded, 5 already done, 0 failed data checks \(outputs written\), 0 failed$/,
    );
  });

  it("reports failed objects with their execution and error, and exits 1", async () => {
    const code = await backfill("incoming/mixed/");

    expect(code).toBe(1);
    expect(
      printed.some((l) =>
        /^FAILED incoming\/mixed\/broken-log20180103\.csv .* FAILED InputRejectedError: header does not match$/.test(
          l,
        ),
      ),
    ).toBe(true);
    expect(printed.some((l) => l.startsWith("CHECKS FAILED incoming/mixed/checks-log20180102.csv"))).toBe(
      true,
    );
    expect(printed.at(-1)).toMatch(
      /1 succeeded, 0 already done, 1 failed data checks \(outputs written\), 1 failed$/,
    );
  });

  it("exits 3 when the only failures are data checks (the outputs were written)", async () => {
    expect(await backfill("incoming/checks-only/")).toBe(3);
  });

  it("reports nothing to run under an empty prefix", async () => {
    expect(await backfill("incoming/none/")).toBe(0);
    expect(printed.at(-1)).toBe(
      "backfill s3://input/incoming/none/: no .csv, .gz or .zip objects; nothing to run",
    );
  });

  it.each([
    [["--bucket", "input", "--prefix", "p"], /--state-machine <arn> is required/],
    [
      ["--state-machine", "arn:aws:s3:::nope", "--bucket", "b", "--prefix", "p"],
      /expected an ARN like arn:aws:states:/,
    ],
    [
      ["--state-machine", STATE_MACHINE_ARN, "--bucket", "b", "--prefix", "p", "--max-parallel", "0"],
      /--max-parallel must be a whole number >= 1, got "0"/,
    ],
  ])("exits 2 with the reason and the usage on bad flags %#", async (args, message) => {
    expect(await backfillCommand(args)).toBe(2);
    expect(printed[0]).toMatch(message);
    expect(printed[0]).toContain("usage: edgar-etl backfill");
  });

  it("status shows the execution and its Map Run's item counts", async () => {
    const execution = [...sfn.executions.values()].find((e) => e.status === "SUCCEEDED")!;

    const code = await statusCommand([execution.arn]);

    expect(code).toBe(0);
    const output = printed.join("\n");
    expect(output).toContain(`execution ${execution.name}: SUCCEEDED after 1m30s`);
    expect(output).toContain("result: data checks pass");
    expect(output).toContain("map run Ranges: RUNNING: 37/50 succeeded, 0 failed, 10 running, 3 pending");
  });

  it("status exits 3 for a run whose data checks failed, showing the cause", async () => {
    const execution = [...sfn.executions.values()].find((e) => e.error === "DataChecksFailed")!;

    expect(await statusCommand([execution.arn])).toBe(3);
    expect(printed.join("\n")).toContain('error: DataChecksFailed: data checks failed: ["maxCorruptShare"]');
  });

  it("status --watch follows a running execution to its end: ranges done of total, MB/s and ETA", async () => {
    // Prepare
    const key = "incoming/2017/log20170101.csv";
    const name = "watched-run";
    const arn = `${STATE_MACHINE_ARN.replace(":stateMachine:", ":execution:")}:${name}`;
    sfn.executions.set(name, {
      arn,
      name,
      input: JSON.stringify({ bucket: "input", key }),
      status: "RUNNING",
      describesLeft: 2,
    });
    const progress: string[] = [];
    vi.spyOn(process.stderr, "write").mockImplementation((chunk) => {
      progress.push(String(chunk));
      return true;
    });

    // Act
    // Polls far enough apart that the last one is a second in: a pace (MB/s, ETA) can be told.
    const code = await statusCommand([arn, "--watch", "--poll-seconds", "0.6"]);

    // Assess
    expect(code).toBe(0);
    expect(printed[0]).toContain(`execution ${name}: RUNNING`);
    expect(printed.at(-1)).toContain(`execution ${name}: SUCCEEDED`);
    // The fake Map Run has 37 of 50 items done; the input's size comes from S3.
    const mb = (`body of ${key}`.length / 1e6).toFixed(1);
    expect(progress.join("")).toMatch(
      new RegExp(`^ranges: 37/50 ranges, ${mb}/${mb} MB \\(74 %\\), [\\d.]+ MB/s, ETA \\d+ s$`, "m"),
    );
  });

  it("status shows a failed Map Run item with its own error and cause", async () => {
    const execution = [...sfn.executions.values()].find((e) => e.error === "InputRejectedError")!;

    expect(await statusCommand([execution.arn])).toBe(1);
    const output = printed.join("\n");
    expect(output).toContain("map run Ranges: RUNNING: 37/50 succeeded, 1 failed");
    expect(output).toContain(
      'failed Ranges item 3: InputRejectedError: {"errorType":"InputRejectedError","errorMessage":"range 3: bad header"}',
    );
  });

  it("status reports an unknown execution in one line and exits 1", async () => {
    const code = await statusCommand([
      "arn:aws:states:us-east-1:123456789012:execution:EdgarEtl-pipeline:nope",
    ]);

    expect(code).toBe(1);
    expect(printed[0]).toMatch(/^edgar-etl status: ExecutionDoesNotExist: Execution Does Not Exist/);
  });
});
