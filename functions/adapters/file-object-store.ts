import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join, relative, sep } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { PreconditionFailedError } from "../core/errors";
import type { ObjectStore } from "../core/object-store";

/**
 * A directory as an ObjectStore: keys are relative paths; writes are atomic (temp + rename).
 * ETags are the content's MD5, as S3's for a single-part object; conditional writes are checked
 * in this process, so a directory has one writer at a time.
 */
export function fileObjectStore(root: string): ObjectStore {
  const pathOf = (key: string) => join(root, ...key.split("/"));
  return {
    name: root,
    async get(key) {
      return readFile(pathOf(key));
    },
    async put(key, body) {
      const path = pathOf(key);
      await mkdir(dirname(path), { recursive: true });
      const temp = `${path}.${process.pid}.tmp`;
      await writeFile(temp, body);
      await rename(temp, path);
    },
    async putStream(key, body) {
      const path = pathOf(key);
      await mkdir(dirname(path), { recursive: true });
      const temp = `${path}.${process.pid}.tmp`;
      try {
        await pipeline(Readable.from(body, { objectMode: false }), createWriteStream(temp));
      } catch (e) {
        await rm(temp, { force: true });
        throw e;
      }
      await rename(temp, path);
    },
    async list(prefix) {
      const keys: string[] = [];
      const walk = async (dir: string): Promise<void> => {
        let entries: import("node:fs").Dirent[];
        try {
          entries = await readdir(dir, { withFileTypes: true });
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === "ENOENT") return;
          throw e;
        }
        for (const entry of entries) {
          const path = join(dir, entry.name);
          if (entry.isDirectory()) await walk(path);
          else {
            const key = relative(root, path).split(sep).join("/");
            if (key.startsWith(prefix)) keys.push(key);
          }
        }
      };
      const slash = prefix.lastIndexOf("/");
      await walk(slash < 0 ? root : pathOf(prefix.slice(0, slash)));
      return keys.sort();
    },
    async etag(key) {
      const body = await readFile(pathOf(key)).catch((e: NodeJS.ErrnoException) => {
        if (e.code === "ENOENT") return null;
        throw e;
      });
      return body === null ? null : `"${createHash("md5").update(body).digest("hex")}"`;
    },
    async putIfUnchanged(key, body, ifMatch, contentType) {
      const current = await this.etag(key);
      if (current !== ifMatch) {
        throw new PreconditionFailedError(
          `${join(root, key)} is at ETag ${current ?? "(none)"}, not ${ifMatch ?? "(none)"}: another writer changed it`,
        );
      }
      await this.put(key, body, contentType);
    },
    async delete(keys) {
      await Promise.all(keys.map((key) => rm(pathOf(key), { force: true })));
    },
  };
}
