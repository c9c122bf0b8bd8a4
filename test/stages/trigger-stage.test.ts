/**
 * triggerRun with its ports in memory: which key an event means, the run's name and input, and
 * an event whose object is gone. (test/trigger/handler.test.ts runs it through the real clients.)
 */
import { describe, expect, it } from "vitest";
import { executionName } from "../../functions/stages/execution-name";
import { type RunRequest, type TriggerPorts, triggerRun } from "../../functions/stages/trigger-stage";

const STATE_MACHINE_ARN = "arn:aws:states:us-east-1:123456789012:stateMachine:EdgarEtl-pipeline";

/** Ports over a bucket holding `objects` (key -> ETag), recording every lookup and start. */
function portsOver(objects: Record<string, string>) {
  const lookups: [string, string][] = [];
  const starts: RunRequest[] = [];
  const ports: TriggerPorts = {
    stateMachineArn: STATE_MACHINE_ARN,
    findEtag: async (bucket, key) => {
      lookups.push([bucket, key]);
      return objects[key];
    },
    startRun: async (request) => {
      starts.push(request);
      return {
        status: "started",
        executionArn: `arn:…:execution:EdgarEtl-pipeline:${request.name}`,
        name: request.name,
      };
    },
  };
  return { ports, lookups, starts };
}

describe("triggerRun", () => {
  it("starts a plain key's run without looking it up: named after the object version, input {bucket, key}", async () => {
    const { ports, lookups, starts } = portsOver({});
    const object = { bucket: "input", key: "incoming/log20170630.csv", etag: "e1" };

    const outcome = await triggerRun(object, ports);

    const name = executionName(object);
    expect(lookups).toEqual([]);
    expect(starts).toEqual([
      {
        stateMachineArn: STATE_MACHINE_ARN,
        name,
        input: { bucket: "input", key: "incoming/log20170630.csv" },
      },
    ]);
    expect(outcome).toEqual({
      status: "started",
      executionArn: `arn:…:execution:EdgarEtl-pipeline:${name}`,
      name,
      bucket: "input",
      key: "incoming/log20170630.csv",
    });
  });

  it("runs the decoded key when that is the object with the event's ETag, looking up both in the event's bucket", async () => {
    const { ports, lookups, starts } = portsOver({
      "incoming/a+b.csv": '"other"',
      "incoming/a b.csv": '"E1"',
    });

    const outcome = await triggerRun({ bucket: "input", key: "incoming/a+b.csv", etag: "e1" }, ports);

    expect(lookups).toEqual([
      ["input", "incoming/a+b.csv"],
      ["input", "incoming/a b.csv"],
    ]);
    expect(starts.map((s) => s.input)).toEqual([{ bucket: "input", key: "incoming/a b.csv" }]);
    expect(starts[0]!.name).toBe(executionName({ bucket: "input", key: "incoming/a b.csv", etag: "e1" }));
    expect(outcome).toMatchObject({ status: "started", key: "incoming/a b.csv" });
  });

  it("skips, starting nothing, when no candidate exists any more, naming every key it looked for", async () => {
    const { ports, starts } = portsOver({});

    const outcome = await triggerRun({ bucket: "input", key: "incoming/gone+soon.csv", etag: "e1" }, ports);

    expect(starts).toEqual([]);
    expect(outcome).toEqual({
      status: "skipped",
      bucket: "input",
      key: "incoming/gone+soon.csv",
      reason:
        'no object exists any more under "incoming/gone+soon.csv" or "incoming/gone soon.csv": deleted since the event, nothing to run',
    });
  });

  it("passes on what startRun answers for a run that already exists", async () => {
    const { ports } = portsOver({});
    const exists: TriggerPorts = {
      ...ports,
      startRun: async (request) => ({
        status: "exists",
        executionArn: "arn:…:execution:m:x",
        name: request.name,
      }),
    };

    const outcome = await triggerRun({ bucket: "input", key: "incoming/a.csv", etag: "e1" }, exists);

    expect(outcome).toMatchObject({
      status: "exists",
      executionArn: "arn:…:execution:m:x",
      key: "incoming/a.csv",
    });
  });
});
