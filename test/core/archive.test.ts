/**
 * The pure part of compressed input: which keys are archives, the key a member stands for, and
 * the checks on a zip's central directory before anything is inflated.
 */
import { describe, expect, it } from "vitest";
import {
  archiveFormatOf,
  chooseCsvMember,
  DEFAULT_MAX_INFLATED_BYTES,
  gzipMemberName,
  inflatedTooLarge,
  memberKey,
  type ZipMember,
} from "../../functions/core/archive";
import { InputRejectedError } from "../../functions/core/errors";

const member = (name: string, more: Partial<ZipMember> = {}): ZipMember => ({
  name,
  compressionMethod: 8,
  encrypted: false,
  uncompressedSize: 100,
  ...more,
});
const LIMIT = 1000;
const refusal = (members: readonly ZipMember[]) => {
  try {
    chooseCsvMember("s3://in/a.zip", members, LIMIT);
  } catch (e) {
    expect(e).toBeInstanceOf(InputRejectedError);
    return (e as Error).message;
  }
  throw new Error("expected a refusal");
};

describe("limits", () => {
  it("an archive may inflate to 16 GiB unless configured otherwise (README, Settings)", () => {
    expect(DEFAULT_MAX_INFLATED_BYTES).toBe(17_179_869_184);
  });
});

describe("keys", () => {
  it("an archive is a key ending in .zip or .gz; anything else is read as CSV", () => {
    expect(
      [
        "in/log.zip",
        "in/log.csv.gz",
        "in/log.gz",
        "in/log.csv",
        "in/log.zip.csv",
        "in/zip",
        "in/log.tgz",
      ].map(archiveFormatOf),
    ).toEqual(["zip", "gzip", "gzip", null, null, null, null]);
  });

  it("a gzip object's CSV is its file name without .gz", () => {
    expect(gzipMemberName("incoming/2017/log20170630.csv.gz")).toBe("log20170630.csv");
    expect(gzipMemberName("log.gz.csv.gz")).toBe("log.gz.csv");
    expect(gzipMemberName("a.gz/log.csv.gz")).toBe("log.csv");
  });

  it("a member stands for the archive's directory plus the member's file name", () => {
    expect(memberKey("incoming/log20170630.zip", "log20170630.csv")).toBe("incoming/log20170630.csv");
    expect(memberKey("incoming/x/a.zip", "inner/dir/log.csv")).toBe("incoming/x/log.csv");
    expect(memberKey("a.zip", "log.csv")).toBe("log.csv");
  });
});

describe("chooseCsvMember", () => {
  it("takes the one .csv member (any case), ignoring directories, macOS metadata and other files", () => {
    const csv = member("day/LOG20170630.CSV", { compressionMethod: 0 });
    const members = [
      member("day/"),
      member("notes.csv/"),
      member("__MACOSX/day/._LOG20170630.CSV"),
      member("day/._LOG20170630.CSV"),
      member("readme.txt"),
      csv,
    ];
    expect(chooseCsvMember("s3://in/a.zip", members, LIMIT)).toBe(csv);
  });

  it("ignores anything under __MACOSX/, and takes a member named from the archive's root", () => {
    const csv = member("/log.csv");
    expect(chooseCsvMember("s3://in/a.zip", [member("__MACOSX/log.csv"), csv], LIMIT)).toBe(csv);
  });

  it("takes a member declaring exactly the limit", () => {
    const csv = member("log.csv", { uncompressedSize: LIMIT });
    expect(chooseCsvMember("s3://in/a.zip", [csv], LIMIT)).toBe(csv);
  });

  it("refuses an empty archive, and one without a CSV, listing at most five names", () => {
    expect(refusal([])).toBe(
      "s3://in/a.zip holds no .csv member (it is empty); put the log CSV in the archive, named *.csv",
    );
    const names = ["a.txt", "b.txt", "c.txt", "d.txt", "e.txt"];
    expect(refusal(names.map((n) => member(n)))).toBe(
      "s3://in/a.zip holds no .csv member (it holds a.txt, b.txt, c.txt, d.txt, e.txt); put the log CSV in the archive, named *.csv",
    );
    expect(refusal([...names, "f.txt", "g/"].map((n) => member(n)))).toContain(
      "(it holds a.txt, b.txt, c.txt, d.txt, e.txt and 2 more)",
    );
  });

  it("refuses several CSVs, counting them all", () => {
    const message = refusal(["1.csv", "2.csv", "3.csv", "4.csv", "5.csv", "6.csv"].map((n) => member(n)));
    expect(message).toContain(
      "holds 6 .csv members (1.csv, 2.csv, 3.csv, 4.csv, 5.csv and 1 more); a run reads one CSV",
    );
  });

  it("refuses an encrypted member, another method (named when known) and a declared size over the limit", () => {
    expect(refusal([member("log.csv", { encrypted: true })])).toBe(
      "s3://in/a.zip: member log.csv is encrypted; the pipeline cannot decrypt zip members: upload the archive without a password",
    );
    expect(refusal([member("log.csv", { compressionMethod: 9 })])).toBe(
      "s3://in/a.zip: member log.csv uses zip compression method 9 (Deflate64); only stored and Deflate are read: re-zip it with Deflate (zip's default) or upload it as .gz",
    );
    expect(refusal([member("log.csv", { compressionMethod: 99 })])).toContain("method 99 (unknown)");
    for (const [method, name] of [
      [12, "BZIP2"],
      [14, "LZMA"],
      [93, "Zstandard"],
      [95, "XZ"],
      [98, "PPMd"],
    ] as const)
      expect(refusal([member("log.csv", { compressionMethod: method })])).toContain(
        `method ${method} (${name});`,
      );
    expect(refusal([member("log.csv", { uncompressedSize: LIMIT + 1 })])).toBe(
      inflatedTooLarge("s3://in/a.zip: member log.csv", LIMIT).message,
    );
    expect(inflatedTooLarge("s3://in/a.zip: member log.csv", LIMIT).message).toBe(
      "s3://in/a.zip: member log.csv inflates to more than 1000 bytes, the limit (maxInflatedBytes); if the file is genuine, raise maxInflatedBytes",
    );
  });
});
