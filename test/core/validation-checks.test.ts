/**
 * The configured data checks: each fails exactly when its limit is crossed (bounds inclusive),
 * and one failed check fails the run's status.
 */
import { describe, expect, it } from "vitest";
import type { ChecksConfig } from "../../functions/contracts";
import { type Aggregate, emptyAggregate } from "../../functions/core/aggregate";
import { buildValidation, evaluateChecks } from "../../functions/core/validation";

function aggregate(ok: number, corrupt = 0, missing: Partial<Aggregate["missingByColumn"]> = {}): Aggregate {
  const agg = emptyAggregate();
  agg.rows = { read: ok + corrupt, ok, corrupt, sampledOut: 0, blank: 0 };
  Object.assign(agg.missingByColumn, missing);
  return agg;
}
const check = (checks: ChecksConfig, agg: Aggregate, name: string) =>
  evaluateChecks(checks, agg).find((c) => c.name === name);

describe("evaluateChecks", () => {
  it.each([
    [{ min: 10, max: 20 }, 9, "fail"],
    [{ min: 10, max: 20 }, 10, "pass"],
    [{ min: 10, max: 20 }, 20, "pass"],
    [{ min: 10, max: 20 }, 21, "fail"],
    [{ min: 1 }, 0, "fail"],
    [{ min: 1 }, 1_000_000, "pass"],
    [{ max: 5 }, 0, "pass"],
    [{ max: 5 }, 6, "fail"],
  ] as const)("rowCount %j with %i ok rows: %s", (rowCount, ok, status) => {
    const result = check({ rowCount }, aggregate(ok, 3), "rowCount");
    expect(result).toMatchObject({ status, observed: ok });
  });

  it("rowCount states its limit, open bounds included", () => {
    expect(check({ rowCount: { min: 10, max: 20 } }, aggregate(1), "rowCount")?.limit).toBe("10..20");
    expect(check({ rowCount: { min: 3 } }, aggregate(1), "rowCount")?.limit).toBe("3..∞");
    expect(check({ rowCount: { max: 3 } }, aggregate(1), "rowCount")?.limit).toBe("0..3");
  });

  it("rowCount counts ok rows only, not corrupt or sampled-out ones", () => {
    expect(check({ rowCount: { min: 5 } }, aggregate(4, 10), "rowCount")?.status).toBe("fail");
  });

  it.each([
    [0.25, 25, "pass"],
    [0.25, 26, "fail"],
    [0, 0, "pass"],
    [0, 1, "fail"],
  ] as const)(
    "maxMissingShare.browser <= %d with %i of 100 ok rows missing: %s",
    (limit, missing, status) => {
      const result = check(
        { maxMissingShare: { browser: limit } },
        aggregate(100, 7, { browser: missing }),
        "maxMissingShare.browser",
      );
      expect(result).toEqual({
        name: "maxMissingShare.browser",
        status,
        observed: missing / 100,
        limit: `<= ${limit}`,
      });
    },
  );

  it("maxMissingShare: one check per configured column, each on its own column's count", () => {
    const results = evaluateChecks(
      { maxMissingShare: { browser: 0.1, cik: 0.5 } },
      aggregate(10, 0, { browser: 2, cik: 2 }),
    ).filter((c) => c.name.startsWith("maxMissingShare."));
    expect(results.map((c) => [c.name, c.status])).toEqual([
      ["maxMissingShare.browser", "fail"],
      ["maxMissingShare.cik", "pass"],
    ]);
  });

  it("maxMissingShare with no ok rows observes 0, not NaN", () => {
    expect(check({ maxMissingShare: { browser: 0 } }, aggregate(0), "maxMissingShare.browser")).toMatchObject(
      {
        status: "pass",
        observed: 0,
      },
    );
  });

  it.each([
    [0.01, 99, 1, "pass"],
    [0.01, 98, 2, "fail"],
    [0, 5, 0, "pass"],
    [0, 5, 1, "fail"],
  ] as const)("maxCorruptShare <= %d with %i ok and %i corrupt: %s", (limit, ok, corrupt, status) => {
    const result = check({ maxCorruptShare: limit }, aggregate(ok, corrupt), "maxCorruptShare");
    expect(result).toMatchObject({ status, observed: corrupt / (ok + corrupt) });
  });

  it("maxCorruptShare over no parsed records observes 0", () => {
    expect(check({ maxCorruptShare: 0 }, aggregate(0), "maxCorruptShare")).toMatchObject({
      status: "pass",
      observed: 0,
    });
  });

  it.each([
    [0, "fail"],
    [1, "pass"],
  ] as const)("requireRows with %i ok rows: %s", (ok, status) => {
    expect(check({ requireRows: true }, aggregate(ok, 4), "requireRows")).toEqual({
      name: "requireRows",
      status,
      observed: ok,
      limit: "> 0",
    });
    expect(check({ requireRows: false }, aggregate(ok), "requireRows")).toBeUndefined();
  });

  it.each([
    [0, 0, "pass"],
    [0, 1, "fail"],
    [0.5, 5, "pass"],
    [0.5, 6, "fail"],
  ] as const)(
    "maxRequiredMissingShare <= %d with %i of 10 parsed records missing a required value: %s",
    (limit, missing, status) => {
      const agg = aggregate(10 - missing, missing);
      agg.corruptByReason.missing_required = missing;
      agg.corruptByReason.bad_date = 3;
      expect(check({ maxRequiredMissingShare: limit }, agg, "maxRequiredMissingShare")).toEqual({
        name: "maxRequiredMissingShare",
        status,
        observed: missing / 10,
        limit: `<= ${limit}`,
      });
    },
  );

  it("no configured check yields no results", () => {
    expect(
      evaluateChecks({}, aggregate(0, 100)).filter((c) => ["rowCount", "maxCorruptShare"].includes(c.name)),
    ).toEqual([]);
  });
});

