/**
 * Invoked by the EventBridge rule on the input bucket: starts one state machine execution per
 * uploaded object version. Duplicate events find the execution already there and succeed.
 */
import { SFNClient } from "@aws-sdk/client-sfn";
import { createS3Client } from "../adapters/s3-client";
import { s3EtagFinder } from "../adapters/s3-etag-finder";
import { sfnRunStarter } from "../adapters/sfn-run-starter";
import { parseObjectCreatedEvent } from "../core/events";
import { readTriggerConfig } from "../environment";
import { elapsedMs, stageTelemetry } from "../observability";
import { type TriggerOutcome, triggerRun } from "../stages/trigger-stage";

const config = readTriggerConfig();
const ports = {
  stateMachineArn: config.stateMachineArn,
  findEtag: s3EtagFinder(createS3Client()),
  startRun: sfnRunStarter(new SFNClient({})),
};
const telemetry = stageTelemetry("trigger");

export async function handler(event: unknown): Promise<TriggerOutcome> {
  const started = performance.now();
  const outcome = await telemetry.observe("upload event failed", {}, async () =>
    triggerRun(parseObjectCreatedEvent(event), ports),
  );
  telemetry.report(
    `run ${outcome.status}`,
    {
      status: outcome.status,
      key: outcome.key,
      ...("name" in outcome ? { runId: outcome.name } : {}),
      ...("reason" in outcome ? { reason: outcome.reason } : {}),
      ms: elapsedMs(started),
    },
    {
      RunsStarted: outcome.status === "started" ? 1 : 0,
      DuplicateEvents: outcome.status === "exists" ? 1 : 0,
    },
  );
  return outcome;
}
