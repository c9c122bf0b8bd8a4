/**
 * Exact S3 grants. The L2 `bucket.grantRead/grantWrite` helpers add families of actions
 * (`s3:GetObject*`, `s3:List*`, `s3:Abort*`…) and bucket-wide listing; each pipeline function
 * gets only the calls it makes, on the keys it touches.
 */
import * as iam from "aws-cdk-lib/aws-iam";
import type * as s3 from "aws-cdk-lib/aws-s3";
import { acknowledgeWildcardResources, policyHolder } from "./nag";

/** s3:PutObject also covers a multipart upload's create, parts and completion; not its abort. */
export type ObjectAction = "s3:GetObject" | "s3:PutObject" | "s3:DeleteObject" | "s3:AbortMultipartUpload";

/**
 * `actions` on the objects whose keys match one of `keyPatterns` (IAM wildcards, e.g. "runs/*").
 * The wildcard is the scoping itself, so its cdk-nag finding is acknowledged here with `why`.
 */
export function grantObjects(
  grantee: iam.IGrantable,
  bucket: s3.IBucket,
  actions: readonly ObjectAction[],
  keyPatterns: readonly string[],
  why: string,
): void {
  const resourceArns = keyPatterns.map((pattern) => bucket.arnForObjects(pattern));
  iam.Grant.addToPrincipal({ grantee, actions: [...actions], resourceArns });
  acknowledgeWildcardResources(
    policyHolder(grantee),
    resourceArns.filter((_, i) => keyPatterns[i]!.includes("*")),
    `${actions.join(", ")} limited to keys ${keyPatterns.join(", ")}: ${why}`,
  );
  // Only an imported input bucket can have a customer key, and it is only read.
  if (actions.includes("s3:GetObject")) bucket.encryptionKey?.grantDecrypt(grantee);
}

/** s3:ListBucket, only for listings under `prefix` (ListObjectsV2's Prefix must start with it). */
export function grantListing(grantee: iam.IGrantable, bucket: s3.IBucket, prefix: string): void {
  grantee.grantPrincipal.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: ["s3:ListBucket"],
      resources: [bucket.bucketArn],
      ...(prefix === "" ? {} : { conditions: { StringLike: { "s3:prefix": [`${prefix}*`] } } }),
    }),
  );
}
