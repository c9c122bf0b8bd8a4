/**
 * The real EDGAR slices vendored in test/fixtures/edgar-real (their native .zip format, with
 * PROVENANCE.md): a suite that runs over real data reads them from the repository, so a fresh
 * clone (CI's) runs it over real data too, and a missing fixture fails instead of being skipped.
 */
import { join } from "node:path";
import { csvMemberOf } from "./duckdb";

export const REAL_FIXTURES_DIR = join(import.meta.dirname, "../fixtures/edgar-real");

/** The CSV inside the fixture `<stem>.zip`, e.g. realCsv("log20170630-head25k"). */
export function realCsv(stem: string): Uint8Array {
  return csvMemberOf(join(REAL_FIXTURES_DIR, `${stem}.zip`)).bytes;
}
