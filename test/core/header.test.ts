/** The header check: the planner accepts exactly the EDGAR columns, in any order, and says why not. */
import { describe, expect, it } from "vitest";
import { memoryByteSource } from "../../functions/core/byte-source";
import { InputRejectedError } from "../../functions/core/errors";
import { MAX_HEADER_BYTES, parseHeader, readHeader, readHeaderBytes } from "../../functions/core/header";
import { EDGAR_COLUMNS, EDGAR_HEADER } from "../helpers/edgar-csv";

const source = (text: string | Uint8Array, chunk = 1 << 20) =>
  memoryByteSource(typeof text === "string" ? Buffer.from(text) : text, "s3://in/k.csv", chunk);

describe("readHeader", () => {
  it("maps each schema column to its position, and the data start after the line break", async () => {
    const reversed = [...EDGAR_COLUMNS].reverse();
    for (const chunk of [1, 3, 1 << 20]) {
      const layout = await readHeader(source(`${reversed.join(",")}\r\n1,2\n`, chunk));
      expect(layout.columns).toEqual(reversed);
      expect(layout.positions).toEqual(EDGAR_COLUMNS.map((c) => reversed.indexOf(c)));
      expect(layout.dataStart).toBe(reversed.join(",").length + 2);
    }
  });

  it("a header without a line break ends the object: no data", async () => {
    expect((await readHeader(source(EDGAR_HEADER))).dataStart).toBe(EDGAR_HEADER.length);
  });

  it("trims spaces around names and accepts quoted names", async () => {
    const text = EDGAR_COLUMNS.map((c, i) => (i === 0 ? `"${c}"` : i === 1 ? ` ${c} ` : c)).join(",");
    expect((await readHeader(source(`${text}\n`))).columns).toEqual([...EDGAR_COLUMNS]);
  });

  it.each([
    [
      "",
      /s3:\/\/in\/k.csv is empty \(0 bytes\): expected a CSV with the header ip,date,.*; upload the full file/,
    ],
    [
      EDGAR_HEADER.replace("code", "status"),
      /header does not match the EDGAR log schema \(missing code; unexpected "status"\)/,
    ],
    [EDGAR_HEADER.replace(",code", ""), /\(missing code\)/],
    [`${EDGAR_HEADER},extra`, /\(unexpected "extra"\)/],
    [`${EDGAR_HEADER},ip`, /\(duplicated ip\)/],
    [`${EDGAR_HEADER},${"x".repeat(60)}`, /unexpected "x{40}…"/],
    ['ip,"date', /the header line is not valid CSV/],
    [Buffer.from([0x1f, 0x8b, 8, 0, 0, 0]), /is gzip-compressed/],
    [Buffer.from([0x50, 0x4b, 3, 4, 10, 0]), /is zip-compressed/],
    [Buffer.from([0x1f, 0x8b]), /is gzip-compressed/],
    [Buffer.from([0xff, 0xfe, 0x0a]), /the first line is not UTF-8 text/],
  ])("rejects %j", async (text, message) => {
    await expect(readHeader(source(text, 1))).rejects.toThrow(InputRejectedError);
    await expect(readHeader(source(text))).rejects.toThrow(message);
  });

  it("a zip is recognised even when the first chunk holds fewer than 4 bytes", async () => {
    await expect(readHeader(source(Buffer.from([0x50, 0x4b, 3, 4, 0x0a, 0x41]), 2))).rejects.toThrow(
      /zip-compressed/,
    );
    // 'PK' followed by other bytes is text.
    await expect(readHeader(source("PK,x\n", 2))).rejects.toThrow(/header does not match/);
  });

  it("no line break within the first 64 KiB: there is no header", async () => {
    const long = `${EDGAR_HEADER},${"y".repeat(MAX_HEADER_BYTES)}\n`;
    await expect(readHeaderBytes(source(long, 4096))).rejects.toThrow(
      `s3://in/k.csv: no line break in the first ${MAX_HEADER_BYTES} bytes, so there is no CSV header`,
    );
    const exact = `${"z".repeat(MAX_HEADER_BYTES - 1)}\n`;
    expect((await readHeaderBytes(source(exact, 999))).dataStart).toBe(MAX_HEADER_BYTES);
  });

  it("a line break found in a later chunk: the line is all chunks up to it", async () => {
    const { line, dataStart } = await readHeaderBytes(source(`${EDGAR_HEADER}\nrest`, 7));
    expect(Buffer.from(line).toString()).toBe(EDGAR_HEADER);
    expect(dataStart).toBe(EDGAR_HEADER.length + 1);
  });

  it("says every missing, unexpected and duplicated column, and what it expected", async () => {
    const text = `${EDGAR_COLUMNS.filter((c) => c !== "code" && c !== "size").join(",")},status,bytes,ip,zone`;
    await expect(readHeader(source(`${text}\n`))).rejects.toThrow(
      `s3://in/k.csv: header does not match the EDGAR log schema (missing code, size; unexpected "status", "bytes"; duplicated ip, zone); expected the columns ${EDGAR_HEADER} in any order`,
    );
    await expect(readHeader(source('ip,"date\n'))).rejects.toThrow(
      new RegExp(`^s3://in/k\\.csv: the header line is not valid CSV \\(.+\\); expected ${EDGAR_HEADER}$`),
    );
  });

  it("an empty first line: every column is missing and nothing is unexpected", async () => {
    await expect(readHeader(source("\n1,2\n"))).rejects.toThrow(
      `s3://in/k.csv: header does not match the EDGAR log schema (missing ${EDGAR_COLUMNS.join(", ")}); expected`,
    );
  });

  it("an unexpected name of 40 characters is quoted whole, a longer one cut at 40", async () => {
    const forty = "n".repeat(40);
    await expect(readHeader(source(`${EDGAR_HEADER},${forty}\n`))).rejects.toThrow(`(unexpected "${forty}")`);
    await expect(readHeader(source(`${EDGAR_HEADER},${forty}m\n`))).rejects.toThrow(
      `(unexpected "${forty}…")`,
    );
  });

  it("a UTF-8 byte-order mark before a quoted first name is not part of the name", async () => {
    const text = `\uFEFF${EDGAR_COLUMNS.map((c) => `"${c}"`).join(",")}\r\n`;
    expect((await readHeader(source(text))).columns).toEqual([...EDGAR_COLUMNS]);
  });

  it("names the compression and the key suffix that gets it inflated", async () => {
    await expect(readHeader(source(Buffer.from([0x1f, 0x8b, 8, 0, 0x0a])))).rejects.toThrow(
      "s3://in/k.csv is gzip-compressed but not named so; name it *.gz so that it is inflated first, or upload the uncompressed CSV",
    );
    await expect(readHeader(source(Buffer.from([0x50, 0x4b, 3, 4, 0x0a])))).rejects.toThrow(
      "s3://in/k.csv is zip-compressed but not named so; name it *.zip so that it is inflated first, or upload the uncompressed CSV",
    );
  });

  it("gzip magic is recognised when a line break follows it before a 4th byte is read", async () => {
    await expect(readHeader(source(Buffer.from([0x1f, 0x8b, 0x0a, 0x41]), 1))).rejects.toThrow(
      /is gzip-compressed/,
    );
  });

  it("bytes that differ from the gzip or zip magic in any one place are not called compressed", async () => {
    for (const magic of [
      [0x1f, 0x8b],
      [0x50, 0x4b, 3, 4],
    ]) {
      for (let place = 0; place < magic.length; place++) {
        const head = magic.map((b, i) => (i === place ? 0x41 : b));
        const act = readHeader(source(Buffer.from([...head, ...Buffer.from(",x\n")])));
        await expect(act, `${head}`).rejects.toThrow(InputRejectedError);
        await expect(act, `${head}`).rejects.toThrow(/header does not match|not UTF-8 text/);
      }
    }
  });

  it("parseHeader names the source in its message", () => {
    expect(() => parseHeader(Buffer.from("a"), 2, "file.csv")).toThrow(/^file.csv: header does not match/);
  });
});
