/**
 * The inflate stage over in-memory archives and a real directory store: the staged CSV is the
 * member's bytes, and every guard (size limit, encryption, method, CRC, truncation, no or several
 * CSVs) stops the run with one line and leaves no staged object. Archives are built with fflate,
 * an implementation independent of the one the stage reads with.
 */

import { randomBytes } from "node:crypto";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { zipSync } from "fflate";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fileObjectStore } from "../../functions/adapters/file-object-store";
import { DEFAULT_RUN_OPTIONS, type Plan } from "../../functions/contracts";
import { MAX_ZIP_MEMBERS } from "../../functions/core/archive";
import { type ByteSource, memoryByteSource } from "../../functions/core/byte-source";
import { IncompleteReadError, InputRejectedError } from "../../functions/core/errors";
import { getJson, type ObjectStore } from "../../functions/core/object-store";
import { inflateRun } from "../../functions/stages/inflate-stage";
import { workKeys } from "../../functions/stages/layout";
import { planRun } from "../../functions/stages/plan-stage";

const HEADER = "ip,date,time,zone,cik,accession,extention,code,size,idx,norefer,noagent,find,crawler,browser";
const CSV = Buffer.from(
  `${HEADER}\n${Array.from({ length: 2000 }, (_, i) => `1.2.3.${i % 7},2017-06-30,00:00:0${i % 10},0.0,1.0,a,.txt,${i % 3 === 0 ? 503 : 200}.0,1.0,0.0,0.0,0.0,0.0,0.0,`).join("\n")}\n`,
);
const LIMIT = 64 * 1024 * 1024;

/** Local file header, central directory header and EOCD offsets of fflate's single-member zips. */
const LOCAL_FLAGS = 6;
const LOCAL_METHOD = 8;

function centralHeaderAt(zip: Uint8Array): number {
  const view = Buffer.from(zip);
  return view.readUInt32LE(view.length - 22 + 16);
}

/** Sets a single-member zip's uncompressed size in both its local and its central header. */
function declareSize(zip: Buffer, bytes: number): Buffer {
  zip.writeUInt32LE(bytes, 22);
  zip.writeUInt32LE(bytes, centralHeaderAt(zip) + 24);
  return zip;
}

/** `source`, counting the bytes it has streamed. */
function counting(source: ByteSource): ByteSource & { streamed: () => number } {
  let streamed = 0;
  return {
    size: source.size,
    name: source.name,
    async *stream(start: number, end?: number) {
      for await (const chunk of source.stream(start, end)) {
        streamed += chunk.length;
        yield chunk;
      }
    },
    streamed: () => streamed,
  };
}

/** A source whose every read fails with `failure`, as a lost connection or S3 error would. */
function failingSource(size: number, name: string, failure: unknown): ByteSource {
  return {
    size,
    name,
    // biome-ignore lint/correctness/useYield: fails before its first chunk
    async *stream() {
      throw failure;
    },
  };
}

