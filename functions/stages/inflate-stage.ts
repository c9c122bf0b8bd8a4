/**
 * Step 0 for an uploaded archive (.zip or .gz): its CSV is inflated into the work bucket as one
 * staged object, streamed end to end in bounded memory (ranged reads of the archive in, a
 * multipart upload out), and plan and map then read that object like any uploaded CSV. A zip or
 * gzip stream cannot be split into byte ranges; the staged CSV can.
 */
import { pipeline, Readable } from "node:stream";
import { crc32, createGunzip, createInflateRaw } from "node:zlib";
import yauzl from "yauzl";
import type { ArchiveFormat, ArchiveRef, InflateResult } from "../contracts";
import {
  archiveFormatOf,
  chooseCsvMember,
  gzipMemberName,
  inflatedTooLarge,
  MAX_ZIP_MEMBERS,
  type ZipMember,
} from "../core/archive";
import type { ByteSource } from "../core/byte-source";
import { EtlError, InputRejectedError } from "../core/errors";
import type { ObjectStore } from "../core/object-store";
import { workKeys } from "./layout";

export interface InflateStageInput {
  readonly runId: string;
  /** The archive. */
  readonly source: ByteSource;
  readonly location: { readonly bucket?: string; readonly key: string; readonly etag?: string };
  readonly work: ObjectStore;
  /** The zip-bomb guard: inflating more than this fails the run. */
  readonly maxInflatedBytes: number;
}

/** zlib's output chunk: large enough that per-chunk overhead stays small next to inflating. */
const INFLATE_CHUNK_BYTES = 256 * 1024;

/** Inflates the archive's CSV to `runs/<runId>/staged.csv`; returns where it is and what it came from. */
export async function inflateRun(input: InflateStageInput): Promise<Omit<InflateResult, "bucket">> {
  const { runId, source, location, work, maxInflatedBytes } = input;
  const format = archiveFormatOf(location.key);
  if (format === null) {
    throw new InputRejectedError(
      `${source.name} is not an archive (its key ends in neither .zip nor .gz); plan it directly`,
    );
  }
  const key = workKeys.staged(runId);
  const counted = { bytes: 0 };
  let member: string;
  if (format === "gzip") {
    member = gzipMemberName(location.key);
    await work.putStream(
      key,
      guarded(gunzipped(source), { where: source.name, format, maxInflatedBytes, counted }),
      "text/csv",
    );
  } else {
    const zip = await openZip(source);
    try {
      const entry = await csvEntry(zip, source.name, maxInflatedBytes);
      member = entry.fileName;
      const where = `${source.name}: member ${member}`;
      // The member's raw bytes, inflated here with a larger output chunk than yauzl's (over twice
      // the throughput); its declared size and CRC-32 are then checked by the guard.
      const raw = await zip.openReadStreamPromise(entry, { decodeFileData: false }).catch((e: unknown) => {
        throw describeInflateFailure(e, where, format);
      });
      const inflated =
        entry.compressionMethod === 0
          ? raw
          : pipeline(raw, createInflateRaw({ chunkSize: INFLATE_CHUNK_BYTES }), () => {});
      await work.putStream(
        key,
        guarded(inflated, {
          where,
          format,
          maxInflatedBytes,
          counted,
          crc32: entry.crc32,
          declaredBytes: entry.uncompressedSize,
        }),
        "text/csv",
      );
    } finally {
      zip.close();
    }
  }
  const archive: ArchiveRef = { format, ...location, size: source.size, member };
  return { key, archive, bytes: counted.bytes };
}

/** yauzl reads the archive through this: every range it asks for is one ranged read of the source. */
class ByteSourceReader extends yauzl.RandomAccessReader {
  constructor(private readonly source: ByteSource) {
    super();
  }

  override _readStreamForRange(start: number, end: number): Readable {
    return Readable.from(this.source.stream(start, end), { objectMode: false });
  }
}

async function openZip(source: ByteSource): Promise<yauzl.ZipFile> {
  const zip = await yauzl
    .fromRandomAccessReaderPromise(new ByteSourceReader(source), source.size, {
      lazyEntries: true,
      autoClose: false,
      validateEntrySizes: true,
    })
    .catch((e: unknown) => {
      throw describeInflateFailure(e, source.name, "zip");
    });
  if (zip.entryCount > MAX_ZIP_MEMBERS) {
    zip.close();
    throw new InputRejectedError(
      `${source.name} holds ${zip.entryCount} members, more than the ${MAX_ZIP_MEMBERS} a log archive is read with; zip each day's CSV on its own, as the SEC publishes them`,
    );
  }
  return zip;
}

