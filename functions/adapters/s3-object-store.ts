import { Readable } from "node:stream";
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { ObjectDeleteError, PreconditionFailedError } from "../core/errors";
import type { ObjectStore } from "../core/object-store";
import { listAllObjects } from "./s3-listing";

/**
 * putStream's parts: 16 MiB x 4 in flight bounds its memory to about 80 MiB, and S3's
 * 10,000-part limit allows objects up to 160 GiB.
 */
const STREAM_PART_BYTES = 16 * 1024 * 1024;
const STREAM_PARTS_IN_FLIGHT = 4;

/** A bucket (optionally under a key prefix ending in "/") as an ObjectStore. */
export function s3ObjectStore(s3: S3Client, bucket: string, prefix = ""): ObjectStore {
  return {
    name: `s3://${bucket}/${prefix}`.replace(/\/$/, ""),
    async get(key) {
      const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: prefix + key }));
      return response.Body!.transformToByteArray();
    },
    async put(key, body, contentType) {
      await s3.send(
        new PutObjectCommand({ Bucket: bucket, Key: prefix + key, Body: body, ContentType: contentType }),
      );
    },
    async putStream(key, body, contentType) {
      // A failed body or part aborts the multipart upload, so no partial object is left.
      await new Upload({
        client: s3,
        params: {
          Bucket: bucket,
          Key: prefix + key,
          Body: Readable.from(body, { objectMode: false }),
          ContentType: contentType,
        },
        partSize: STREAM_PART_BYTES,
        queueSize: STREAM_PARTS_IN_FLIGHT,
      }).done();
    },
    async etag(key) {
      try {
        const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: prefix + key }));
        return head.ETag ?? null;
      } catch (e) {
        if (statusOf(e) === 404) return null;
        throw e;
      }
    },
    async putIfUnchanged(key, body, ifMatch, contentType) {
      try {
        await s3.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: prefix + key,
            Body: body,
            ContentType: contentType,
            ...(ifMatch === null ? { IfNoneMatch: "*" } : { IfMatch: ifMatch }),
          }),
        );
      } catch (e) {
        // 412: the ETag differs or the key exists; 404: If-Match on a key deleted meanwhile;
        // 409: a concurrent conditional write won the race.
        const status = statusOf(e);
        if (status === 412 || status === 404 || status === 409) {
          throw new PreconditionFailedError(
            `s3://${bucket}/${prefix}${key} is no longer ${ifMatch === null ? "absent" : `at ETag ${ifMatch}`} (HTTP ${status}): another writer changed it`,
          );
        }
        throw e;
      }
    },
    async list(listPrefix) {
      const objects = await listAllObjects(s3, bucket, prefix + listPrefix);
      return objects.flatMap((o) => (o.Key === undefined ? [] : [o.Key.slice(prefix.length)])).sort();
    },
    async delete(keys) {
      for (let i = 0; i < keys.length; i += 1000) {
        const batch = keys.slice(i, i + 1000);
        if (batch.length === 0) continue;
        const answer = await s3.send(
          new DeleteObjectsCommand({
            Bucket: bucket,
            Delete: { Objects: batch.map((k) => ({ Key: prefix + k })), Quiet: true },
          }),
        );
        const failed = answer.Errors ?? [];
        if (failed.length > 0) {
          const first = failed[0]!;
          throw new ObjectDeleteError(
            `s3://${bucket}: ${failed.length} of ${batch.length} keys were not deleted, first ${first.Key}: ${first.Code} ${first.Message ?? ""}`.trimEnd() +
              "; they may still be read as current, so check the function's s3:DeleteObject grant and the bucket policy, then run again",
          );
        }
      }
    },
  };
}

function statusOf(e: unknown): number | undefined {
  return (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
}
