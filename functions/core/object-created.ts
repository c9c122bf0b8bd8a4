/**
 * Which uploaded objects the pipeline takes, and which key an S3 "Object Created" event means.
 * Pure: the trigger stage does the I/O.
 *
 * Key encoding: S3 event notifications (to SQS, SNS, Lambda) carry URL-encoded keys (`+` for a
 * space); AWS documents the EventBridge event's `detail.object.key` without saying whether it
 * is encoded. Rather than bet on either, a key that decoding would change yields two candidate
 * keys and the trigger keeps the one that exists with the event's ETag (see `chooseKey`).
 */

/** Suffixes the upload rule and the backfill take: `.gz`/`.zip` so the plan rejects them loudly. */
export const PIPELINE_INPUT_SUFFIXES = [".csv", ".gz", ".zip"] as const;

export function isPipelineInput(key: string): boolean {
  return PIPELINE_INPUT_SUFFIXES.some((suffix) => key.endsWith(suffix));
}

/** `"ABC"` and `abc` are the same ETag: S3 APIs differ in quoting, never in the hex digits. */
export function normalizeEtag(etag: string): string {
  return etag.replace(/^W\//, "").replace(/"/g, "").toLowerCase();
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
