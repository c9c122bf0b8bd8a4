/**
 * Reading S3's EventBridge "Object Created" event, and deciding which objects the pipeline
 * takes. Pure: the handler does the I/O.
 *
 * Key encoding: S3 event notifications (to SQS, SNS, Lambda) carry URL-encoded keys (`+` for a
 * space); AWS documents the EventBridge event's `detail.object.key` without saying whether it
 * is encoded. Rather than bet on either, a key that decoding would change yields two candidate
 * keys and the handler keeps the one that exists with the event's ETag (see `chooseKey`).
 */
import { EtlError } from "../core/errors";
import { normalizeEtag, type ObjectVersion } from "./execution-name";

/** Suffixes the upload rule and the backfill take: `.gz`/`.zip` so the plan rejects them loudly. */
export const PIPELINE_INPUT_SUFFIXES = [".csv", ".gz", ".zip"] as const;

export function isPipelineInput(key: string): boolean {
  return PIPELINE_INPUT_SUFFIXES.some((suffix) => key.endsWith(suffix));
}

/** The event is not an S3 "Object Created" event the trigger can act on. */
export class TriggerEventError extends EtlError {
  readonly code = "BAD_TRIGGER_EVENT";
}

export interface ObjectCreated extends ObjectVersion {
  /** Orders events for one key; equal in duplicates of the same event. */
  readonly sequencer?: string;
}

const EXPECTED_SHAPE =
  'expected an EventBridge event {"source":"aws.s3","detail-type":"Object Created","detail":{"bucket":{"name"},"object":{"key","etag"}}}';

export function parseObjectCreatedEvent(event: unknown): ObjectCreated {
  const e = event as {
    source?: unknown;
    "detail-type"?: unknown;
    detail?: { bucket?: { name?: unknown }; object?: { key?: unknown; etag?: unknown; sequencer?: unknown } };
  } | null;
  const bucket = e?.detail?.bucket?.name;
  const key = e?.detail?.object?.key;
  const etag = e?.detail?.object?.etag;
  if (
    e?.source !== "aws.s3" ||
    e["detail-type"] !== "Object Created" ||
    typeof bucket !== "string" ||
    bucket === "" ||
    typeof key !== "string" ||
    key === "" ||
    typeof etag !== "string" ||
    etag === ""
  ) {
    throw new TriggerEventError(`${EXPECTED_SHAPE}; got ${clip(JSON.stringify(event))}`);
  }
  const sequencer = e.detail?.object?.sequencer;
  return { bucket, key, etag, ...(typeof sequencer === "string" ? { sequencer } : {}) };
}

/**
 * The keys the event's key may stand for, most likely first: the key as sent, then its
 * form-URL-decoded reading if that differs (and is valid percent-encoding).
 */
export function keyCandidates(key: string): readonly string[] {
  let decoded: string;
  try {
    decoded = decodeURIComponent(key.replace(/\+/g, " "));
  } catch {
    return [key];
  }
  return decoded === key ? [key] : [key, decoded];
}

/**
 * Picks the candidate that exists with the event's ETag; failing that, the first that exists
 * (the object was overwritten since: the run reads the current version); undefined when none
 * exists any more (deleted since the event: nothing to run).
 */
export function chooseKey(
  candidates: readonly string[],
  etagsFound: ReadonlyMap<string, string | undefined>,
  eventEtag: string,
): string | undefined {
  const existing = candidates.filter((k) => etagsFound.get(k) !== undefined);
  return existing.find((k) => normalizeEtag(etagsFound.get(k)!) === normalizeEtag(eventEtag)) ?? existing[0];
}

function clip(s: string | undefined): string {
  if (s === undefined) return "undefined";
  return s.length > 300 ? `${s.slice(0, 300)}…` : s;
}
