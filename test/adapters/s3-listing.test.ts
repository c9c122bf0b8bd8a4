/**
 * listAllObjects follows ListObjectsV2's pages to the last: a stand-in S3 endpoint on 127.0.0.1
 * answers in pages of two, as S3 answers in pages of 1,000, so the SDK's own parsing is used.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listAllObjects } from "../../functions/adapters/s3-listing";

const KEYS = ["in/a.csv", "in/b.csv", "in/c.csv", "in/d.csv", "in/e.csv"];
const PAGE = 2;

function listPage(prefix: string, token: string | null): string {
  const matching = KEYS.filter((k) => k.startsWith(prefix));
  const from = token === null ? 0 : Number(token);
  const page = matching.slice(from, from + PAGE);
  const next = from + PAGE < matching.length ? String(from + PAGE) : null;
  return `<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Name>input</Name><Prefix>${prefix}</Prefix><KeyCount>${page.length}</KeyCount><MaxKeys>${PAGE}</MaxKeys>
  <IsTruncated>${next !== null}</IsTruncated>${next === null ? "" : `<NextContinuationToken>${next}</NextContinuationToken>`}
  ${page.map((k) => `<Contents><Key>${k}</Key><ETag>"etag-${k}"</ETag><Size>1</Size></Contents>`).join("")}
</ListBucketResult>`;
}

describe("listAllObjects", () => {
  let server: Server;
  let client: S3Client;
  const asked: URLSearchParams[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      const query = new URL(req.url ?? "", "http://localhost").searchParams;
      asked.push(query);
      res.setHeader("content-type", "application/xml");
      res.end(listPage(query.get("prefix") ?? "", query.get("continuation-token")));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    client = new S3Client({
      endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      region: "us-east-1",
      forcePathStyle: true,
      credentials: { accessKeyId: "test", secretAccessKey: "test" },
      maxAttempts: 1,
    });
  });

  afterAll(async () => {
    client.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it("returns every object under the prefix, page after page, with the continuation token S3 gave", async () => {
    asked.length = 0;

    const objects = await listAllObjects(client, "input", "in/");

    expect(objects.map((o) => [o.Key, o.ETag])).toEqual(KEYS.map((k) => [k, `"etag-${k}"`]));
    expect(asked.map((q) => q.get("continuation-token"))).toEqual([null, "2", "4"]);
    expect(asked.every((q) => q.get("prefix") === "in/" && q.get("list-type") === "2")).toBe(true);
  });

  it("returns nothing for a prefix with no objects, after one request", async () => {
    asked.length = 0;

    expect(await listAllObjects(client, "input", "none/")).toEqual([]);
    expect(asked).toHaveLength(1);
  });
});
