/**
 * A range's server-error rows, kept as numbers and bytes while the range is mapped, made into
 * the partial's columns at its end: the same columns as the rows themselves, however many.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatDate, formatTime } from "../../functions/core/field-typing";
import { ServerErrorRows } from "../../functions/core/server-error-rows";

const rowArb = fc.record({
  offset: fc.integer({ min: 0, max: 2 ** 40 }),
  date: fc.constantFrom(20170630, 19700101, 20161231),
  time: fc.integer({ min: 0, max: 86_399 }),
  code: fc.integer({ min: 500, max: 599 }),
  extention: fc.oneof(
    fc.constant(""),
    fc.string({ unit: "grapheme", maxLength: 40 }),
    fc.constant("\ufeff.htm"),
  ),
  before: fc.integer({ min: 0, max: 5 }),
});

describe("ServerErrorRows", () => {
  it("gives the rows back as columns, in order, an empty extention as null, however many rows and bytes (property)", () => {
    fc.assert(
      fc.property(fc.array(rowArb, { maxLength: 400, size: "max" }), (rows) => {
        const kept = new ServerErrorRows();
        for (const r of rows) {
          // The extention in a larger buffer, as a field of its line.
          const bytes = Buffer.from(`${",".repeat(r.before)}${r.extention},rest`, "utf8");
          const extEnd = r.before + Buffer.byteLength(r.extention, "utf8");
          kept.add(r.offset, r.date, r.time, r.code, bytes, r.before, extEnd);
        }
        expect(kept.columns()).toEqual({
          offset: rows.map((r) => r.offset),
          date: rows.map((r) => formatDate(r.date)),
          time: rows.map((r) => formatTime(r.time)),
          extention: rows.map((r) => (r.extention === "" ? null : r.extention)),
          code: rows.map((r) => r.code),
        });
      }),
      { numRuns: 100 },
    );
  });
});
