/**
 * The line splitter on its own: the field bounds, empty-field bits and the quote and non-ASCII
 * flags it reports for one line, whichever of its word-at-a-time or byte-at-a-time paths finds
 * each byte.
 */
import fc from "fast-check";
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

  it("agrees with a byte-at-a-time reading of any bytes, at any start and end (property)", () => {
    // Bytes a split must tell apart, the ones next to them in value (a test of one byte must
    // not mark its neighbours), and any others.
    const byteArb = fc.oneof(
      fc.constantFrom(0x2c, 0x22, 0x2b, 0x2d, 0x21, 0x23, 0x00, 0x7f, 0x80, 0xac, 0xa2, 0xff, 0x61),
      fc.integer({ min: 0, max: 255 }),
    );
    const lineArb = fc
      .array(byteArb, { maxLength: 80, size: "max" })
      .chain((bytes) =>
        fc.tuple(
          fc.constant(Uint8Array.from(bytes)),
          fc.integer({ min: 0, max: bytes.length }),
          fc.integer({ min: 0, max: bytes.length }),
        ),
      );
    const splitter = new LineSplitter();
    fc.assert(
      fc.property(lineArb, ([bytes, a, b]) => {
        const [start, end] = a <= b ? [a, b] : [b, a];
        splitter.split(bytes, start, end);
        const expected = byteAtATime(bytes, start, end);
        expect({
          fields: splitter.fields,
          emptyFields: splitter.emptyFields,
          nonAscii: splitter.nonAscii,
          quoted: splitter.quoted,
          bounds: bounds(splitter, expected.bounds.length),
        }).toEqual(expected);
      }),
      { numRuns: 2000 },
    );
  });
});

/** What a split must report, read the plainest way: one byte at a time. */
function byteAtATime(bytes: Uint8Array, start: number, end: number) {
  const fieldBounds: [number, number][] = [];
  let fields = 0;
  let emptyFields = 0;
  let nonAscii = false;
  let quoted = false;
  let fieldBegin = start;
  const endField = (at: number) => {
    if (fields < NCOLS) {
      fieldBounds.push([fieldBegin, at]);
      if (at === fieldBegin) emptyFields |= 1 << fields;
    }
  };
  for (let i = start; i < end && !quoted; i++) {
    if (bytes[i] === 0x2c) {
      endField(i);
      fields++;
      fieldBegin = i + 1;
    } else if (bytes[i] === 0x22) quoted = true;
    else if (bytes[i]! >= 0x80) nonAscii = true;
  }
  if (!quoted) endField(end);
  return { fields: fields + 1, emptyFields, nonAscii, quoted, bounds: fieldBounds };
}
