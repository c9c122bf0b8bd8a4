/**
 * The execution name of one object version's run: deterministic, so S3's at-least-once events
 * and repeated backfills map to the same Step Functions execution, and Step Functions itself
 * refuses the duplicate (ExecutionAlreadyExists). The name is also the run's `runId`, so it
 * must be a safe S3 key segment.
 */
import { createHash } from "node:crypto";
import type { ObjectVersion } from "../contracts";
import { formatExecutionArn, parseStatesArn, STATE_MACHINE_ARN_SHAPE } from "../core/arn";
import { ConfigError } from "../core/errors";
import { normalizeEtag } from "../core/object-created";
import { sourceStem } from "./layout";

/** Step Functions allows 80 characters; [0-9A-Za-z_-] keeps the name safe in keys and log streams. */
export const MAX_EXECUTION_NAME_LENGTH = 80;
/** 20 hex characters = 80 bits: collisions stay negligible across billions of object versions. */
const HASH_LENGTH = 20;
const READABLE_LENGTH = MAX_EXECUTION_NAME_LENGTH - HASH_LENGTH - 1;

/**
 * `<readable stem>-<hash>`: the stem (the object's file name without extensions, as in the
 * output's `source=` partition) tells a human which object it is; the hash of bucket, key and
 * ETag makes it unique per object version.
 */
export function executionName(object: ObjectVersion): string {
  const hash = createHash("sha256")
    .update(JSON.stringify([object.bucket, object.key, normalizeEtag(object.etag)]))
    .digest("hex")
    .slice(0, HASH_LENGTH);
  const readable = sourceStem(object.key)
    .replace(/[^0-9A-Za-z-]+/g, "_")
    .slice(0, READABLE_LENGTH)
    .replace(/^[_-]+|[_-]+$/g, "");
  return readable === "" ? hash : `${readable}-${hash}`;
}

/**
 * The ARN Step Functions gives an execution of `stateMachineArn` named `name`, which
 * StartExecution does not return when the execution already exists.
 */
export function executionArnOf(stateMachineArn: string, name: string): string {
  const machine = parseStatesArn(stateMachineArn);
  if (machine?.resourceType !== "stateMachine") {
    throw new ConfigError(
      `expected a state machine ARN like ${STATE_MACHINE_ARN_SHAPE}, got ${JSON.stringify(stateMachineArn)}`,
    );
  }
  return formatExecutionArn(machine, name);
}
