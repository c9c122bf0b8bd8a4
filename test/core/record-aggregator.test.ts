/**
 * The record aggregator on its own, one line at a time: how each line is counted (blank, sampled
 * out, ok, corrupt), what a quarantined record carries, and what an ok row adds to the aggregate.
 */
import { describe, expect, it } from "vitest";
import type { CorruptMode, SampleSpec } from "../../functions/contracts";
import { ipCountList, RAW_CLIP_CHARS, zeroByColumn } from "../../functions/core/aggregate";
import { ByteCounter } from "../../functions/core/byte-counter";
import { CorruptRecordError } from "../../functions/core/errors";
import { parseHeader } from "../../functions/core/header";
import { RecordAggregator } from "../../functions/core/record-aggregator";
import { csvLine, EDGAR_COLUMNS, EDGAR_HEADER, type EdgarRow, edgarRow, utf8 } from "../helpers/edgar-csv";

const header = parseHeader(utf8(EDGAR_HEADER), EDGAR_HEADER.length + 1, "test.csv");

const aggregatorOptions = {
  header,
  mode: "permissive",
  sample: null,
  maxRecordBytes: 1 << 20,
  quarantineLimit: 1000,
} as const;

function aggregator(
  options: Partial<{
    mode: CorruptMode;
    sample: SampleSpec | null;
    maxRecordBytes: number;
    quarantineLimit: number;
  }> = {},
): RecordAggregator {
  return new RecordAggregator({ ...aggregatorOptions, ...options });
}

/** Feeds each line at offset 100 * its index. */
function feedLines(agg: RecordAggregator, lines: readonly (string | Uint8Array)[]): void {
  lines.forEach((line, i) => {
    const bytes = typeof line === "string" ? utf8(line) : line;
    agg.line(bytes, 0, bytes.length, 100 * i);
  });
}

/** feedLines, then the aggregate. */
function feed(agg: RecordAggregator, lines: readonly (string | Uint8Array)[]) {
  feedLines(agg, lines);
  return agg.result();
}

const row = (overrides: Partial<EdgarRow> = {}) => csvLine(edgarRow(overrides));

