/**
 * The data checks: each default and configurable check passes on data that meets it and fails,
 * with the observed value, on data that does not; run and deployment settings merge over the
 * defaults, and a bad setting is refused with its name.
 */
import { describe, expect, it } from "vitest";
import { type ChecksConfig, DEFAULT_CHECKS, DEFAULT_RUN_OPTIONS } from "../../functions/contracts";
import type { Aggregate } from "../../functions/core/aggregate";
import { ConfigError } from "../../functions/core/errors";
import { resolveRunOptions } from "../../functions/core/run-options";
import { evaluateChecks } from "../../functions/core/validation";
import { csvLine, EDGAR_HEADER, edgarRow } from "../helpers/edgar-csv";
import { runCore } from "../helpers/run-core";

const enc = new TextEncoder();

/** The merged aggregate of a CSV made of the header and `lines`, through the real core. */
async function aggregateOf(lines: readonly string[]): Promise<Aggregate> {
  const csv = `${EDGAR_HEADER}\n${lines.map((l) => `${l}\n`).join("")}`;
  return (await runCore({ bytes: enc.encode(csv), rangeBytes: 64 })).merged;
}

const ok = (overrides = {}) => csvLine(edgarRow(overrides));

function check(checks: ChecksConfig, agg: Aggregate, name: string) {
  const found = evaluateChecks(checks, agg).filter((c) => c.name === name);
  expect(found, `check ${name}`).toHaveLength(1);
  return found[0]!;
}

describe("default checks", () => {
  it("are the notebook's: rows present, no required value missing, at most 1 % corrupt", () => {
    expect(DEFAULT_RUN_OPTIONS.checks).toEqual({
      requireRows: true,
      maxRequiredMissingShare: 0,
      maxCorruptShare: 0.01,
    });
  });

  it("fail a header-only file on requireRows, observing 0 ok rows", async () => {
    const agg = await aggregateOf([]);
    const results = evaluateChecks(DEFAULT_CHECKS, agg);
    expect(results).toContainEqual({ name: "requireRows", status: "fail", observed: 0, limit: "> 0" });
    expect(results.filter((c) => c.status === "fail").map((c) => c.name)).toEqual(["requireRows"]);
  });

  it("pass a clean file, each with its observed value", async () => {
    const agg = await aggregateOf([ok(), ok({ ip: "1.2.3.abc" }), ok({ code: "503.0" })]);
    expect(evaluateChecks(DEFAULT_CHECKS, agg)).toEqual([
      { name: "requireRows", status: "pass", observed: 3, limit: "> 0" },
      { name: "maxRequiredMissingShare", status: "pass", observed: 0, limit: "<= 0" },
      { name: "maxCorruptShare", status: "pass", observed: 0, limit: "<= 0.01" },
    ]);
  });

  it("fail one record with an empty required field on maxRequiredMissingShare (its share of parsed records)", async () => {
    const lines = [ok({ time: "" }), ...Array.from({ length: 199 }, () => ok())];
    const agg = await aggregateOf(lines);
    expect(check(DEFAULT_CHECKS, agg, "maxRequiredMissingShare")).toEqual({
      name: "maxRequiredMissingShare",
      status: "fail",
      observed: 1 / 200,
      limit: "<= 0",
    });
    // 0.5 % corrupt is within the 1 % default.
    expect(check(DEFAULT_CHECKS, agg, "maxCorruptShare").status).toBe("pass");
  });

  it("fail more than 1 % corrupt records on maxCorruptShare, whatever the reason", async () => {
    const agg = await aggregateOf([ok({ date: "2017-13-01" }), ok({ code: "x" }), ...Array(98).fill(ok())]);
    expect(check(DEFAULT_CHECKS, agg, "maxCorruptShare")).toMatchObject({ status: "fail", observed: 0.02 });
    expect(check(DEFAULT_CHECKS, agg, "maxRequiredMissingShare")).toMatchObject({
      status: "pass",
      observed: 0,
    });
    const exactlyOnePercent = await aggregateOf([ok({ code: "x" }), ...Array(99).fill(ok())]);
    expect(check(DEFAULT_CHECKS, exactlyOnePercent, "maxCorruptShare")).toMatchObject({
      status: "pass",
      observed: 0.01,
    });
  });
});

