import { S3Client } from "@aws-sdk/client-s3";

/**
 * The S3 client a Lambda container, the local runner or the CLI shares across calls. Adaptive
 * retries back off under throttling. The SDK reads AWS_ENDPOINT_URL_S3 and AWS_REGION itself;
 * `fallbackRegion` is for callers that know the region otherwise (the CLI, from an ARN) when
 * AWS_REGION is not set. Path-style addressing is for S3-compatible servers on localhost.
 */
export function createS3Client(env: NodeJS.ProcessEnv = process.env, fallbackRegion?: string): S3Client {
  return new S3Client({
    retryMode: "adaptive",
    maxAttempts: 5,
    forcePathStyle: env.S3_FORCE_PATH_STYLE === "true",
    ...(fallbackRegion === undefined ? {} : { region: env.AWS_REGION ?? fallbackRegion }),
  });
}
