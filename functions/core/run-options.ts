/**
 * Run options from CLI flags or a Step Functions execution input: one validator, so a bad
 * setting fails at start with its name, what was given and what is allowed.
 */
import { type ChecksConfig, type CorruptMode, DEFAULT_RUN_OPTIONS, type RunOptions } from "../contracts";
import { ConfigError } from "./errors";
import { EDGAR_COLUMNS, type EdgarColumnName } from "./schema";

export interface RunOverrides {
  readonly rangeBytes?: unknown;
  readonly maxRecordBytes?: unknown;
  readonly mode?: unknown;
  readonly sample?: unknown;
  readonly checks?: unknown;
  readonly topN?: unknown;
}

/**
 * What a setting is called where it came from, by its path in RunOverrides (`rangeBytes`,
 * `sample.seed`, `checks.maxMissingShare`…): the CLI names its flags (`--range-bytes`). The
 * longest matching path wins; unnamed settings keep their path.
 */
export type SettingNames = Readonly<Record<string, string>>;

const MODES: readonly CorruptMode[] = ["permissive", "dropmalformed", "failfast"];

const CHECK_KEYS = [
  "requireRows",
  "rowCount",
  "maxRequiredMissingShare",
  "maxMissingShare",
  "maxCorruptShare",
] as const satisfies readonly (keyof ChecksConfig)[];

const OPTIONAL_COLUMNS: readonly EdgarColumnName[] = EDGAR_COLUMNS.filter((c) => !c.required).map(
  (c) => c.name,
);

/** Flags and `-c key=value` context arrive as text; a blank one is not 0. */
function numeric(v: unknown): unknown {
  if (typeof v !== "string") return v;
  return v.trim() === "" ? Number.NaN : Number(v);
}

class Settings {
  constructor(private readonly names: SettingNames) {}

  name(path: string): string {
    for (let p = path; p !== ""; p = p.includes(".") ? p.slice(0, p.lastIndexOf(".")) : "") {
      const named = this.names[p];
      if (named !== undefined) return named;
    }
    return path;
  }

  fail(path: string, expected: string, got: unknown): never {
    throw new ConfigError(`${this.name(path)} must be ${expected}, got ${JSON.stringify(got)}`);
  }

  wholeNumber(path: string, v: unknown, min: number): number {
    const n = numeric(v);
    if (typeof n !== "number" || !Number.isSafeInteger(n) || n < min)
      this.fail(path, `a whole number >= ${min}`, v);
    return n;
  }

  share(path: string, v: unknown): number {
    const n = numeric(v);
    if (typeof n !== "number" || !(n >= 0 && n <= 1)) this.fail(path, "a share from 0 to 1", v);
    return n;
  }

  object(path: string, v: unknown, example: string): Record<string, unknown> {
    if (typeof v !== "object" || v === null || Array.isArray(v))
      this.fail(path, `an object like ${example}`, v);
    return v as Record<string, unknown>;
  }

  /** The run's checks merged over `base`; `null` removes a check. */
  checks(v: unknown, base: ChecksConfig): ChecksConfig {
    const given = this.object("checks", v, '{"maxCorruptShare":0.01}');
    const unknown = Object.keys(given).filter((k) => !(CHECK_KEYS as readonly string[]).includes(k));
    if (unknown.length > 0) {
      this.fail(
        "checks",
        `an object with keys among ${CHECK_KEYS.join(", ")}`,
        Object.fromEntries(unknown.map((k) => [k, given[k]])),
      );
    }
    const merged: Record<string, unknown> = { ...base };
    for (const key of CHECK_KEYS) {
      if (!(key in given)) continue;
      const value = given[key];
      const path = `checks.${key}`;
      if (value === null) {
        delete merged[key];
      } else if (key === "requireRows") {
        if (typeof value !== "boolean") this.fail(path, "true or false", value);
        merged[key] = value;
      } else if (key === "rowCount") {
        merged[key] = this.rowCount(path, value);
      } else if (key === "maxMissingShare") {
        merged[key] = this.missingShares(path, value, base.maxMissingShare ?? {});
      } else {
        merged[key] = this.share(path, value);
      }
    }
    return merged as ChecksConfig;
  }

  private rowCount(path: string, v: unknown): ChecksConfig["rowCount"] {
    const given = this.object(path, v, '{"min":40000,"max":60000}');
    const extra = Object.keys(given).filter((k) => k !== "min" && k !== "max");
    if (extra.length > 0 || (given.min === undefined && given.max === undefined)) {
      this.fail(path, 'an object with "min", "max" or both', v);
    }
    const min = given.min === undefined ? undefined : this.wholeNumber(`${path}.min`, given.min, 0);
    const max = given.max === undefined ? undefined : this.wholeNumber(`${path}.max`, given.max, 0);
    if (min !== undefined && max !== undefined && min > max) this.fail(path, "a range with min <= max", v);
    return { ...(min === undefined ? {} : { min }), ...(max === undefined ? {} : { max }) };
  }

  private missingShares(
    path: string,
    v: unknown,
    base: NonNullable<ChecksConfig["maxMissingShare"]>,
  ): ChecksConfig["maxMissingShare"] {
    const given = this.object(path, v, '{"browser":0.9}');
    const merged: Record<string, number> = { ...base };
    for (const [column, share] of Object.entries(given)) {
      if (!(OPTIONAL_COLUMNS as readonly string[]).includes(column)) {
        this.fail(
          path,
          `keyed by optional columns (${OPTIONAL_COLUMNS.join(", ")}; a required column's empty value makes the record corrupt, see maxRequiredMissingShare)`,
          column,
        );
      }
      if (share === null) delete merged[column];
      else merged[column] = this.share(`${path}.${column}`, share);
    }
    return merged;
  }
}

export function resolveRunOptions(
  overrides: RunOverrides,
  base: RunOptions = DEFAULT_RUN_OPTIONS,
  names: SettingNames = {},
): RunOptions {
  const o = overrides;
  const settings: Settings = new Settings(names);
  let sample = base.sample;
  if (o.sample !== undefined && o.sample !== null) {
    const s = o.sample as { fraction?: unknown; seed?: unknown };
    const fraction = numeric(s.fraction);
    if (typeof fraction !== "number" || !(fraction > 0 && fraction <= 1)) {
      settings.fail("sample.fraction", "a number in (0, 1]", s.fraction);
    }
    const seed = s.seed === undefined ? 0 : numeric(s.seed);
    if (typeof seed !== "number" || !Number.isSafeInteger(seed))
      settings.fail("sample.seed", "an integer", s.seed);
    sample = { fraction, seed };
  }
  if (o.mode !== undefined && !MODES.includes(o.mode as CorruptMode)) {
    settings.fail("mode", `one of ${MODES.join(", ")}`, o.mode);
  }
  return {
    ...base,
    rangeBytes:
      o.rangeBytes === undefined ? base.rangeBytes : settings.wholeNumber("rangeBytes", o.rangeBytes, 1),
    maxRecordBytes:
      o.maxRecordBytes === undefined
        ? base.maxRecordBytes
        : settings.wholeNumber("maxRecordBytes", o.maxRecordBytes, 1),
    mode: (o.mode as CorruptMode | undefined) ?? base.mode,
    sample,
    checks: o.checks === undefined ? base.checks : settings.checks(o.checks, base.checks),
    topN: o.topN === undefined ? base.topN : settings.wholeNumber("topN", o.topN, 1),
  };
}
