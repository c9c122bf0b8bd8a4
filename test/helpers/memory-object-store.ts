/**
 * An ObjectStore in memory, for stage tests that need no server. `failPut` lets a test make a
 * chosen write fail, as a crash or a lost connection would.
 */
import { createHash } from "node:crypto";
import { PreconditionFailedError } from "../../functions/core/errors";
import type { ObjectStore } from "../../functions/core/object-store";

export interface MemoryObjectStore extends ObjectStore {
  readonly objects: Map<string, Uint8Array>;
  /** The content type each key was last written with. */
  readonly types: Map<string, string | undefined>;
  /** When it returns true for a key, that put throws instead of writing. */
  failPut?: (key: string) => boolean;
}

export function memoryObjectStore(name = "memory"): MemoryObjectStore {
  const objects = new Map<string, Uint8Array>();
  const types = new Map<string, string | undefined>();
  const store = {
    name,
    objects,
    types,
    failPut: undefined as ((key: string) => boolean) | undefined,
    async get(key: string) {
      const body = objects.get(key);
      if (body === undefined) throw new Error(`${name}/${key} does not exist`);
      // A copy, as a real store reads one: the caller owns what get() returns (and may let it go).
      return Uint8Array.from(body);
    },
    async put(key: string, body: Uint8Array | string, contentType?: string) {
      if (store.failPut?.(key)) throw new Error(`injected failure writing ${name}/${key}`);
      // A copy, as a real store writes one: the caller may reuse or let go of the body after.
      objects.set(key, typeof body === "string" ? Buffer.from(body, "utf8") : Uint8Array.from(body));
      types.set(key, contentType);
    },
    async putStream(key: string, body: AsyncIterable<Uint8Array>) {
      const parts: Uint8Array[] = [];
      for await (const part of body) parts.push(part);
      await store.put(key, Buffer.concat(parts));
    },
    async etag(key: string) {
      const body = objects.get(key);
      return body === undefined ? null : `"${createHash("md5").update(body).digest("hex")}"`;
    },
    async putIfUnchanged(
      key: string,
      body: Uint8Array | string,
      ifMatch: string | null,
      contentType?: string,
    ) {
      const current = await store.etag(key);
      if (current !== ifMatch)
        throw new PreconditionFailedError(`${name}/${key} is at ${current}, not ${ifMatch}`);
      await store.put(key, body, contentType);
    },
    async list(prefix: string) {
      return [...objects.keys()].filter((k) => k.startsWith(prefix)).sort();
    },
    async delete(keys: readonly string[]) {
      for (const k of keys) objects.delete(k);
    },
  };
  // Built untyped and cast: the interface grows members (streamed writes) this store also has.
  return store as MemoryObjectStore;
}
