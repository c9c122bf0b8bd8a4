/**
 * Run options from CLI flags or a Step Functions execution input: one validator, so a bad
 * setting fails at start with its name, what was given and what is allowed.
 */
import { type ChecksConfig, type CorruptMode, DEFAULT_RUN_OPTIONS, type RunOptions } from "../contracts";
import { ConfigError } from "./errors";

export interface RunOverrides {
  readonly rangeBytes?: unknown;
  readonly maxRecordBytes?: unknown;
  readonly mode?: unknown;
  readonly sample?: unknown;
  readonly checks?: unknown;
  readonly topN?: unknown;
}

const MODES: readonly CorruptMode[] = ["permissive", "dropmalformed", "failfast"];

function wholeNumber(name: string, v: unknown, min: number): number {
  const n = typeof v === "string" ? Number(v) : v;
  if (typeof n !== "number" || !Number.isSafeInteger(n) || n < min) {
    throw new ConfigError(`${name} must be a whole number >= ${min}, got ${JSON.stringify(v)}`);
  }
  return n;
}

export function resolveRunOptions(
  overrides: RunOverrides,
  base: RunOptions = DEFAULT_RUN_OPTIONS,
): RunOptions {
  const o = overrides;
  let sample = base.sample;
  if (o.sample !== undefined && o.sample !== null) {
    const s = o.sample as { fraction?: unknown; seed?: unknown };
    const fraction = typeof s.fraction === "string" ? Number(s.fraction) : s.fraction;
    if (typeof fraction !== "number" || !(fraction > 0 && fraction <= 1)) {
      throw new ConfigError(`sample.fraction must be a number in (0, 1], got ${JSON.stringify(s.fraction)}`);
    }
    const seed = s.seed === undefined ? 0 : Number(s.seed);
    if (!Number.isSafeInteger(seed))
      throw new ConfigError(`sample.seed must be an integer, got ${JSON.stringify(s.seed)}`);
    sample = { fraction, seed };
  }
  if (o.mode !== undefined && !MODES.includes(o.mode as CorruptMode)) {
    throw new ConfigError(`mode must be one of ${MODES.join(", ")}, got ${JSON.stringify(o.mode)}`);
  }
  if (o.checks !== undefined && (typeof o.checks !== "object" || o.checks === null)) {
    throw new ConfigError(
      `checks must be an object like {"maxCorruptShare":0.01}, got ${JSON.stringify(o.checks)}`,
    );
  }
  return {
    ...base,
    rangeBytes: o.rangeBytes === undefined ? base.rangeBytes : wholeNumber("rangeBytes", o.rangeBytes, 1),
    maxRecordBytes:
      o.maxRecordBytes === undefined
        ? base.maxRecordBytes
        : wholeNumber("maxRecordBytes", o.maxRecordBytes, 1),
    mode: (o.mode as CorruptMode | undefined) ?? base.mode,
    sample,
    checks: (o.checks as ChecksConfig | undefined) ?? base.checks,
    topN: o.topN === undefined ? base.topN : wholeNumber("topN", o.topN, 1),
  };
}
