/**
 * Where the pipeline keeps what it writes: one bucket (or one local directory), keys relative
 * to it. Adapters: adapters/file-object-store.ts and adapters/s3-object-store.ts.
 */
import { EtlError, IncompleteReadError } from "./errors";

export interface ObjectStore {
  /** Human-readable root for messages, e.g. `s3://bucket` or a directory. */
  readonly name: string;
  /** The object's bytes, the caller's own: no other reader shares them (a stage may release them). */
  get(key: string): Promise<Uint8Array>;
  /** Writes the object; `body` is not kept once the promise settles (the caller may release it). */
  put(key: string, body: Uint8Array | string, contentType?: string): Promise<void>;
  /**
   * Writes a body of unknown length in bounded memory (S3: a multipart upload). If the body
   * throws, nothing is left at the key and the error propagates.
   */
  putStream(key: string, body: AsyncIterable<Uint8Array>, contentType?: string): Promise<void>;
  /** Keys under a prefix, in lexicographic order. */
  list(prefix: string): Promise<string[]>;
  /** Deletes the keys that exist; absent keys are not an error. */
  delete(keys: readonly string[]): Promise<void>;
  /** The object's ETag, or null when the key does not exist. */
  etag(key: string): Promise<string | null>;
  /**
   * Writes only if the key is as last seen: its ETag is `ifMatch`, or, with null, it does not
   * exist (S3's If-Match and If-None-Match: *). Otherwise rejects with PreconditionFailedError.
   */
  putIfUnchanged(
    key: string,
    body: Uint8Array | string,
    ifMatch: string | null,
    contentType?: string,
  ): Promise<void>;
}

/** Reads of a work document: one cut short in transit is read again, this many times in all. */
export const READ_ATTEMPTS = 3;

/**
 * Reads `key` and decodes it, reading again when the transfer failed or the bytes came cut short
 * (an IncompleteReadError or a SyntaxError from decode, or a failed get): a body reset mid-way
 * or truncated passes the SDK's own retries. The last failure is thrown as it is.
 */
export async function readDecoded<T>(
  store: ObjectStore,
  key: string,
  decode: (bytes: Uint8Array) => T,
  attempts = READ_ATTEMPTS,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return decode(await store.get(key));
    } catch (e) {
      const transient =
        e instanceof IncompleteReadError || e instanceof SyntaxError || !(e instanceof EtlError);
      if (!transient || attempt >= attempts) throw e;
    }
  }
}

export function getJson<T>(store: ObjectStore, key: string): Promise<T> {
  return readDecoded(store, key, (bytes) => JSON.parse(Buffer.from(bytes).toString("utf8")) as T);
}

export function putJson(store: ObjectStore, key: string, doc: unknown): Promise<void> {
  return store.put(key, JSON.stringify(doc, null, 2), "application/json");
}
