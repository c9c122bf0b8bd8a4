/**
 * The events the functions receive, checked before any work: one parser per contract. A bad
 * event fails with one line in one shape: `<function> input: <what is wrong>; expected <shape>;
 * got <the event>; <what to do>`. Pure.
 */
import type {
  InflateEvent,
  ObjectCreatedEvent,
  PlanEvent,
  RangeFailureEvent,
  RangeTask,
  ReduceEvent,
} from "../contracts";
import { clip, QUOTED_CHARS } from "./clip";
import { ConfigError, type EtlError, TriggerEventError } from "./errors";

interface EventContract {
  /** Whose input it is: the message's first words. */
  readonly input: string;
  readonly expected: string;
  readonly toDo: string;
  readonly error: new (message: string) => EtlError;
}

/** The pipeline's events come from its state machine; a bad one means a mismatched deployment or a hand-made invocation. */
const FROM_STATE_MACHINE =
  "invoke the function through the pipeline's state machine, deployed together with it (cdk deploy)";

const INFLATE: EventContract = {
  input: "inflate input",
  expected: '{"runId","bucket","key"}',
  toDo: FROM_STATE_MACHINE,
  error: ConfigError,
};

const PLAN: EventContract = {
  input: "plan input",
  expected: '{"runId","bucket","key"} plus optional rangeBytes, sample, mode, checks, topN, archive',
  toDo: `start the execution with {"bucket","key"} and optional run settings, and ${FROM_STATE_MACHINE}`,
  error: ConfigError,
};

const MAP: EventContract = {
  input: "map input",
  expected: 'a RangeTask {"version":1,"runId","planKey","index"}',
  toDo: FROM_STATE_MACHINE,
  error: ConfigError,
};

const REDUCE: EventContract = {
  input: "reduce input",
  expected:
    '{"planKey": "runs/<runId>/plan.json"}, or {"rangeFailure": {"runId","resultsPrefix","error","cause"}}',
  toDo: FROM_STATE_MACHINE,
  error: ConfigError,
};

const OBJECT_CREATED: EventContract = {
  input: "trigger input",
  expected:
    'an EventBridge event {"source":"aws.s3","detail-type":"Object Created","detail":{"bucket":{"name"},"object":{"key","etag"}}}',
  toDo: 'route only S3 "Object Created" events (EventBridge notifications of the input bucket) to this function',
  error: TriggerEventError,
};

export function parseInflateEvent(event: unknown): InflateEvent {
  const e = recordOf(event);
  for (const field of ["runId", "bucket", "key"] as const) requireText(INFLATE, event, field, e[field]);
  return event as InflateEvent;
}

export function parsePlanEvent(event: unknown): PlanEvent {
  const e = recordOf(event);
  for (const field of ["runId", "bucket", "key"] as const) requireText(PLAN, event, field, e[field]);
  const archive = e.archive as { key?: unknown; member?: unknown; format?: unknown } | null | undefined;
  if (
    archive !== undefined &&
    (typeof archive?.key !== "string" ||
      typeof archive.member !== "string" ||
      (archive.format !== "zip" && archive.format !== "gzip"))
  ) {
    reject(
      PLAN,
      event,
      `"archive" must be the inflate stage's {"format":"zip"|"gzip","bucket","key","size","member"}`,
    );
  }
  return event as PlanEvent;
}

export function parseRangeTask(event: unknown): RangeTask {
  const e = recordOf(event);
  if (e.version !== 1) reject(MAP, event, '"version" must be 1');
  if (typeof e.planKey !== "string") reject(MAP, event, '"planKey" must be a string');
  if (!Number.isInteger(e.index)) reject(MAP, event, '"index" must be a whole number');
  return event as RangeTask;
}

/** The reducer's two events: merge a plan's partials, or find a failed range's error. */
export function parseReduceEvent(event: unknown): ReduceEvent | RangeFailureEvent {
  const e = recordOf(event);
  if ("rangeFailure" in e) {
    const request = recordOf(e.rangeFailure);
    if (typeof request.runId !== "string" || typeof request.resultsPrefix !== "string") {
      reject(REDUCE, event, '"rangeFailure" needs "runId" and "resultsPrefix" (strings)');
    }
    return event as RangeFailureEvent;
  }
  if (typeof e.planKey !== "string") reject(REDUCE, event, '"planKey" must be a string');
  return event as ReduceEvent;
}

export function parseObjectCreatedEvent(event: unknown): ObjectCreatedEvent {
  const e = recordOf(event);
  if (e.source !== "aws.s3") reject(OBJECT_CREATED, event, '"source" must be "aws.s3"');
  if (e["detail-type"] !== "Object Created")
    reject(OBJECT_CREATED, event, '"detail-type" must be "Object Created"');
  const detail = recordOf(e.detail);
  const object = recordOf(detail.object);
  const bucket = requireText(OBJECT_CREATED, event, "detail.bucket.name", recordOf(detail.bucket).name);
  const key = requireText(OBJECT_CREATED, event, "detail.object.key", object.key);
  const etag = requireText(OBJECT_CREATED, event, "detail.object.etag", object.etag);
  const sequencer = object.sequencer;
  return { bucket, key, etag, ...(typeof sequencer === "string" ? { sequencer } : {}) };
}

function recordOf(value: unknown): Readonly<Record<string, unknown>> {
  return value !== null && typeof value === "object" ? (value as Record<string, unknown>) : {};
}

function requireText(contract: EventContract, event: unknown, field: string, value: unknown): string {
  if (typeof value !== "string" || value === "")
    reject(contract, event, `"${field}" must be a non-empty string`);
  return value;
}

function reject(contract: EventContract, event: unknown, problem: string): never {
  throw new contract.error(
    `${contract.input}: ${problem}; expected ${contract.expected}; got ${clip(JSON.stringify(event) ?? "undefined", QUOTED_CHARS)}; ${contract.toDo}`,
  );
}
