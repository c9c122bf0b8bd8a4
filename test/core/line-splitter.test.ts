/**
 * The line splitter on its own: the field bounds, empty-field bits and the quote and non-ASCII
 * flags it reports for one line, whichever of its word-at-a-time or byte-at-a-time paths finds
 * each byte.
 */
import { describe, expect, it } from "vitest";
import { LineSplitter, NCOLS } from "../../functions/core/line-splitter";
import { bytesOf, utf8 } from "../helpers/edgar-csv";

/** The [start, end) bounds the splitter kept for the first `n` fields. */
function bounds(splitter: LineSplitter, n: number): [number, number][] {
  return Array.from({ length: n }, (_, i) => [splitter.fieldStart[i]!, splitter.fieldEnd[i]!]);
}

describe("LineSplitter", () => {
  it("reports a plain ASCII line as neither quoted nor non-ASCII, with each field's bounds", () => {
    // Prepare: long enough for whole words, with a tail shorter than a word.
    const line = utf8("alpha,beta,gamma");
    const splitter = new LineSplitter();

    // Act
    splitter.split(line, 0, line.length);

    // Assess
    expect(splitter.quoted).toBe(false);
    expect(splitter.nonAscii).toBe(false);
    expect(splitter.fields).toBe(3);
    expect(splitter.emptyFields).toBe(0);
    expect(bounds(splitter, 3)).toEqual([
      [0, 5],
      [6, 10],
      [11, 16],
    ]);
  });

  it.each([0x80, 0xc3, 0xff])("flags a line with a byte >= 128 (%i) as non-ASCII, not as quoted", (high) => {
    // Prepare: the byte at each position of a word and in the tail.
    const splitter = new LineSplitter();
    for (let at = 0; at < 8; at++) {
      const line = utf8("abcdefgh");
      line[at] = high;

      // Act
      splitter.split(line, 0, line.length);

      // Assess
      expect({ at, nonAscii: splitter.nonAscii, quoted: splitter.quoted, fields: splitter.fields }).toEqual({
        at,
        nonAscii: true,
        quoted: false,
        fields: 1,
      });
    }
  });

  it("flags a line with a double quote as quoted wherever the quote is, and keeps the fields before it", () => {
    // Prepare
    const splitter = new LineSplitter();
    for (let at = 2; at < 10; at++) {
      const chars = "a,bcdefghijk".split("");
      chars[at] = '"';
      const line = utf8(chars.join(""));

      // Act
      splitter.split(line, 0, line.length);

      // Assess
      expect({ at, quoted: splitter.quoted, fields: splitter.fields, first: bounds(splitter, 1) }).toEqual({
        at,
        quoted: true,
        fields: 2,
        first: [[0, 1]],
      });
    }
  });

  it("splits only bytes[start, end): a comma just past end or before start is not counted", () => {
    // Prepare
    const line = utf8(",ab,cd,ef");
    const start = 1;
    const end = line.indexOf(44, 4); // the comma after "cd"
    const splitter = new LineSplitter();

    // Act
    splitter.split(line, start, end);

    // Assess
    expect(splitter.fields).toBe(2);
    expect(splitter.emptyFields).toBe(0);
    expect(bounds(splitter, 2)).toEqual([
      [1, 3],
      [4, 6],
    ]);
  });

  it("sets a bit for each empty field among the first NCOLS, the last field included", () => {
    // Prepare: fields 0, 2 and the last (NCOLS - 1) are empty.
    const values = Array.from({ length: NCOLS }, (_, i) =>
      i === 0 || i === 2 || i === NCOLS - 1 ? "" : "v",
    );
    const line = utf8(values.join(","));
    const splitter = new LineSplitter();

    // Act
    splitter.split(line, 0, line.length);

    // Assess
    expect(splitter.fields).toBe(NCOLS);
    expect(splitter.emptyFields).toBe((1 << 0) | (1 << 2) | (1 << (NCOLS - 1)));
  });

  it("counts fields beyond NCOLS but sets no empty-field bit for them", () => {
    // Prepare: NCOLS non-empty fields, then an empty one, a non-empty one and an empty last one.
    const values = [...Array.from({ length: NCOLS }, () => "v"), "", "w", ""];
    const line = bytesOf(values.join(","));
    const splitter = new LineSplitter();

    // Act
    splitter.split(line, 0, line.length);

    // Assess
    expect(splitter.fields).toBe(NCOLS + 3);
    expect(splitter.emptyFields).toBe(0);
  });

  it("sets no empty-field bit for an empty last field just past NCOLS", () => {
    // Prepare: NCOLS non-empty fields and an empty one after them.
    const line = utf8(`${Array.from({ length: NCOLS }, () => "v").join(",")},`);
    const splitter = new LineSplitter();

    // Act
    splitter.split(line, 0, line.length);

    // Assess
    expect(splitter.fields).toBe(NCOLS + 1);
    expect(splitter.emptyFields).toBe(0);
  });
});
