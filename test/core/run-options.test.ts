/** Run options: every bad setting fails at start with its name, what was given and what is allowed. */
import { describe, expect, it } from "vitest";
import { DEFAULT_RUN_OPTIONS } from "../../functions/contracts";
import { ConfigError } from "../../functions/core/errors";
import { resolveRunOptions } from "../../functions/core/run-options";

describe("resolveRunOptions", () => {
  it("no overrides: the base options, unchanged", () => {
    expect(resolveRunOptions({})).toEqual(DEFAULT_RUN_OPTIONS);
    const base = { ...DEFAULT_RUN_OPTIONS, rangeBytes: 7, topN: 3 };
    expect(resolveRunOptions({}, base)).toEqual(base);
  });

  it("takes numbers given as text (flags, context) and as numbers", () => {
    const o = resolveRunOptions({ rangeBytes: "1048576", maxRecordBytes: 10, topN: "5", mode: "failfast" });
    expect(o).toMatchObject({ rangeBytes: 1048576, maxRecordBytes: 10, topN: 5, mode: "failfast" });
    expect(resolveRunOptions({ rangeBytes: 1, topN: 1, maxRecordBytes: 1 })).toMatchObject({
      rangeBytes: 1,
      topN: 1,
      maxRecordBytes: 1,
    });
  });

  it("sample: fraction in (0, 1], seed an integer (0 by default)", () => {
    expect(resolveRunOptions({ sample: { fraction: "0.25", seed: "42" } }).sample).toEqual({
      fraction: 0.25,
      seed: 42,
    });
    expect(resolveRunOptions({ sample: { fraction: 1 } }).sample).toEqual({ fraction: 1, seed: 0 });
    expect(resolveRunOptions({ sample: null }).sample).toBeNull();
    expect(resolveRunOptions({ sample: { fraction: 0.5, seed: -3 } }).sample).toEqual({
      fraction: 0.5,
      seed: -3,
    });
  });

  it.each([
    [{ rangeBytes: 0 }, "rangeBytes must be a whole number >= 1, got 0"],
    [{ rangeBytes: "" }, 'rangeBytes must be a whole number >= 1, got ""'],
    [{ rangeBytes: " " }, 'rangeBytes must be a whole number >= 1, got " "'],
    [{ rangeBytes: 1.5 }, "rangeBytes must be a whole number >= 1, got 1.5"],
    [{ rangeBytes: "64MiB" }, 'rangeBytes must be a whole number >= 1, got "64MiB"'],
    [{ rangeBytes: 2 ** 53 }, "rangeBytes must be a whole number >= 1, got 9007199254740992"],
    [{ maxRecordBytes: 0 }, "maxRecordBytes must be a whole number >= 1, got 0"],
    [{ topN: 0 }, "topN must be a whole number >= 1, got 0"],
    [{ topN: true }, "topN must be a whole number >= 1, got true"],
    [{ mode: "strict" }, 'mode must be one of permissive, dropmalformed, failfast, got "strict"'],
    [{ sample: { fraction: 0 } }, "sample.fraction must be a number in (0, 1], got 0"],
    [{ sample: { fraction: 1.01 } }, "sample.fraction must be a number in (0, 1], got 1.01"],
    [{ sample: { fraction: "x" } }, 'sample.fraction must be a number in (0, 1], got "x"'],
    [{ sample: {} }, "sample.fraction must be a number in (0, 1], got undefined"],
    [{ sample: { fraction: 0.5, seed: 1.5 } }, "sample.seed must be an integer, got 1.5"],
    [{ sample: { fraction: 0.5, seed: "a" } }, 'sample.seed must be an integer, got "a"'],
    [{ checks: "x" }, 'checks must be an object like {"maxCorruptShare":0.01}, got "x"'],
    [{ checks: [] }, "checks must be an object like"],
    [{ checks: null }, "checks must be an object like"],
    [
      { checks: { maxCorrupt: 1 } },
      'checks must be an object with keys among requireRows, rowCount, maxRequiredMissingShare, maxMissingShare, maxCorruptShare, got {"maxCorrupt":1}',
    ],
    [{ checks: { requireRows: "yes" } }, 'checks.requireRows must be true or false, got "yes"'],
    [{ checks: { maxCorruptShare: 1.5 } }, "checks.maxCorruptShare must be a share from 0 to 1, got 1.5"],
    [{ checks: { maxCorruptShare: -0.1 } }, "checks.maxCorruptShare must be a share from 0 to 1, got -0.1"],
    [
      { checks: { maxRequiredMissingShare: "" } },
      'checks.maxRequiredMissingShare must be a share from 0 to 1, got ""',
    ],
    [{ checks: { rowCount: {} } }, 'checks.rowCount must be an object with "min", "max" or both, got {}'],
    [
      { checks: { rowCount: { min: 1, most: 2 } } },
      'checks.rowCount must be an object with "min", "max" or both',
    ],
    [{ checks: { rowCount: { min: -1 } } }, "checks.rowCount.min must be a whole number >= 0, got -1"],
    [{ checks: { rowCount: { max: 0.5 } } }, "checks.rowCount.max must be a whole number >= 0, got 0.5"],
    [
      { checks: { rowCount: { min: 5, max: 4 } } },
      'checks.rowCount must be a range with min <= max, got {"min":5,"max":4}',
    ],
    [{ checks: { rowCount: 5 } }, 'checks.rowCount must be an object like {"min":40000,"max":60000}, got 5'],
    [
      { checks: { maxMissingShare: { ip: 0.1 } } },
      'checks.maxMissingShare must be keyed by optional columns (zone, cik, accession, extention, size, idx, norefer, noagent, find, crawler, browser; a required column\'s empty value makes the record corrupt, see maxRequiredMissingShare), got "ip"',
    ],
    [{ checks: { maxCorruptShare: " " } }, 'checks.maxCorruptShare must be a share from 0 to 1, got " "'],
    [{ checks: { maxCorruptShare: true } }, "checks.maxCorruptShare must be a share from 0 to 1, got true"],
    [{ checks: { rowCount: { min: " " } } }, 'checks.rowCount.min must be a whole number >= 0, got " "'],
    [{ sample: { fraction: true } }, "sample.fraction must be a number in (0, 1], got true"],
    [
      { checks: { maxMissingShare: { browser: 2 } } },
      "checks.maxMissingShare.browser must be a share from 0 to 1, got 2",
    ],
    [
      { checks: { maxMissingShare: 0.5 } },
      'checks.maxMissingShare must be an object like {"browser":0.9}, got 0.5',
    ],
  ] as const)("refuses %j: %s", (overrides, message) => {
    const act = () => resolveRunOptions(overrides as never);
    expect(act).toThrow(ConfigError);
    expect(act).toThrow(message);
  });

  it("names a setting as its source names it, the longest matching path first", () => {
    const names = { rangeBytes: "--range-bytes", checks: "--checks", "checks.rowCount.min": "--min-rows" };
    expect(() => resolveRunOptions({ rangeBytes: 0 }, DEFAULT_RUN_OPTIONS, names)).toThrow(
      "--range-bytes must be a whole number >= 1, got 0",
    );
    expect(() =>
      resolveRunOptions({ checks: { rowCount: { min: -1 } } }, DEFAULT_RUN_OPTIONS, names),
    ).toThrow("--min-rows must be a whole number >= 0");
    expect(() =>
      resolveRunOptions({ checks: { rowCount: { max: -1 } } }, DEFAULT_RUN_OPTIONS, names),
    ).toThrow("--checks must be a whole number >= 0");
    expect(() => resolveRunOptions({ topN: 0 }, DEFAULT_RUN_OPTIONS, names)).toThrow("topN must be");
  });

  it("a name covers whole path segments only: one for `top` does not name `topN`", () => {
    expect(() => resolveRunOptions({ topN: 0 }, DEFAULT_RUN_OPTIONS, { top: "--top", t: "-t" })).toThrow(
      /^topN must be a whole number >= 1, got 0$/,
    );
  });

  it("a share may be 0 or 1, the ends included", () => {
    expect(
      resolveRunOptions({ checks: { maxCorruptShare: 1, maxRequiredMissingShare: "0" } }).checks,
    ).toMatchObject({
      maxCorruptShare: 1,
      maxRequiredMissingShare: 0,
    });
  });

  it("a row count range holds only the bounds given", () => {
    const rowCount = (v: unknown) => resolveRunOptions({ checks: { rowCount: v } }).checks.rowCount;
    expect(rowCount({ min: 3 })).toStrictEqual({ min: 3 });
    expect(rowCount({ max: 9 })).toStrictEqual({ max: 9 });
    expect(Object.keys(rowCount({ max: 9 }) ?? {})).toEqual(["max"]);
  });

  it("merges checks over the base key by key and column by column; null removes one", () => {
    const base = {
      ...DEFAULT_RUN_OPTIONS,
      checks: { requireRows: true, maxCorruptShare: 0.01, maxMissingShare: { browser: 0.5, cik: 0.2 } },
    };
    const o = resolveRunOptions(
      {
        checks: {
          maxCorruptShare: null,
          rowCount: { min: "10" },
          maxMissingShare: { cik: null, size: "0.3" },
          requireRows: false,
          maxRequiredMissingShare: 0,
        },
      },
      base,
    );
    expect(o.checks).toEqual({
      requireRows: false,
      rowCount: { min: 10 },
      maxMissingShare: { browser: 0.5, size: 0.3 },
      maxRequiredMissingShare: 0,
    });
    expect(resolveRunOptions({ checks: {} }, base).checks).toEqual(base.checks);
    expect(resolveRunOptions({ checks: { rowCount: { max: 9 } } }, base).checks.rowCount).toEqual({ max: 9 });
    expect(resolveRunOptions({ checks: { rowCount: { min: 0, max: 0 } } }, base).checks.rowCount).toEqual({
      min: 0,
      max: 0,
    });
  });
});
