import { S3Client } from "@aws-sdk/client-s3";

/**
 * The S3 client a Lambda container (or the local runner) shares across invocations. Adaptive
 * retries back off under throttling. The SDK reads AWS_ENDPOINT_URL_S3 itself; path-style
 * addressing is for S3-compatible servers on localhost.
 */
export function createS3Client(env: NodeJS.ProcessEnv = process.env): S3Client {
  return new S3Client({
    retryMode: "adaptive",
    maxAttempts: 5,
    forcePathStyle: env.S3_FORCE_PATH_STYLE === "true",
  });
}
