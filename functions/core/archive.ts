/**
 * Compressed input, the pure part: which keys are archives, which zip member is the log CSV,
 * the guards an archive must pass before a byte is inflated, and the key a member stands for.
 * The streaming itself is in stages/inflate-stage.ts.
 */
import type { ArchiveFormat } from "../contracts";
import { InputRejectedError } from "./errors";

/** Key suffixes read as archives (the upload trigger and the state machine route on the same). */
export const ARCHIVE_SUFFIXES: Readonly<Record<ArchiveFormat, string>> = { zip: ".zip", gzip: ".gz" };

/** Inflated bytes allowed per archive unless configured otherwise: 6x the largest EDGAR day. */
export const DEFAULT_MAX_INFLATED_BYTES = 16 * 1024 ** 3;

/** A zip's central directory is read one entry at a time; a log archive holds one or two. */
export const MAX_ZIP_MEMBERS = 100;

/** Zip compression methods the inflate stage reads: stored and Deflate (what `zip` writes). */
const SUPPORTED_ZIP_METHODS: Readonly<Record<number, string>> = { 0: "stored", 8: "Deflate" };

/** Names of other zip methods, for messages. */
const ZIP_METHOD_NAMES: Readonly<Record<number, string>> = {
  9: "Deflate64",
  12: "BZIP2",
  14: "LZMA",
  93: "Zstandard",
  95: "XZ",
  98: "PPMd",
};

export function archiveFormatOf(key: string): ArchiveFormat | null {
  if (key.endsWith(ARCHIVE_SUFFIXES.zip)) return "zip";
  if (key.endsWith(ARCHIVE_SUFFIXES.gzip)) return "gzip";
  return null;
}

/** The CSV a gzip object holds is named by its key without `.gz` (`log.csv.gz` -> `log.csv`). */
export function gzipMemberName(key: string): string {
  return baseName(key).replace(/\.gz$/, "");
}

/**
 * The key the archive's CSV would have had if uploaded as it is: the archive's directory plus
 * the member's file name (`incoming/log20170630.zip` holding `log20170630.csv` ->
 * `incoming/log20170630.csv`). Its stem is the run's `source=` partition.
 */
export function memberKey(archiveKey: string, member: string): string {
  const slash = archiveKey.lastIndexOf("/");
  return `${archiveKey.slice(0, slash + 1)}${baseName(member)}`;
}

/** What the inflate stage needs to know about one zip entry (from the central directory). */
export interface ZipMember {
  readonly name: string;
  readonly compressionMethod: number;
  readonly encrypted: boolean;
  /** As the central directory declares it; the stream is checked against it. */
  readonly uncompressedSize: number;
}

/**
 * The archive's one CSV member, after every check that can be made before inflating: exactly
 * one `.csv` file (directories, macOS metadata and other files are ignored), not encrypted,
 * stored or Deflate, and declaring no more than `maxInflatedBytes`.
 */
export function chooseCsvMember(
  archiveName: string,
  members: readonly ZipMember[],
  maxInflatedBytes: number,
): ZipMember {
  const csv = members.filter(isCsvMember);
  if (csv.length === 0) {
    const held = members.length === 0 ? "it is empty" : `it holds ${listNames(members)}`;
    throw new InputRejectedError(
      `${archiveName} holds no .csv member (${held}); put the log CSV in the archive, named *.csv`,
    );
  }
  if (csv.length > 1) {
    throw new InputRejectedError(
      `${archiveName} holds ${csv.length} .csv members (${listNames(csv)}); a run reads one CSV: zip each day's CSV on its own, as the SEC publishes them, or upload the CSVs`,
    );
  }
  const member = csv[0]!;
  const where = `${archiveName}: member ${member.name}`;
  if (member.encrypted) {
    throw new InputRejectedError(
      `${where} is encrypted; the pipeline cannot decrypt zip members: upload the archive without a password`,
    );
  }
  if (SUPPORTED_ZIP_METHODS[member.compressionMethod] === undefined) {
    const method = ZIP_METHOD_NAMES[member.compressionMethod] ?? "unknown";
    throw new InputRejectedError(
      `${where} uses zip compression method ${member.compressionMethod} (${method}); only stored and Deflate are read: re-zip it with Deflate (zip's default) or upload it as .gz`,
    );
  }
  if (member.uncompressedSize > maxInflatedBytes) throw inflatedTooLarge(where, maxInflatedBytes);
  return member;
}

/** The zip-bomb guard's message, for a declared size or for bytes counted while inflating. */
export function inflatedTooLarge(where: string, maxInflatedBytes: number): InputRejectedError {
  return new InputRejectedError(
    `${where} inflates to more than ${maxInflatedBytes} bytes, the limit (maxInflatedBytes); if the file is genuine, raise maxInflatedBytes`,
  );
}

function isCsvMember(member: ZipMember): boolean {
  const name = member.name;
  if (name.endsWith("/") || name.startsWith("__MACOSX/") || baseName(name).startsWith("._")) return false;
  return name.toLowerCase().endsWith(".csv");
}

function listNames(members: readonly ZipMember[]): string {
  const shown = members.slice(0, 5).map((m) => m.name);
  return members.length > shown.length
    ? `${shown.join(", ")} and ${members.length - 5} more`
    : shown.join(", ");
}

function baseName(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}
