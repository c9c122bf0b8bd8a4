/**
 * What the trigger does with one "Object Created" event, with its I/O passed in: parse, settle
 * which key the event means, name the run after the object version, start it once.
 */
import { executionName } from "./execution-name";
import { chooseKey, keyCandidates, parseObjectCreatedEvent } from "./object-created";
import type { RunRequest, StartRunOutcome } from "./start-run";

export interface TriggerPorts {
  readonly stateMachineArn: string;
  /** The ETag of `bucket/key`, or undefined when no such object exists. */
  readonly findEtag: (bucket: string, key: string) => Promise<string | undefined>;
  readonly startRun: (request: RunRequest) => Promise<StartRunOutcome>;
}

export type TriggerOutcome =
  | (StartRunOutcome & { readonly bucket: string; readonly key: string })
  | { readonly status: "skipped"; readonly bucket: string; readonly key: string; readonly reason: string };

export async function triggerRun(event: unknown, ports: TriggerPorts): Promise<TriggerOutcome> {
  const object = parseObjectCreatedEvent(event);
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
