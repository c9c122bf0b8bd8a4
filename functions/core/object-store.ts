/**
 * Where the pipeline keeps what it writes: one bucket (or one local directory), keys relative
 * to it. Adapters: adapters/file-object-store.ts and adapters/s3-object-store.ts.
 */
export interface ObjectStore {
  /** Human-readable root for messages, e.g. `s3://bucket` or a directory. */
  readonly name: string;
  get(key: string): Promise<Uint8Array>;
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

export async function getJson<T>(store: ObjectStore, key: string): Promise<T> {
  return JSON.parse(Buffer.from(await store.get(key)).toString("utf8")) as T;
}

export function putJson(store: ObjectStore, key: string, doc: unknown): Promise<void> {
  return store.put(key, JSON.stringify(doc, null, 2), "application/json");
}
