/**
 * The S3 adapters' answers to S3's failures, through the real SDK: a missing key as a caller with
 * s3:ListBucket sees it (404, from s3rver) and as the pipeline's functions see it on AWS (403,
 * from a minimal server on 127.0.0.1 answering as S3 does), and a DeleteObjects whose 200
 * answer lists per-key errors.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openS3ByteSource } from "../../functions/adapters/s3-byte-source";
import { s3ObjectStore } from "../../functions/adapters/s3-object-store";
import { InputRejectedError, ObjectDeleteError } from "../../functions/core/errors";
import { type LocalS3, startLocalS3 } from "../../local/aws/local-s3";

type Answer = (req: IncomingMessage, res: ServerResponse, body: string) => void;

/** An S3 endpoint that answers every request with `answer`; records what it was asked. */
async function startFaultyS3(answer: Answer) {
  const requests: { method: string; url: string; body: string }[] = [];
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => {
      body += chunk;
    });
    req.on("end", () => {
      requests.push({ method: req.method ?? "", url: req.url ?? "", body });
      answer(req, res, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const client = new S3Client({
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    region: "us-east-1",
    forcePathStyle: true,
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
    maxAttempts: 1,
  });
  return {
    client,
    requests,
    close: async () => {
      client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** S3's answer to a caller without s3:ListBucket asking for a key that does not exist. */
const accessDenied: Answer = (req, res) => {
  res.statusCode = 403;
  res.setHeader("content-type", "application/xml");
  // A HEAD answer has no body; a GET's names the code.
  res.end(
    req.method === "HEAD"
      ? undefined
      : '<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message><RequestId>R</RequestId></Error>',
  );
};

describe("openS3ByteSource on a key that does not exist", () => {
  let s3: LocalS3;

  beforeAll(async () => {
    s3 = await startLocalS3(["input"]);
  });

  afterAll(async () => {
    await s3.stop();
  });

  it("as a caller allowed to list sees it (404): names the object and says it does not exist", async () => {
    const opening = openS3ByteSource(s3.client, { bucket: "input", key: "incoming/nope.csv" });

    await expect(opening).rejects.toThrow(InputRejectedError);
    await expect(opening).rejects.toThrow(
      "s3://input/incoming/nope.csv does not exist; check the bucket and key",
    );
  });

  it("as the pipeline's functions see it on AWS (403 on HEAD): names both possibilities", async () => {
    const faulty = await startFaultyS3(accessDenied);
    try {
      const opening = openS3ByteSource(faulty.client, { bucket: "input", key: "incoming/nope.csv" });

      await expect(opening).rejects.toThrow(InputRejectedError);
      await expect(opening).rejects.toThrow(
        /^s3:\/\/input\/incoming\/nope\.csv does not exist, or this function may not read it \(S3 answers 403 for a missing key to a caller without s3:ListBucket\)/,
      );
      expect(faulty.requests.map((r) => r.method)).toEqual(["HEAD"]);
    } finally {
      await faulty.close();
    }
  });

  it("a ranged read answered 403 (AccessDenied) is reported the same way", async () => {
    const faulty = await startFaultyS3(accessDenied);
    try {
      const source = await openS3ByteSource(faulty.client, {
        bucket: "input",
        key: "incoming/gone.csv",
        etag: '"abc"',
        size: 100,
      });
      const reading = (async () => {
        for await (const _ of source.stream(0, 10)) {
          // reading is what fails
        }
      })();

      await expect(reading).rejects.toThrow(InputRejectedError);
      await expect(reading).rejects.toThrow(
        /incoming\/gone\.csv does not exist, or this function may not read it/,
      );
    } finally {
      await faulty.close();
    }
  });
});

describe("s3ObjectStore.delete", () => {
  it("raises the per-key failures a Quiet DeleteObjects lists in its 200 answer", async () => {
    const faulty = await startFaultyS3((_req, res) => {
      res.statusCode = 200;
      res.setHeader("content-type", "application/xml");
      res.end(
        '<?xml version="1.0" encoding="UTF-8"?><DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
          "<Error><Key>tables/_SUCCESS</Key><Code>AccessDenied</Code><Message>Access Denied</Message></Error>" +
          "</DeleteResult>",
      );
    });
    try {
      const store = s3ObjectStore(faulty.client, "output", "tables/");

      const deleting = store.delete(["_SUCCESS", "top_ips/source=a/part-00000.parquet"]);

      await expect(deleting).rejects.toThrow(ObjectDeleteError);
      await expect(deleting).rejects.toThrow(
        /^s3:\/\/output: 1 of 2 keys were not deleted, first tables\/_SUCCESS: AccessDenied Access Denied; /,
      );
      expect(faulty.requests[0]!.body).toContain("<Quiet>true</Quiet>");
    } finally {
      await faulty.close();
    }
  });

  it("succeeds when S3 lists no errors (s3rver), absent keys included", async () => {
    const s3 = await startLocalS3(["output"]);
    try {
      const store = s3ObjectStore(s3.client, "output");
      await store.put("a.txt", "a");

      await store.delete(["a.txt", "never-written.txt"]);

      expect(await store.list("")).toEqual([]);
    } finally {
      await s3.stop();
    }
  });
});