describe("configurable checks", () => {
  it("rowCount passes inside its inclusive range and fails outside it, observing ok rows", async () => {
    const agg = await aggregateOf([ok(), ok(), ok(), ok({ code: "bad" })]);
    expect(check({ rowCount: { min: 3, max: 3 } }, agg, "rowCount")).toEqual({
      name: "rowCount",
      status: "pass",
      observed: 3,
      limit: "3..3",
    });
    expect(check({ rowCount: { min: 4 } }, agg, "rowCount")).toEqual({
      name: "rowCount",
      status: "fail",
      observed: 3,
      limit: "4..∞",
    });
    expect(check({ rowCount: { max: 2 } }, agg, "rowCount")).toMatchObject({ status: "fail", limit: "0..2" });
  });

  it("maxMissingShare checks each configured optional column's share of empty values among ok rows", async () => {
    const agg = await aggregateOf([ok({ browser: "mie" }), ok(), ok(), ok({ size: "" })]);
    const checks: ChecksConfig = { maxMissingShare: { browser: 0.75, size: 0.2, cik: 0 } };
    expect(evaluateChecks(checks, agg)).toEqual([
      { name: "maxMissingShare.browser", status: "pass", observed: 0.75, limit: "<= 0.75" },
      { name: "maxMissingShare.size", status: "fail", observed: 0.25, limit: "<= 0.2" },
      { name: "maxMissingShare.cik", status: "pass", observed: 0, limit: "<= 0" },
    ]);
  });

  it("only the configured checks run", async () => {
    const agg = await aggregateOf([]);
    expect(evaluateChecks({}, agg)).toEqual([]);
    expect(evaluateChecks({ requireRows: false }, agg)).toEqual([]);
  });
});

describe("check settings", () => {
  it("merge a run's checks over the defaults; null switches a default off", () => {
    const { checks } = resolveRunOptions({
      checks: { rowCount: { min: 10 }, maxCorruptShare: "0.05", requireRows: null },
    });
    expect(checks).toEqual({ maxRequiredMissingShare: 0, maxCorruptShare: 0.05, rowCount: { min: 10 } });
  });

  it("merge per-column missing shares over a deployment's, column by column", () => {
    const deployment = resolveRunOptions({ checks: { maxMissingShare: { browser: 0.9, size: 0.2 } } });
    const run = resolveRunOptions({ checks: { maxMissingShare: { size: 0.5, cik: null } } }, deployment);
    expect(run.checks).toEqual({ ...DEFAULT_CHECKS, maxMissingShare: { browser: 0.9, size: 0.5 } });
  });

  it.each([
    [{ checks: [] }, /^checks must be an object like/],
    [{ checks: { maxCorruptShare: 2 } }, /^checks\.maxCorruptShare must be a share from 0 to 1, got 2$/],
    [
      { checks: { maxCorrupt: 0.1 } },
      /^checks must be an object with keys among requireRows, .* got \{"maxCorrupt":0.1\}$/,
    ],
    [{ checks: { requireRows: "yes" } }, /^checks\.requireRows must be true or false, got "yes"$/],
    [{ checks: { rowCount: { min: 5, max: 4 } } }, /^checks\.rowCount must be a range with min <= max/],
    [{ checks: { rowCount: { min: -1 } } }, /^checks\.rowCount\.min must be a whole number >= 0, got -1$/],
    [{ checks: { rowCount: {} } }, /^checks\.rowCount must be an object with "min", "max" or both/],
    [
      { checks: { maxMissingShare: { ip: 0 } } },
      /^checks\.maxMissingShare must be keyed by optional columns .* got "ip"$/,
    ],
    [{ checks: { maxMissingShare: { browser: "" } } }, /^checks\.maxMissingShare\.browser must be a share/],
    [{ rangeBytes: "" }, /^rangeBytes must be a whole number >= 1, got ""$/],
    [{ sample: { fraction: "0.5", seed: "x" } }, /^sample\.seed must be an integer, got "x"$/],
  ])("refuse %j naming the setting", (overrides, message) => {
    expect(() => resolveRunOptions(overrides)).toThrow(ConfigError);
    expect(() => resolveRunOptions(overrides)).toThrow(message);
  });

  it("name a setting as its source calls it (the CLI's flags), the longest named path first", () => {
    const names = { rangeBytes: "--range-bytes", "checks.rowCount": "--expect-rows", checks: "--checks" };
    expect(() => resolveRunOptions({ rangeBytes: "abc" }, DEFAULT_RUN_OPTIONS, names)).toThrow(
      /^--range-bytes must be a whole number >= 1, got "abc"$/,
    );
    expect(() =>
      resolveRunOptions({ checks: { rowCount: { min: "x" } } }, DEFAULT_RUN_OPTIONS, names),
    ).toThrow(/^--expect-rows must be a whole number >= 0, got "x"$/);
    expect(() => resolveRunOptions({ checks: { maxCorruptShare: -1 } }, DEFAULT_RUN_OPTIONS, names)).toThrow(
      /^--checks must be a share from 0 to 1, got -1$/,
    );
  });
});