async function csvEntry(zip: yauzl.ZipFile, name: string, maxInflatedBytes: number): Promise<yauzl.Entry> {
  const entries: yauzl.Entry[] = [];
  try {
    for await (const entry of zip.eachEntry()) entries.push(entry);
  } catch (e) {
    throw describeInflateFailure(e, name, "zip");
  }
  const members: ZipMember[] = entries.map((e) => ({
    name: e.fileName,
    compressionMethod: e.compressionMethod,
    encrypted: e.isEncrypted(),
    uncompressedSize: e.uncompressedSize,
  }));
  return entries[members.indexOf(chooseCsvMember(name, members, maxInflatedBytes))]!;
}

/** The gzip object inflated; concatenated gzip members are read as one stream, as gunzip does. */
function gunzipped(source: ByteSource): AsyncIterable<Uint8Array> {
  // pipeline() forwards a failed read of the archive into the gunzip stream being consumed.
  return pipeline(
    Readable.from(source.stream(0), { objectMode: false }),
    createGunzip({ chunkSize: INFLATE_CHUNK_BYTES }),
    () => {},
  );
}

interface Guard {
  readonly where: string;
  readonly format: ArchiveFormat;
  readonly maxInflatedBytes: number;
  /** Set to the inflated size once the whole stream has passed the checks. */
  readonly counted: { bytes: number };
  /** The member's CRC-32 from the zip's central directory (gzip's own trailer is checked by zlib). */
  readonly crc32?: number;
  /** The member's size from the zip's central directory. */
  readonly declaredBytes?: number;
}

/**
 * The inflated bytes, passed through only while within the limit; a zip member's CRC-32 is
 * checked before the stream ends, so a corrupt member fails the upload instead of completing it.
 */
async function* guarded(chunks: AsyncIterable<Uint8Array>, guard: Guard): AsyncGenerator<Uint8Array> {
  let bytes = 0;
  let crc = 0;
  try {
    for await (const chunk of chunks) {
      bytes += chunk.length;
      if (bytes > guard.maxInflatedBytes) throw inflatedTooLarge(guard.where, guard.maxInflatedBytes);
      if (guard.declaredBytes !== undefined && bytes > guard.declaredBytes) throw sizeMismatch(guard, bytes);
      if (guard.crc32 !== undefined) crc = crc32(chunk, crc);
      yield chunk;
    }
  } catch (e) {
    throw describeInflateFailure(e, guard.where, guard.format);
  }
  if (guard.declaredBytes !== undefined && bytes !== guard.declaredBytes) throw sizeMismatch(guard, bytes);
  if (guard.crc32 !== undefined && crc !== guard.crc32) {
    throw new InputRejectedError(
      `${guard.where} is corrupt: its CRC-32 is ${hex(crc)} but the archive records ${hex(guard.crc32)}; upload the archive again (check it with "unzip -t")`,
    );
  }
  guard.counted.bytes = bytes;
}

/**
 * zlib's and yauzl's errors as one line saying what is wrong with the archive. Errors of reading
 * the archive itself (S3, the file system) pass through unchanged.
 */
function describeInflateFailure(e: unknown, where: string, format: ArchiveFormat): Error {
  if (e instanceof EtlError || !(e instanceof Error)) return e as Error;
  const code = (e as NodeJS.ErrnoException).code;
  const fromZlib = typeof code === "string" && code.startsWith("Z_");
  const fromYauzl = code === undefined && !("$metadata" in e);
  if (!fromZlib && !fromYauzl) return e;
  const again =
    format === "zip"
      ? `upload the archive again (check it with "unzip -t")`
      : `upload it again (check it with "gzip -t")`;
  if (format === "gzip" && /incorrect header check|unknown compression method/.test(e.message)) {
    return new InputRejectedError(
      `${where} is not gzip data (${e.message}); upload a gzip file or name it for what it is`,
    );
  }
  if (format === "zip" && /end of central directory record signature not found/i.test(e.message)) {
    return new InputRejectedError(
      `${where} is not a zip archive, or is truncated (no end-of-central-directory record); ${again}`,
    );
  }
  if (/unexpected end of file|not enough bytes/.test(e.message)) {
    return new InputRejectedError(`${where} is truncated (${e.message}); ${again}`);
  }
  return new InputRejectedError(`${where} is corrupt (${e.message}); ${again}`);
}

function sizeMismatch(guard: Guard, bytes: number): InputRejectedError {
  const inflated = bytes > guard.declaredBytes! ? `more than ${guard.declaredBytes}` : String(bytes);
  return new InputRejectedError(
    `${guard.where} is corrupt: it inflates to ${inflated} bytes but the archive records ${guard.declaredBytes}; upload the archive again (check it with "unzip -t")`,
  );
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(8, "0")}`;
}
