import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type GenerateOptions, generateEdgarDay, generateEdgarFile } from "../local/generate";

const HEADER = "ip,date,time,zone,cik,accession,extention,code,size,idx,norefer,noagent,find,crawler,browser";

function generate(options: GenerateOptions): Buffer {
  return Buffer.concat([...generateEdgarDay(options)]);
}

/** Data rows of a ~5 MB day, split into fields; shared by the shape and distribution checks. */
const sample = generate({ bytes: 5_000_000, seed: 11 }).toString("latin1");
const sampleRows = sample
  .slice(0, -1)
  .split("\n")
  .slice(1)
  .map((line) => line.split(","));
const column = (name: string): string[] => {
  const index = HEADER.split(",").indexOf(name);
  return sampleRows.map((fields) => fields[index]!);
};
const countBy = (values: readonly string[]): Map<string, number> => {
  const counts = new Map<string, number>();
  for (const value of values) {
    counts.set(value, (counts.get(value) ?? 0) + 1);
  }
  return counts;
};

describe("generateEdgarDay", () => {
  it("is deterministic per seed", () => {
    const options = { bytes: 300_000, seed: 5 };
    const first = generate(options);
    expect(generate(options).equals(first)).toBe(true);
    expect(generate({ ...options, seed: 6 }).equals(first)).toBe(false);
  });

  it("stops at the first line end at or after the target", () => {
    for (const bytes of [1, 95, 96, 97, 1_000, 12_345, 1_000_000, 4 * 1024 * 1024 + 17]) {
      const out = generate({ bytes, seed: 1 });
      const lastLineStart = out.lastIndexOf(10, out.length - 2) + 1;
      expect(out.at(-1)).toBe(10);
      expect(out.length).toBeGreaterThanOrEqual(bytes);
      expect(lastLineStart).toBeLessThan(bytes);
    }
  });

  it("returns the totals it wrote", () => {
    const blocks = generateEdgarDay({ bytes: 50_000, seed: 2 });
    let bytes = 0;
    let lines = 0;
    for (let step = blocks.next(); ; step = blocks.next()) {
      if (step.done) {
        expect(step.value).toEqual({ bytes, rows: lines - 1 });
        break;
      }
      bytes += step.value.length;
      lines += step.value.toString("latin1").split("\n").length - 1;
    }
  });

  it("rejects a size or seed that is not a safe integer", () => {
    expect(() => generate({ bytes: 0, seed: 1 })).toThrow(RangeError);
    expect(() => generate({ bytes: 1.5, seed: 1 })).toThrow(RangeError);
    expect(() => generate({ bytes: 100, seed: Number.NaN })).toThrow(RangeError);
  });

  it("writes the SEC's header, LF line endings and 15 fields per line", () => {
    expect(sample.startsWith(`${HEADER}\n`)).toBe(true);
    expect(sample.endsWith("\n")).toBe(true);
    expect(sample.includes("\r")).toBe(false);
    expect(sampleRows.every((fields) => fields.length === 15)).toBe(true);
  });

  it("writes fields in the SEC's shapes", () => {
    const shapes: Record<string, RegExp> = {
      ip: /^\d{1,3}\.\d{1,3}\.\d{1,3}\.[a-j]{3}$/,
      date: /^2017-06-30$/,
      time: /^([01]\d|2[0-3]):[0-5]\d:[0-5]\d$/,
      zone: /^0\.0$/,
      cik: /^[1-9]\d*\.0$/,
      accession: /^\d{10}-\d{2}-\d{6}$/,
      extention: /^[\w./-]+$/,
      code: /^(0|200|206|301|304|403|404|500|502|503)\.0$/,
      size: /^(\d+\.0)?$/,
      idx: /^[01]\.0$/,
      norefer: /^[01]\.0$/,
      noagent: /^[01]\.0$/,
      find: /^(\d|10)\.0$/,
      crawler: /^[01]\.0$/,
      browser: /^(|mie|win|lin|mac|saf|opr)$/,
    };
    for (const [name, shape] of Object.entries(shapes)) {
      expect(
        column(name)
          .filter((value) => !shape.test(value))
          .slice(0, 3),
        name,
      ).toEqual([]);
    }
  });

  it("runs the clock forwards through the whole day", () => {
    const times = column("time");
    expect(times.every((time, i) => i === 0 || time >= times[i - 1]!)).toBe(true);
    expect(times[0]!.startsWith("00:00:")).toBe(true);
    expect(times.at(-1)! >= "23:59:00").toBe(true);
  });

  it("has realistic status codes: mostly 200, some 503 clustered by hour, a few without status", () => {
    const codes = column("code");
    const share = (code: string) => codes.filter((c) => c === code).length / codes.length;
    expect(share("200.0")).toBeGreaterThan(0.8);
    expect(share("503.0")).toBeGreaterThan(0.003);
    expect(share("503.0")).toBeLessThan(0.015);
    expect(share("0.0")).toBeGreaterThan(0);
    for (const code of ["301.0", "304.0", "404.0", "403.0", "206.0"]) {
      expect(share(code), code).toBeGreaterThan(0);
    }

    const times = column("time");
    const errorsByHour = countBy(
      codes.flatMap((code, i) => (code === "503.0" ? [times[i]!.slice(0, 2)] : [])),
    );
    const hourly = [...errorsByHour.values()].sort((a, b) => a - b);
    expect(hourly.at(-1)!).toBeGreaterThan(2 * hourly[Math.floor(hourly.length / 2)]!);
  });

  it("flags every 404 as a crawler and leaves some 304 sizes empty", () => {
    const codes = column("code");
    const crawler = column("crawler");
    const sizes = column("size");
    expect(codes.every((code, i) => code !== "404.0" || crawler[i] === "1.0")).toBe(true);
    expect(codes.some((code, i) => code === "304.0" && sizes[i] === "")).toBe(true);
  });

  it("concentrates requests on a few IPs over a long tail", () => {
    const counts = [...countBy(column("ip")).values()].sort((a, b) => b - a);
    const top20 = counts.slice(0, 20).reduce((sum, n) => sum + n, 0);
    expect(top20 / sampleRows.length).toBeGreaterThan(0.1);
    expect(counts.length).toBeGreaterThan(1_000);
    expect(counts.filter((n) => n <= 2).length).toBeGreaterThan(counts.length / 2);
  });
});

describe("generateEdgarFile", () => {
  it("writes the same bytes as the generator and reports them", async () => {
    const directory = await mkdtemp(join(tmpdir(), "edgar-generate-"));
    try {
      const options = { bytes: 9_000_000, seed: 3 };
      const path = join(directory, "day.csv");
      const written = await generateEdgarFile(path, options);
      const content = await readFile(path);
      const expected = generate(options);
      expect(content.equals(expected)).toBe(true);
      expect(written).toEqual({
        bytes: expected.length,
        rows: expected.toString("latin1").split("\n").length - 2,
      });
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});
