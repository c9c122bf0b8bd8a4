/**
 * What the S3 SDK does with a response body cut short, and what the byte source does about it:
 * a connection reset mid-body is an error in Node's HTTP client, but a body cut short with a
 * matching Content-Length is accepted by every layer below us, so the byte source counts.
 */
import { GetObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openS3ByteSource } from "../../functions/adapters/s3-byte-source";
import { IncompleteReadError } from "../../functions/core/errors";
import { type LocalS3, localS3Client, startLocalS3 } from "../../local/aws/local-s3";
import { type FaultProxy, startFaultProxy } from "../helpers/fault-proxy";

const BODY = Buffer.from("0123456789".repeat(1000));

describe("a ranged read through a proxy that cuts bodies short", () => {
  let s3: LocalS3;
  let proxy: FaultProxy;
  let client: S3Client;
  let etag: string;

  beforeAll(async () => {
    s3 = await startLocalS3(["data"]);
    const put = await s3.client.send(new PutObjectCommand({ Bucket: "data", Key: "obj", Body: BODY }));
    etag = put.ETag!;
    proxy = await startFaultProxy(s3.endpoint, { seed: 1, rate: 0 });
    // One attempt: what a single response does, without the SDK's retries.
    client = localS3Client(proxy.endpoint, { maxAttempts: 1 });
  });
  afterAll(async () => {
    client?.destroy();
    await proxy?.stop();
    await s3?.stop();
  });

  const readRange = async (start: number, end: number) => {
    const source = await openS3ByteSource(client, { bucket: "data", key: "obj", etag, size: BODY.length });
    const parts: Uint8Array[] = [];
    for await (const chunk of source.stream(start, end)) parts.push(chunk);
    return Buffer.concat(parts);
  };

  it("without faults, returns exactly the bytes asked for", async () => {
    proxy.configure({ seed: 1, rate: 0 });
    expect((await readRange(100, 5100)).equals(BODY.subarray(100, 5100))).toBe(true);
    expect((await readRange(9000, BODY.length)).equals(BODY.subarray(9000))).toBe(true);
  });

  it("the SDK accepts a body cut short with a matching Content-Length, silently", async () => {
    proxy.configure({ seed: 1, rate: 1, kinds: ["truncatedBody"] });
    const response = await client.send(
      new GetObjectCommand({ Bucket: "data", Key: "obj", Range: "bytes=0-4999" }),
    );
    const bytes = await response.Body!.transformToByteArray();
    expect(bytes.length).toBeLessThan(5000);
    expect(proxy.stats().byKind.truncatedBody).toBe(1);
  });

  it("the byte source refuses such a body, naming the range and the bytes received", async () => {
    for (let seed = 1; seed <= 5; seed++) {
      proxy.configure({ seed, rate: 1, kinds: ["truncatedBody"] });
      const read = readRange(1000, 6000);
      await expect(read).rejects.toThrow(IncompleteReadError);
      proxy.configure({ seed, rate: 1, kinds: ["truncatedBody"] });
      await expect(readRange(1000, 6000)).rejects.toThrow(
        /s3:\/\/data\/obj: the read of bytes \[1000, 6000\) returned \d+ bytes, not 5000; the connection was cut short: retry/,
      );
      proxy.configure({ seed, rate: 1, kinds: ["truncatedBody"] });
      await expect(readRange(7000, BODY.length)).rejects.toThrow(/returned \d+ bytes, not 3000/);
    }
  });

  it("a connection reset mid-body is an error, not a short read", async () => {
    proxy.configure({ seed: 2, rate: 1, kinds: ["resetMidBody"] });
    await expect(readRange(0, 5000)).rejects.toThrow(/aborted|socket hang up|ECONNRESET|terminated/);
  });

  it("500 and 503 SlowDown are S3 errors the SDK retries; with one attempt they fail", async () => {
    for (const kind of ["internalError", "slowDown"] as const) {
      proxy.configure({ seed: 3, rate: 1, kinds: [kind] });
      await expect(readRange(0, 10)).rejects.toThrow(
        kind === "slowDown" ? /SlowDown|injected/ : /InternalError|injected/,
      );
    }
  });

  it("the same seed faults the same requests (replayable)", async () => {
    const outcomes = async (seed: number) => {
      proxy.configure({ seed, rate: 0.5, kinds: ["internalError"] });
      const results: boolean[] = [];
      for (let i = 0; i < 20; i++)
        results.push(
          await readRange(i, i + 10).then(
            () => true,
            () => false,
          ),
        );
      return results;
    };
    const first = await outcomes(7);
    expect(await outcomes(7)).toEqual(first);
    expect(first.filter((ok) => !ok).length).toBeGreaterThan(2);
    expect(await outcomes(8)).not.toEqual(first);
  });
});
