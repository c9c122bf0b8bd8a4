/**
 * The declared EDGAR schema as the pipeline applies it: which optional columns must hold integers
 * (a value that is not one is counted invalid, the record kept) and which hold free text.
 */
import { describe, expect, it } from "vitest";
import { EDGAR_COLUMN_NAMES } from "../../functions/core/schema";
import { csvFile, csvLine, EDGAR_COLUMNS, edgarRow } from "../helpers/edgar-csv";
import { runCore } from "../helpers/run-core";

const REQUIRED = ["ip", "date", "time", "code"];
const OPTIONAL = EDGAR_COLUMNS.filter((c) => !REQUIRED.includes(c));
const OPTIONAL_INTEGERS = ["zone", "cik", "size", "idx", "norefer", "noagent", "find", "crawler"];

describe("EDGAR schema", () => {
  it("lists the SEC's columns in the SEC's order", () => {
    expect(EDGAR_COLUMN_NAMES).toEqual([...EDGAR_COLUMNS]);
  });

  it("a word in every optional column: the record is kept, and only the integer columns count it invalid", async () => {
    // Prepare
    const word = Object.fromEntries(OPTIONAL.map((c) => [c, "mie"]));

    // Act
    const { merged } = await runCore({ bytes: csvFile([csvLine(edgarRow(word))]) });

    // Assess
    expect([merged.rows.ok, merged.rows.corrupt]).toEqual([1, 0]);
    expect(merged.invalidByColumn).toEqual(
      Object.fromEntries(EDGAR_COLUMNS.map((c) => [c, OPTIONAL_INTEGERS.includes(c) ? 1 : 0])),
    );
  });
});
