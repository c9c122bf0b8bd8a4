/**
^ * A real S3-compatible server (s3rver) on 127.0.0.1 over a temp directory, started in-process,
 * and an SDK client pointed at it. The pipeline talks to it over HTTP exactly as to S3.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import S3rver, { type KoaContext } from "s3rver";

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
  enforceIfMatch(server);
  enforceConditionalWrites(server);
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
  const client = localS3Client(endpoint);
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

/**
 * An SDK client for the local server at `endpoint` (or a proxy in front of it), with the
 * server's credentials; checksums only where S3 requires them, as s3rver does not decode the
 * aws-chunked uploads streamed checksums use. Retries as the SDK's default unless `maxAttempts`.
 */
export function localS3Client(endpoint: string, options: { readonly maxAttempts?: number } = {}): S3Client {
  return new S3Client({
    endpoint,
    forcePathStyle: true,
    region: "us-east-1",
    credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
    requestChecksumCalculation: "WHEN_REQUIRED",
    ...(options.maxAttempts === undefined ? {} : { maxAttempts: options.maxAttempts }),
  });
}

/**
 * s3rver ignores If-Match; S3 answers 412 PreconditionFailed when the object's ETag differs.
 * The byte source relies on that to fail loudly when an object is replaced mid-run, so the
 * local server must do the same: this middleware runs just before s3rver's router.
 */
function enforceIfMatch(server: S3rver): void {
  const check = async (ctx: KoaContext, next: () => Promise<void>) => {
    const ifMatch = ctx.get("if-match");
    if (ifMatch !== "" && (ctx.method === "GET" || ctx.method === "HEAD")) {
      const [bucket, ...key] = ctx.path.slice(1).split("/").map(decodeURIComponent);
      const metadata = await server.store.getMetadata(bucket ?? "", key.join("/")).catch(() => undefined);
      const unquote = (etag: string) => etag.replace(/^W\//, "").replaceAll('"', "");
      if (metadata !== undefined && unquote(metadata.etag) !== unquote(ifMatch)) {
        ctx.status = 412;
        ctx.body =
          ctx.method === "HEAD"
            ? ""
            : {
                Error: {
                  Code: "PreconditionFailed",
                  Message: "At least one of the pre-conditions you specified did not hold",
                  Condition: "If-Match",
                },
              };
        return;
      }
    }
    await next();
  };
  server.middleware.splice(server.middleware.length - 1, 0, check);
}

/**
 * S3 conditional writes: a PUT with `If-None-Match: *` fails 412 when the key exists, one with
 * `If-Match` fails 412 when the ETag differs and 404 when the key is absent. S3 decides them
 * atomically; here conditional PUTs of one key run one at a time, so the check and the write
 * cannot interleave with another conditional PUT of that key.
 */
function enforceConditionalWrites(server: S3rver): void {
  const queues = new Map<string, Promise<void>>();
  const check = async (ctx: KoaContext, next: () => Promise<void>) => {
    const ifNoneMatch = ctx.get("if-none-match");
    const ifMatch = ctx.get("if-match");
    if (ctx.method !== "PUT" || (ifNoneMatch === "" && ifMatch === "")) return next();
    const [bucket = "", ...rest] = ctx.path.slice(1).split("/").map(decodeURIComponent);
    const key = rest.join("/");
    const id = `${bucket}/${key}`;
    const before = queues.get(id) ?? Promise.resolve();
    let release = () => {};
    const mine = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = before.then(() => mine);
    queues.set(id, tail);
    await before;
    try {
      const metadata = await server.store.getMetadata(bucket, key).catch(() => undefined);
      const unquote = (etag: string) => etag.replace(/^W\//, "").replaceAll('"', "");
      const failed =
        (ifNoneMatch === "*" && metadata !== undefined) ||
        (ifMatch !== "" && metadata !== undefined && unquote(metadata.etag) !== unquote(ifMatch));
      if (ifMatch !== "" && metadata === undefined) {
        ctx.status = 404;
        ctx.body = { Error: { Code: "NoSuchKey", Message: "The specified key does not exist.", Key: key } };
        return;
      }
      if (failed) {
        ctx.status = 412;
        ctx.body = {
          Error: {
            Code: "PreconditionFailed",
            Message: "At least one of the pre-conditions you specified did not hold",
            Condition: ifNoneMatch === "*" ? "If-None-Match" : "If-Match",
          },
        };
        return;
      }
      await next();
    } finally {
      release();
      if (queues.get(id) === tail) queues.delete(id);
    }
  };
  server.middleware.splice(server.middleware.length - 1, 0, check);
}
