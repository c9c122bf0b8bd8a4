import { type _Object, ListObjectsV2Command, type S3Client } from "@aws-sdk/client-s3";

/**
 * Every object under `prefix` (the whole bucket without one), in S3's key order, following
 * ListObjectsV2's pages of up to 1,000 to the last.
 */
export async function listAllObjects(s3: S3Client, bucket: string, prefix?: string): Promise<_Object[]> {
  const objects: _Object[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    objects.push(...(page.Contents ?? []));
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
  return objects;
}