describe("inflateRun", () => {
  let dir: string;
  let work: ObjectStore;
  let n = 0;
  const inflate = (bytes: Uint8Array, key: string, maxInflatedBytes = LIMIT, chunkBytes = 4093) => {
    const runId = `run-${++n}`;
    return {
      runId,
      result: inflateRun({
        runId,
        source: memoryByteSource(bytes, `s3://in/${key}`, chunkBytes),
        location: { bucket: "in", key, etag: '"e1"' },
        work,
        maxInflatedBytes,
      }),
    };
  };
  const staged = (runId: string) => readFile(join(dir, ...workKeys.staged(runId).split("/")));
  /** Anything the run left in the work directory, temp files included. */
  const leftovers = async (runId: string) =>
    readdir(join(dir, "runs", runId)).catch((e: NodeJS.ErrnoException) => {
      if (e.code === "ENOENT") return [];
      throw e;
    });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "edgar-inflate-"));
    work = fileObjectStore(dir);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("stages a zip's CSV member byte for byte and names the archive it came from", async () => {
    const zip = zipSync({ "log20170630.csv": CSV });

    const { runId, result } = inflate(zip, "incoming/log20170630.zip");

    expect(await result).toEqual({
      key: `runs/${runId}/staged.csv`,
      bytes: CSV.length,
      archive: {
        format: "zip",
        bucket: "in",
        key: "incoming/log20170630.zip",
        etag: '"e1"',
        size: zip.length,
        member: "log20170630.csv",
      },
    });
    expect((await staged(runId)).equals(CSV)).toBe(true);
  });

  it("stages a gzip object's CSV, naming the member by the key without .gz", async () => {
    const { runId, result } = inflate(gzipSync(CSV), "incoming/log20170630.csv.gz");

    expect(await result).toMatchObject({
      bytes: CSV.length,
      archive: { format: "gzip", member: "log20170630.csv" },
    });
    expect((await staged(runId)).equals(CSV)).toBe(true);
  });

  it("reads concatenated gzip members as one stream, as gunzip does", async () => {
    const half = CSV.length >> 1;
    const twoMembers = Buffer.concat([gzipSync(CSV.subarray(0, half)), gzipSync(CSV.subarray(half))]);

    const { runId, result } = inflate(twoMembers, "day.gz");

    expect(await result).toMatchObject({ bytes: CSV.length });
    expect((await staged(runId)).equals(CSV)).toBe(true);
  });

  it("ignores directories, macOS metadata and other files beside the one CSV", async () => {
    const zip = zipSync({
      "2017/": new Uint8Array(0),
      "2017/log20170630.csv": CSV,
      "README.txt": Buffer.from("SEC field definitions"),
      "__MACOSX/2017/._log20170630.csv": Buffer.from("metadata"),
    });

    const { runId, result } = inflate(zip, "log20170630.zip");

    expect(await result).toMatchObject({ archive: { member: "2017/log20170630.csv" } });
    expect((await staged(runId)).equals(CSV)).toBe(true);
  });

  it("plans the staged CSV under the member's stem, naming the archive in its source", async () => {
    const { runId, result } = inflate(zipSync({ "log20170630.csv": CSV }), "incoming/2017/log20170630.zip");
    const { key, archive } = await result;

    await planRun({
      runId,
      source: memoryByteSource(await staged(runId), `s3://work/${key}`),
      location: { bucket: "work", key },
      archive,
      options: DEFAULT_RUN_OPTIONS,
      work,
    });

    const plan = await getJson<Plan>(work, workKeys.plan(runId));
    expect(plan.source).toMatchObject({
      bucket: "work",
      key,
      size: CSV.length,
      stem: "log20170630",
      archive,
    });
  });

  it("stages the CSV typed text/csv, from a zip and from a gzip object", async () => {
    const types = new Map<string, string | undefined>();
    const recording: ObjectStore = {
      ...work,
      putStream: (key, body, contentType) => {
        types.set(key, contentType);
        return work.putStream(key, body, contentType);
      },
    };
    const run = (bytes: Uint8Array, key: string, runId: string) =>
      inflateRun({
        runId,
        source: memoryByteSource(bytes, key),
        location: { key },
        work: recording,
        maxInflatedBytes: LIMIT,
      });

    await run(zipSync({ "a.csv": CSV }), "a.zip", "typed-zip");
    await run(gzipSync(CSV), "a.csv.gz", "typed-gzip");

    expect(types).toEqual(
      new Map([
        [workKeys.staged("typed-zip"), "text/csv"],
        [workKeys.staged("typed-gzip"), "text/csv"],
      ]),
    );
  });

  it("stages a gzip object inflating to exactly the limit", async () => {
    const { runId, result } = inflate(gzipSync(CSV), "exact.csv.gz", CSV.length);

    expect(await result).toMatchObject({ bytes: CSV.length });
    expect((await staged(runId)).equals(CSV)).toBe(true);
  });

  it("reads a zip of as many members as it allows", async () => {
    const members: Record<string, Uint8Array> = { "log.csv": CSV };
    for (let i = 1; i < MAX_ZIP_MEMBERS; i++) members[`notes/${i}.txt`] = Buffer.from(`note ${i}`);

    const { runId, result } = inflate(zipSync(members), "many.zip");

    expect(await result).toMatchObject({ archive: { member: "log.csv" } });
    expect((await staged(runId)).equals(CSV)).toBe(true);
  });

  it("passes a failed read of the archive on as it is, not as a damaged archive", async () => {
    const reset = Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" });
    const s3Error = Object.assign(new Error("We encountered an internal error. Please try again."), {
      name: "InternalError",
      $metadata: { httpStatusCode: 500 },
    });
    const cutShort = new IncompleteReadError("s3://in/a.zip: 10 of 100 bytes");
    const notAnError = { reason: "aborted" };
    const run = (key: string, failure: unknown) =>
      inflateRun({
        runId: "failed-read",
        source: failingSource(1000, `s3://in/${key}`, failure),
        location: { key },
        work,
        maxInflatedBytes: LIMIT,
      });

    await expect(run("a.zip", reset)).rejects.toBe(reset);
    await expect(run("a.csv.gz", reset)).rejects.toBe(reset);
    await expect(run("a.zip", s3Error)).rejects.toBe(s3Error);
    await expect(run("a.csv.gz", s3Error)).rejects.toBe(s3Error);
    await expect(run("a.zip", cutShort)).rejects.toBe(cutShort);
    await expect(run("a.zip", notAnError)).rejects.toBe(notAnError);
  });

  describe("rejects, in one line, leaving no staged object", () => {
    const rejection = async (bytes: Uint8Array, key: string, limit = LIMIT) => {
      const { runId, result } = inflate(bytes, key, limit);
      const error = await result.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(InputRejectedError);
      const message = (error as Error).message;
      expect(message).not.toContain("\n");
      expect(await leftovers(runId)).toEqual([]);
      return message;
    };

    it("a zip member declaring more than the limit, before inflating anything", async () => {
      expect(await rejection(zipSync({ "big.csv": CSV }), "big.zip", 1000)).toBe(
        "s3://in/big.zip: member big.csv inflates to more than 1000 bytes, the limit (maxInflatedBytes); if the file is genuine, raise maxInflatedBytes",
      );
    });

    it("a gzip stream inflating past the limit (a gzip bomb)", async () => {
      const bomb = gzipSync(Buffer.alloc(8 * 1024 * 1024));
      expect(bomb.length).toBeLessThan(20_000);
      expect(await rejection(bomb, "bomb.csv.gz", 1024 * 1024)).toMatch(
        /^s3:\/\/in\/bomb\.csv\.gz inflates to more than 1048576 bytes, the limit \(maxInflatedBytes\)/,
      );
    });

    it("an encrypted member", async () => {
      const zip = Buffer.from(zipSync({ "log.csv": CSV }));
      zip.writeUInt16LE(zip.readUInt16LE(LOCAL_FLAGS) | 1, LOCAL_FLAGS);
      const central = centralHeaderAt(zip);
      zip.writeUInt16LE(zip.readUInt16LE(central + 8) | 1, central + 8);
      expect(await rejection(zip, "secret.zip")).toMatch(
        /^s3:\/\/in\/secret\.zip: member log\.csv is encrypted; .*upload the archive without a password$/,
      );
    });

    it("a compression method other than stored or Deflate", async () => {
      const zip = Buffer.from(zipSync({ "log.csv": CSV }));
      zip.writeUInt16LE(14, LOCAL_METHOD);
      zip.writeUInt16LE(14, centralHeaderAt(zip) + 10);
      expect(await rejection(zip, "lzma.zip")).toMatch(
        /member log\.csv uses zip compression method 14 \(LZMA\); only stored and Deflate are read: re-zip it with Deflate/,
      );
    });

    it("a member whose bytes do not match its CRC-32", async () => {
      const zip = Buffer.from(zipSync({ "log.csv": CSV }, { level: 0 }));
      const dataStart = 30 + "log.csv".length;
      zip[dataStart + 500] = zip[dataStart + 500]! ^ 0x20;
      expect(await rejection(zip, "flipped.zip")).toMatch(
        /^s3:\/\/in\/flipped\.zip: member log\.csv is corrupt: its CRC-32 is 0x[0-9a-f]{8} but the archive records 0x[0-9a-f]{8}; upload the archive again/,
      );
    });

    it("a member inflating to other than its declared size", async () => {
      const zip = Buffer.from(zipSync({ "log.csv": CSV }));
      zip.writeUInt32LE(100, 22);
      zip.writeUInt32LE(100, centralHeaderAt(zip) + 24);
      expect(await rejection(zip, "resized.zip")).toBe(
        `s3://in/resized.zip: member log.csv is corrupt: it inflates to more than 100 bytes but the archive records 100; upload the archive again (check it with "unzip -t")`,
      );
    });

    it("a corrupt Deflate stream", async () => {
      const zip = Buffer.from(zipSync({ "log.csv": CSV }));
      const dataStart = 30 + "log.csv".length;
      zip.fill(0xff, dataStart, dataStart + 64);
      expect(await rejection(zip, "garbled.zip")).toMatch(
        /^s3:\/\/in\/garbled\.zip: member log\.csv is corrupt \(/,
      );
    });

    it("a truncated zip", async () => {
      const zip = zipSync({ "log.csv": CSV });
      expect(await rejection(zip.subarray(0, zip.length >> 1), "cut.zip")).toBe(
        `s3://in/cut.zip is not a zip archive, or is truncated (no end-of-central-directory record); upload the archive again (check it with "unzip -t")`,
      );
    });

    it("a truncated gzip", async () => {
      const gz = gzipSync(CSV);
      expect(await rejection(gz.subarray(0, gz.length >> 1), "cut.csv.gz")).toMatch(
        /^s3:\/\/in\/cut\.csv\.gz is truncated \(unexpected end of file\); upload it again \(check it with "gzip -t"\)$/,
      );
    });

    it("a .gz key holding something else", async () => {
      expect(await rejection(CSV, "plain.csv.gz")).toMatch(/^s3:\/\/in\/plain\.csv\.gz is not gzip data \(/);
    });

    it("a zip with no CSV, listing what it holds", async () => {
      expect(
        await rejection(zipSync({ "notes.txt": Buffer.from("x"), "data.json": Buffer.from("{}") }), "x.zip"),
      ).toBe(
        "s3://in/x.zip holds no .csv member (it holds notes.txt, data.json); put the log CSV in the archive, named *.csv",
      );
    });

    it("a key that names no archive", async () => {
      expect(await rejection(CSV, "incoming/log20170630.csv")).toBe(
        "s3://in/incoming/log20170630.csv is not an archive (its key ends in neither .zip nor .gz); plan it directly",
      );
    });

    it("a zip of more members than a log archive has", async () => {
      const members: Record<string, Uint8Array> = { "log.csv": CSV };
      for (let i = 1; i <= MAX_ZIP_MEMBERS; i++) members[`notes/${i}.txt`] = Buffer.from(`note ${i}`);
      expect(await rejection(zipSync(members), "crowded.zip")).toBe(
        `s3://in/crowded.zip holds ${MAX_ZIP_MEMBERS + 1} members, more than the ${MAX_ZIP_MEMBERS} a log archive is read with; zip each day's CSV on its own, as the SEC publishes them`,
      );
    });

    it("a zip whose central directory is damaged", async () => {
      const zip = Buffer.from(zipSync({ "log.csv": CSV }));
      zip.writeUInt32LE(0xdeadbeef, centralHeaderAt(zip));
      expect(await rejection(zip, "directory.zip")).toMatch(
        /^s3:\/\/in\/directory\.zip is corrupt \(invalid central directory file header signature: 0xdeadbeef\); upload the archive again \(check it with "unzip -t"\)$/,
      );
    });

    it("a member whose local header is damaged", async () => {
      const zip = Buffer.from(zipSync({ "log.csv": CSV }));
      zip.writeUInt32LE(0xdeadbeef, 0);
      expect(await rejection(zip, "local.zip")).toMatch(
        /^s3:\/\/in\/local\.zip: member log\.csv is corrupt \(invalid local file header signature: 0xdeadbeef\); upload the archive again \(check it with "unzip -t"\)$/,
      );
    });

    it("a stored member whose two sizes disagree, before its data is read", async () => {
      const zip = declareSize(Buffer.from(zipSync({ "log.csv": CSV }, { level: 0 })), 100);
      expect(await rejection(zip, "stored.zip")).toMatch(
        /^s3:\/\/in\/stored\.zip is corrupt \(compressed\/uncompressed size mismatch for stored file: \d+ != 100\); upload the archive again/,
      );
    });

    it("a member inflating to fewer bytes than it declares", async () => {
      const zip = declareSize(Buffer.from(zipSync({ "log.csv": CSV })), CSV.length + 100);
      expect(await rejection(zip, "short.zip")).toBe(
        `s3://in/short.zip: member log.csv is corrupt: it inflates to ${CSV.length} bytes but the archive records ${CSV.length + 100}; upload the archive again (check it with "unzip -t")`,
      );
    });

    it("a member inflating past its declared size, stopping at once rather than reading it all", async () => {
      const noise = randomBytes(4 * 1024 * 1024);
      const zip = declareSize(Buffer.from(zipSync({ "log.csv": noise }, { level: 1 })), 100);
      const source = counting(memoryByteSource(zip, "s3://in/noise.zip", 64 * 1024));
      const error = await inflateRun({
        runId: "noise",
        source,
        location: { key: "noise.zip" },
        work,
        maxInflatedBytes: LIMIT,
      }).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(InputRejectedError);
      expect((error as Error).message).toMatch(/inflates to more than 100 bytes but the archive records 100/);
      expect(source.streamed()).toBeLessThan(zip.length / 4);
    });

    it("a zip with several CSVs: a run reads one", async () => {
      expect(await rejection(zipSync({ "a.csv": CSV, "b.csv": CSV }), "two.zip")).toBe(
        "s3://in/two.zip holds 2 .csv members (a.csv, b.csv); a run reads one CSV: zip each day's CSV on its own, as the SEC publishes them, or upload the CSVs",
      );
    });
  });
});