describe("buildValidation", () => {
  const plan = (checks: ChecksConfig) =>
    ({
      runId: "r1",
      source: { key: "k.csv", size: 10, stem: "k" },
      header: { columns: ["ip"], positions: [], dataStart: 3 },
      options: { checks },
    }) as unknown as Parameters<typeof buildValidation>[0];
  const coverage = { ranges: 0, dataStart: 3, size: 10, spans: [] };

  it("fails the run when any one check fails, passes it when all pass or none is configured", () => {
    const agg = aggregate(5, 1);
    expect(buildValidation(plan({}), agg, coverage, []).status).toBe("pass");
    expect(buildValidation(plan({ rowCount: { min: 5 } }), agg, coverage, []).status).toBe("pass");
    const failed = buildValidation(plan({ rowCount: { min: 5 }, maxCorruptShare: 0 }), agg, coverage, []);
    expect(failed.status).toBe("fail");
    expect(failed.checks.map((c) => [c.name, c.status])).toEqual([
      ["rowCount", "pass"],
      ["maxCorruptShare", "fail"],
    ]);
    expect(failed).toMatchObject({ runId: "r1", rows: agg.rows, coverage: { ...coverage, proven: true } });
  });

  it("is a versioned document with the fields, date and time ranges of the run", () => {
    const agg = aggregate(2);
    Object.assign(agg, {
      minDate: "2017-06-30",
      maxDate: "2017-07-01",
      minTime: "00:00:01",
      maxTime: "23:59:59",
    });
    const report = buildValidation(plan({}), agg, coverage, [{ ip: "1.2.3.a", count: 2 }]);
    expect(report).toMatchObject({
      format: "edgar-etl/validation",
      version: 1,
      fields: { present: ["ip"] },
      date: { min: "2017-06-30", max: "2017-07-01" },
      time: { min: "00:00:01", max: "23:59:59" },
      topIps: [{ ip: "1.2.3.a", count: 2 }],
    });
    expect(report.fields.expected).toContain("extention");
    expect(report.fields.expected).toHaveLength(15);
  });
});
