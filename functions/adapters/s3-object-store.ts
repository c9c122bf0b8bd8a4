import {
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import type { ObjectStore } from "../core/object-store";

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
    async list(listPrefix) {
      const keys: string[] = [];
      let token: string | undefined;
      do {
        const page = await s3.send(
          new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix + listPrefix, ContinuationToken: token }),
        );
        for (const o of page.Contents ?? []) if (o.Key !== undefined) keys.push(o.Key.slice(prefix.length));
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token !== undefined);
      return keys.sort();
    },
    async delete(keys) {
      for (let i = 0; i < keys.length; i += 1000) {
        const batch = keys.slice(i, i + 1000);
        if (batch.length === 0) continue;
        await s3.send(
          new DeleteObjectsCommand({
            Bucket: bucket,
            Delete: { Objects: batch.map((k) => ({ Key: prefix + k })), Quiet: true },
          }),
        );
      }
    },
  };
}
