/**
^ * A real S3-compatible server (s3rver) on 127.0.0.1 over a temp directory, started in-process,
 * and an SDK client pointed at it. The pipeline talks to it over HTTP exactly as to S3.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import S3rver from "s3rver";

export interface LocalS3 {
  readonly endpoint: string;
  readonly client: S3Client;
  /** Environment that makes the handlers' clients use this server. */
  readonly env: Record<string, string>;
  stop(): Promise<void>;
}

export async function startLocalS3(buckets: readonly string[]): Promise<LocalS3> {
  const directory = await mkdtemp(join(tmpdir(), "edgar-etl-s3-"));
  const server = new S3rver({ address: "127.0.0.1", port: 0, silent: true, directory });
  const { port } = (await server.run()) as { port: number };
  const endpoint = `http://127.0.0.1:${port}`;
  const env = {
    AWS_ENDPOINT_URL_S3: endpoint,
    S3_FORCE_PATH_STYLE: "true",
    AWS_ACCESS_KEY_ID: "S3RVER",
    AWS_SECRET_ACCESS_KEY: "S3RVER",
    AWS_REGION: "us-east-1",
    // s3rver does not decode aws-chunked uploads, which the SDK uses for streamed checksums.
    AWS_REQUEST_CHECKSUM_CALCULATION: "WHEN_REQUIRED",
  };
  const client = new S3Client({
    endpoint,
    forcePathStyle: true,
    region: "us-east-1",
    credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
    requestChecksumCalculation: "WHEN_REQUIRED",
  });
  for (const bucket of buckets) await client.send(new CreateBucketCommand({ Bucket: bucket }));
  return {
    endpoint,
    client,
    env,
    async stop() {
      client.destroy();
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
