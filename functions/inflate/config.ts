/** The inflate Lambda's own setting, read from the environment once per container. */
import { DEFAULT_MAX_INFLATED_BYTES } from "../core/archive";
import { ConfigError } from "../core/errors";

/** The environment variable it reads; infra sets it from the same name. */
export const INFLATE_ENV = { maxInflatedBytes: "MAX_INFLATED_BYTES" } as const;

/** The S3 adapter's putStream uploads at most 10,000 parts of 16 MiB. */
export const MAX_STAGED_BYTES = 16 * 1024 * 1024 * 10_000;

export interface InflateConfig {
  /** Inflating more than this from one archive fails the run (zip bombs). */
  readonly maxInflatedBytes: number;
}

export function readInflateConfig(env: NodeJS.ProcessEnv = process.env): InflateConfig {
  const raw = env[INFLATE_ENV.maxInflatedBytes];
  if (raw === undefined || raw === "") return { maxInflatedBytes: DEFAULT_MAX_INFLATED_BYTES };
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_STAGED_BYTES) {
    throw new ConfigError(
      `environment variable ${INFLATE_ENV.maxInflatedBytes} must be a whole number of bytes from 1 to ${MAX_STAGED_BYTES}, e.g. ${DEFAULT_MAX_INFLATED_BYTES}; got ${JSON.stringify(raw)}`,
    );
  }
  return { maxInflatedBytes: n };
}
