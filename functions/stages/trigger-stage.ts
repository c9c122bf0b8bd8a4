/**
 * What the trigger does with one "Object Created" event, with its I/O passed in as ports:
 * settle which key the event means, name the run after the object version, start it once.
 */
import type { ObjectCreatedEvent, RunInput } from "../contracts";
import { chooseKey, keyCandidates } from "../core/object-created";
import { executionName } from "./execution-name";

export interface RunRequest {
  readonly stateMachineArn: string;
  readonly name: string;
  readonly input: RunInput;
}

export interface StartRunOutcome {
  /**
   * `started`: StartExecution succeeded (Step Functions also answers so, with the original ARN,
   * when the same name and input are still running); `exists`: an execution with this name has
   * already run (or runs with another input), so this object version needs no new run.
   */
  readonly status: "started" | "exists";
  readonly executionArn: string;
  readonly name: string;
}

/** Starts one object's run, idempotently: the trigger and the backfill both start runs so. */
export type StartRun = (request: RunRequest) => Promise<StartRunOutcome>;

export interface TriggerPorts {
  readonly stateMachineArn: string;
  /** The ETag of `bucket/key`, or undefined when no such object exists. */
  readonly findEtag: (bucket: string, key: string) => Promise<string | undefined>;
  readonly startRun: StartRun;
}

export type TriggerOutcome =
  | (StartRunOutcome & { readonly bucket: string; readonly key: string })
  | { readonly status: "skipped"; readonly bucket: string; readonly key: string; readonly reason: string };

export async function triggerRun(object: ObjectCreatedEvent, ports: TriggerPorts): Promise<TriggerOutcome> {
  const candidates = keyCandidates(object.key);
  let key: string | undefined = object.key;
  if (candidates.length > 1) {
    const etags = new Map<string, string | undefined>();
    for (const candidate of candidates) etags.set(candidate, await ports.findEtag(object.bucket, candidate));
    key = chooseKey(candidates, etags, object.etag);
  }
  if (key === undefined) {
    return {
      status: "skipped",
      bucket: object.bucket,
      key: object.key,
      reason: `no object exists any more under ${candidates.map((k) => JSON.stringify(k)).join(" or ")}: deleted since the event, nothing to run`,
    };
  }
  const name = executionName({ bucket: object.bucket, key, etag: object.etag });
  const outcome = await ports.startRun({
    stateMachineArn: ports.stateMachineArn,
    name,
    input: { bucket: object.bucket, key },
  });
  return { ...outcome, bucket: object.bucket, key };
}