describe("RecordAggregator", () => {
  it("rejects a header layout that does not have the EDGAR column count", () => {
    // Prepare
    const short = { ...header, columns: header.columns.slice(1) };

    // Act / Assess
    expect(
      () =>
        new RecordAggregator({
          header: short,
          mode: "permissive",
          sample: null,
          maxRecordBytes: 100,
          quarantineLimit: 1,
        }),
    ).toThrow(
      `header layout has ${EDGAR_COLUMNS.length - 1} columns; an EDGAR header has ${EDGAR_COLUMNS.length}`,
    );
  });

  it("counts a blank line as blank, not read, and counts every line in lineCount", () => {
    // Prepare
    const agg = aggregator();

    // Act
    const result = feed(agg, ["", row(), ""]);

    // Assess
    expect(result.rows).toMatchObject({ blank: 2, read: 1, ok: 1, corrupt: 0, sampledOut: 0 });
    expect(agg.lineCount).toBe(3);
  });

  it("counts a record the sample leaves out as read and sampled out, and never checks it", () => {
    // Prepare: a tiny fraction leaves out (almost) everything; the lines are corrupt.
    const agg = aggregator({ sample: { fraction: 1e-12, seed: 1 } });

    // Act
    const result = feed(agg, ["bad", "bad", "bad"]);

    // Assess
    expect(result.rows).toMatchObject({ read: 3, sampledOut: 3, corrupt: 0, ok: 0 });
  });

  it("rejects a record over maxRecordBytes, judged by its full length, and keeps one exactly at the limit", () => {
    // Prepare
    const line = row();
    const agg = aggregator({ maxRecordBytes: line.length });
    const bytes = utf8(line);

    // Act
    agg.line(bytes, 0, bytes.length, 0);
    agg.line(bytes, 0, bytes.length, 50, line.length + 1);
    const result = agg.result();

    // Assess
    expect(result.rows).toMatchObject({ ok: 1, corrupt: 1 });
    expect(result.quarantine).toEqual([
      {
        offset: 50,
        line: 0,
        lineInRange: 1,
        reason: "too_long",
        detail: `record is ${line.length + 1} bytes, over the limit of ${line.length} (maxRecordBytes)`,
        raw: line,
      },
    ]);
  });

  it("rejects an unquoted record that is not valid UTF-8, and keeps one with valid multi-byte text", () => {
    // Prepare
    const good = utf8(row({ extention: "é.htm" }));
    const bad = utf8(row({ extention: "x.htm" }));
    bad[bad.indexOf(120)] = 0xff;

    // Act
    const result = feed(aggregator(), [good, bad]);

    // Assess
    expect(result.rows).toMatchObject({ ok: 1, corrupt: 1 });
    expect(result.corruptByReason).toEqual({ invalid_utf8: 1 });
    expect(result.quarantine[0]).toMatchObject({
      reason: "invalid_utf8",
      detail: "record is not valid UTF-8",
      offset: 100,
    });
  });

  it("rejects a quoted record with the wrong column count, naming the count found", () => {
    // Prepare
    const line = `"a",${row()}`;

    // Act
    const result = feed(aggregator(), [line]);

    // Assess
    expect(result.quarantine[0]).toMatchObject({
      reason: "column_count",
      detail: `expected ${EDGAR_COLUMNS.length} columns, found ${EDGAR_COLUMNS.length + 1}`,
    });
  });

  it("rejects an unquoted record with the wrong column count, naming the count found", () => {
    // Act
    const result = feed(aggregator(), ["a,b,c"]);

    // Assess
    expect(result.quarantine[0]).toMatchObject({
      reason: "column_count",
      detail: `expected ${EDGAR_COLUMNS.length} columns, found 3`,
    });
  });

  it("counts a quoted ok row's empty fields as missing, like an unquoted one", () => {
    // Prepare
    const quoted = EDGAR_COLUMNS.map((c) => `"${edgarRow({ browser: "", zone: "" })[c]}"`).join(",");

    // Act
    const result = feed(aggregator(), [quoted]);

    // Assess
    expect(result.rows.ok).toBe(1);
    expect(result.missingByColumn).toMatchObject({ browser: 1, zone: 1, ip: 0, cik: 0 });
  });

  it("names the first failing required field: empty ip, then date, then time, then code", () => {
    // Prepare
    const lines = [
      row({ ip: "", date: "x", time: "x", code: "x" }),
      row({ date: "", time: "x", code: "x" }),
      row({ date: "2017-13-01", time: "x" }),
      row({ time: "24:00:00", code: "x" }),
      row({ time: "", code: "x" }),
      row({ code: "1000" }),
      row({ code: "-1" }),
      row({ code: "" }),
    ];

    // Act
    const result = feed(aggregator(), lines);

    // Assess
    expect(result.quarantine.map((q) => [q.reason, q.detail])).toEqual([
      ["missing_required", "ip is empty"],
      ["missing_required", "date is empty"],
      ["bad_date", 'date "2017-13-01" is not a valid YYYY-MM-DD date'],
      ["bad_time", 'time "24:00:00" is not a valid HH:MM:SS time'],
      ["missing_required", "time is empty"],
      ["bad_code", 'code "1000" is not an HTTP status (0-999)'],
      ["bad_code", 'code "-1" is not an HTTP status (0-999)'],
      ["missing_required", "code is empty"],
    ]);
    expect(result.corruptByReason).toEqual({ missing_required: 4, bad_date: 1, bad_time: 1, bad_code: 2 });
  });

  it("accepts the status codes 0 and 999", () => {
    // Act
    const result = feed(aggregator(), [row({ code: "0" }), row({ code: "999" })]);

    // Assess
    expect(result.rows).toMatchObject({ ok: 2, corrupt: 0 });
  });

  it("quotes at most 64 characters of a bad field in the detail", () => {
    // Prepare
    const long = "9".repeat(100);

    // Act
    const result = feed(aggregator(), [row({ code: long })]);

    // Assess
    expect(result.quarantine[0]!.detail).toBe(`code "${"9".repeat(64)}" is not an HTTP status (0-999)`);
  });

  it("clips the quarantined raw text to RAW_CLIP_CHARS", () => {
    // Prepare
    const line = row({ code: "x", extention: "e".repeat(3 * RAW_CLIP_CHARS) });

    // Act
    const result = feed(aggregator(), [line]);

    // Assess
    expect(result.quarantine[0]!.raw).toBe(line.slice(0, RAW_CLIP_CHARS));
  });

  it("in failfast mode throws on the first corrupt record with its offset and reason", () => {
    // Prepare
    const agg = aggregator({ mode: "failfast" });
    const bytes = utf8(row({ date: "" }));

    // Act
    let error: unknown;
    try {
      agg.line(bytes, 0, bytes.length, 777);
    } catch (e) {
      error = e;
    }

    // Assess
    expect(error).toBeInstanceOf(CorruptRecordError);
    expect(error).toMatchObject({
      message: "corrupt record at byte 777: missing_required: date is empty",
      offset: 777,
      reason: "missing_required",
    });
  });

  it("in dropmalformed mode counts corrupt records by reason but quarantines none", () => {
    // Act
    const result = feed(aggregator({ mode: "dropmalformed", quarantineLimit: 10 }), [
      "a,b",
      row({ code: "x" }),
    ]);

    // Assess
    expect(result.rows.corrupt).toBe(2);
    expect(result.corruptByReason).toEqual({ column_count: 1, bad_code: 1 });
    expect(result.quarantine).toEqual([]);
    expect(result.quarantineOverflow).toBe(0);
  });

  it("counts missing and invalid optional fields per column, and nothing for the other columns", () => {
    // Prepare
    const lines = [row({ size: "", cik: "abc", find: "1.5" }), row({ size: "12", idx: "", browser: "" })];

    // Act
    const result = feed(aggregator(), lines);

    // Assess
    expect(result.missingByColumn).toEqual({ ...zeroByColumn(), size: 1, idx: 1, browser: 2 });
    expect(result.invalidByColumn).toEqual({ ...zeroByColumn(), cik: 1, find: 1 });
  });

  it("reads each field by the header's column order, whatever it is", () => {
    // Prepare: the header and the rows list the columns in reverse.
    const reversed = [...EDGAR_COLUMNS].reverse();
    const text = reversed.join(",");
    const agg = new RecordAggregator({
      header: parseHeader(utf8(text), text.length + 1, "reversed.csv"),
      mode: "permissive",
      sample: null,
      maxRecordBytes: 1 << 20,
      quarantineLimit: 10,
    });
    const lines = [
      csvLine(edgarRow({ code: "503", time: "07:00:00", size: "", cik: "x" }), reversed),
      csvLine(edgarRow({ date: "2017-02-30" }), reversed),
    ];

    // Act
    const result = feed(agg, lines);

    // Assess
    expect(result.rows).toMatchObject({ ok: 1, corrupt: 1 });
    expect(result.missingByColumn).toEqual({ ...zeroByColumn(), size: 1, browser: 1 });
    expect(result.invalidByColumn).toEqual({ ...zeroByColumn(), cik: 1 });
    expect(result.serverErrors).toMatchObject({ code: [503], time: ["07:00:00"], extention: ["-index.htm"] });
    expect(result.quarantine[0]!.detail).toBe('date "2017-02-30" is not a valid YYYY-MM-DD date');
  });

  it("keeps the earliest and latest date and time of the ok rows, and none when there is no ok row", () => {
    // Prepare
    const lines = [
      row({ date: "2017-06-15", time: "12:00:00" }),
      row({ date: "2017-06-01", time: "23:59:59" }),
      row({ date: "2017-06-30", time: "00:00:01" }),
      row({ date: "2017-06-20", time: "06:00:00" }),
      row({ date: "2016-01-01", time: "00:00:00", code: "x" }),
    ];

    // Act
    const result = feed(aggregator(), lines);
    const none = feed(aggregator(), [row({ code: "x" })]);

    // Assess
    expect(result).toMatchObject({
      minDate: "2017-06-01",
      maxDate: "2017-06-30",
      minTime: "00:00:01",
      maxTime: "23:59:59",
    });
    expect(none).toMatchObject({ minDate: null, maxDate: null, minTime: null, maxTime: null });
  });

  it("records 5xx rows, and only those, as server errors by hour", () => {
    // Prepare
    const lines = [
      row({ code: "499", time: "01:00:00" }),
      row({ code: "500", time: "01:59:59", extention: "a.htm" }),
      row({ code: "599", time: "02:00:00", extention: "" }),
      row({ code: "600", time: "03:00:00" }),
    ];

    // Act
    const result = feed(aggregator(), lines);

    // Assess
    expect(result.serverErrors).toMatchObject({
      offset: [100, 200],
      date: ["2017-06-30", "2017-06-30"],
      time: ["01:59:59", "02:00:00"],
      extention: ["a.htm", null],
      code: [500, 599],
    });
    expect(result.errorsByHour[1]).toBe(1);
    expect(result.errorsByHour[2]).toBe(1);
    expect(result.errorsByHour.reduce((a, b) => a + b, 0)).toBe(2);
  });

  it("types a date or time like the row before's only when its bytes are the same, byte for byte", () => {
    // Prepare: rows a byte apart from the row before, each in a buffer that goes on past it.
    const lines = [
      row({ date: "2017-06-30", time: "12:00:00", code: "500" }),
      row({ date: "2017-06-3x", time: "12:00:00", code: "500" }),
      row({ date: "2017-06-30", time: "12:00:0x", code: "500" }),
      row({ date: "2017-06-29", time: "12:00:01", code: "500" }),
      row({ date: "2017-06-30", time: "12:00:00", code: "500" }),
      row({ date: "2017-02-29", time: "12:00:00", code: "500" }),
      row({ date: "2016-02-29", time: "2:00:00", code: "500" }),
      row({ date: "2016-02-29", time: "2:00:0a", code: "500" }),
      row({ date: "2016-02-29", time: "02:00:00", code: "500" }),
      row({ date: "2016-03-29", time: "03:00:00", code: "500" }),
    ];
    const agg = aggregator();
    lines.forEach((line, i) => {
      const bytes = utf8(`${line}\n${line}`);
      agg.line(bytes, 0, line.length, 100 * i);
    });

    // Act
    const result = agg.result();

    // Assess
    expect(result.serverErrors.date).toEqual([
      "2017-06-30",
      "2017-06-29",
      "2017-06-30",
      "2016-02-29",
      "2016-02-29",
      "2016-03-29",
    ]);
    expect(result.serverErrors.time).toEqual([
      "12:00:00",
      "12:00:01",
      "12:00:00",
      "02:00:00",
      "02:00:00",
      "03:00:00",
    ]);
    expect(result.serverErrors.offset).toEqual([0, 300, 400, 600, 800, 900]);
    expect(result.corruptByReason).toEqual({ bad_date: 2, bad_time: 2 });
  });

  it("counts the IPs of ok rows only", () => {
    // Act
    const result = feed(aggregator(), [
      row({ ip: "1.1.1.a" }),
      row({ ip: "1.1.1.a" }),
      row({ ip: "2.2.2.b", code: "x" }),
    ]);

    // Assess
    expect(result.rows.ok).toBe(2);
    expect(ipCountList(result.ipCounts)).toEqual({ ip: ["1.1.1.a"], count: [2] });
  });
  it("gives the same aggregate when its IP counter spills runs (a table of 8 slots) as with room for every IP", () => {
    // Prepare: 300 distinct IPs, each in 1 to 3 rows spread over the range, long ones included.
    const ips = Array.from({ length: 300 }, (_, i) =>
      i % 7 === 0 ? `2001:db8:${i}:ffff:ffff:ffff:ffff:1` : `10.${i % 11}.${i}.abc`,
    );
    const lines = [1, 2, 3].flatMap((round) =>
      ips.filter((_, i) => i % round === 0).map((ip) => row({ ip, code: round === 2 ? "503.0" : "200.0" })),
    );
    const bounded = new ByteCounter(0, 8);

    // Act
    const spilling = new RecordAggregator({ ...aggregatorOptions, ipCounter: bounded });
    feedLines(spilling, lines);
    const runs = bounded.spilledRuns;
    const spilled = spilling.result();
    const whole = feed(aggregator(), lines);

    // Assess
    expect(runs).toBeGreaterThan(10);
    expect(ipCountList(spilled.ipCounts)).toEqual(ipCountList(whole.ipCounts));
    expect(ipCountList(whole.ipCounts).ip).toHaveLength(300);
    expect({ ...spilled, ipCounts: null }).toEqual({ ...whole, ipCounts: null });
  });

  it("quarantines only the record's own bytes when the buffer holds more around it", () => {
    // Prepare: the record sits between other bytes of the buffer.
    const line = row({ code: "x" });
    const bytes = utf8(`before\n${line}\nafter`);
    const agg = aggregator();

    // Act
    agg.line(bytes, 7, 7 + line.length, 7);
    const result = agg.result();

    // Assess
    expect(result.quarantine[0]).toMatchObject({ raw: line, offset: 7, lineInRange: 0 });
  });

  it("keeps a U+FEFF that starts a quarantined record or a server error's extention", () => {
    // Prepare
    const lines = [`\uFEFF${row({ code: "x" })}`, row({ code: "503", extention: "\uFEFFa.htm" })];

    // Act
    const result = feed(aggregator(), lines);

    // Assess
    expect(result.quarantine[0]!.raw).toBe(lines[0]);
    expect(result.serverErrors.extention).toEqual(["\uFEFFa.htm"]);
  });
  it("measures a line that starts inside its buffer by its own bytes", () => {
    // Prepare: a blank line and a record exactly at the limit, both after other bytes.
    const line = row();
    const bytes = utf8(`before\n\n${line}`);
    const agg = aggregator({ maxRecordBytes: line.length });

    // Act
    agg.line(bytes, 7, 7, 7);
    agg.line(bytes, 8, 8 + line.length, 8);
    const result = agg.result();

    // Assess
    expect(result.rows).toMatchObject({ blank: 1, read: 1, ok: 1, corrupt: 0 });
  });
});
