/** S3 as the trigger stage's `findEtag` port. */
import { ListObjectsV2Command, type S3Client } from "@aws-sdk/client-s3";

/**
 * The ETag of `bucket/key`, undefined when there is no such object. Listing (s3:ListBucket)
 * rather than HEAD tells "no such key" from "no permission".
 */
export function s3EtagFinder(s3: S3Client): (bucket: string, key: string) => Promise<string | undefined> {
  return async (bucket, key) => {
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: key, MaxKeys: 1 }));
    const first = listed.Contents?.[0];
    return first?.Key === key ? (first.ETag ?? "") : undefined;
  };
}
