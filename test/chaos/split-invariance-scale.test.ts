/**
 * Split invariance at scale: many random (range size, chunk size) splits of generated and real
 * EDGAR files, 1-byte ranges included on small ones, each compared with the single-range run.
 * `npm test` tries a sample; `npm run test:chaos` (EDGAR_CHAOS=1) tries well over 1,000.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { generatedDay } from "../helpers/generated-day";
import { realCsv } from "../helpers/real-fixtures";
import { runCore, splitIndependent } from "../helpers/run-core";

const CHAOS = process.env.EDGAR_CHAOS === "1";
const SPLITS_PER_INPUT = CHAOS ? 160 : 6;
/** The first `bytes` of a real file, cut after a line break: small enough for 1-byte ranges. */
function realSlice(stem: string, bytes: number): Uint8Array {
  const all = realCsv(stem);
  const cut = all.indexOf(10, Math.min(bytes, all.length - 1));
  return all.subarray(0, cut < 0 ? all.length : cut + 1);
}

const inputs: { name: string; bytes: Uint8Array }[] = [
  { name: "generated seed 1 (8 KB)", bytes: generatedDay(8_000, 1) },
  { name: "generated seed 2 (9 KB)", bytes: generatedDay(9_000, 2) },
  ...(CHAOS ? [{ name: "generated seed 3 (300 KB)", bytes: generatedDay(300_000, 3) }] : []),
  ...(
    [
      ["log20170630-head25k", 9_000],
      ["dirty-log20030222-integers-crlf-hmmss", 9_000],
      ["dirty-log20170630-integers-sci-cik", 9_000],
      ["dirty-log20050101-all-quoted", 9_000],
      ["log20170514-244rows-no-final-newline", 30_000],
      ...(CHAOS ? ([["log20030301", 400_000]] as const) : []),
    ] as const
  ).map(([stem, bytes]) => {
    const slice = realSlice(stem, bytes);
    return { name: `${stem}.csv (first ${slice.length} bytes)`, bytes: slice };
  }),
];

const tried = { splits: 0, differences: 0 };

describe("split invariance at scale", () => {
  it.each(inputs)(
    "$name: every split equals the single-range run",
    { timeout: 900_000 },
    async ({ bytes }) => {
      // Prepare
      const reference = await runCore({ bytes });
      const expected = { ...splitIndependent(reference.merged), tables: reference.tables };
      const dataBytes = bytes.length - reference.plan.header.dataStart;
      // Small files get tiny ranges; on larger ones a range holds at least a few records.
      const small = dataBytes <= 10_000;
      const splits = fc.sample(
        fc.record({
          rangeBytes: fc.oneof(
            fc.integer({ min: 1, max: small ? 64 : 4096 }),
            fc.integer({ min: small ? 1 : 1024, max: Math.max(1, dataBytes) }),
          ),
          chunkBytes: fc.oneof(fc.integer({ min: 1, max: 16 }), fc.integer({ min: 17, max: 1 << 16 })),
        }),
        { numRuns: small ? SPLITS_PER_INPUT : Math.ceil(SPLITS_PER_INPUT / 4), seed: bytes.length },
      );
      // A 1-byte split whenever the file is small enough to make 1-byte ranges.
      if (small) splits.unshift({ rangeBytes: 1, chunkBytes: 1 });

      for (const split of splits) {
        // Act
        const run = await runCore({ bytes, ...split });

        // Assess
        tried.splits++;
        const actual = { ...splitIndependent(run.merged), tables: run.tables };
        try {
          expect(actual).toEqual(expected);
        } catch (e) {
          tried.differences++;
          throw new Error(
            `split ${JSON.stringify(split)} differs from one range: ${(e as Error).message.slice(0, 400)}`,
          );
        }
      }
      expect(reference.merged.rows.read).toBeGreaterThan(10);
    },
  );

  it("reports what was tried", () => {
    console.info(
      `split invariance: ${tried.splits} splits over ${inputs.length} inputs, ${tried.differences} differences`,
    );
    expect(tried.differences).toBe(0);
    expect(tried.splits).toBeGreaterThanOrEqual(CHAOS ? 1000 : inputs.length * SPLITS_PER_INPUT);
  });
});
