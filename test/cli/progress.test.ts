/**
 * Progress reporting: the plain lines written off a terminal (how often, what they say, the last
 * one), and how the emulated pipeline's Lambda invocations become ranges and bytes done.
 */
import { describe, expect, it } from "vitest";
import type { ByteRange } from "../../functions/contracts";
import { invokerReportingProgress } from "../../local/aws/run-progress";
import { describeProgress, progressDisplay, type RunProgressSnapshot } from "../../local/progress";

function fakeStream() {
  const lines: string[] = [];
  return { lines, stream: { isTTY: false, write: (s: string) => lines.push(s) > 0 } as never };
}

const at = (rangesDone: number, bytesDone: number): RunProgressSnapshot => ({
  rangesDone,
  rangesTotal: 10,
  bytesDone,
  bytesTotal: 100e6,
});

describe("describeProgress", () => {
  it("says ranges done of total, MB done of total, MB/s and the time left at that pace", () => {
    expect(describeProgress("run", at(4, 40e6), 8)).toBe(
      "run: 4/10 ranges, 40.0/100.0 MB (40 %), 5.0 MB/s, ETA 12 s",
    );
    expect(describeProgress("run", at(0, 0), 3)).toBe(
      "run: 0/10 ranges, 0.0/100.0 MB (0 %), 0.0 MB/s, ETA ?",
    );
    // Under a second in, a pace is noise: no MB/s, no ETA yet.
    expect(describeProgress("run", at(1, 10e6), 0.01)).toBe(
      "run: 1/10 ranges, 10.0/100.0 MB (10 %), - MB/s, ETA ?",
    );
    expect(describeProgress("run", at(10, 100e6), 20)).toMatch(/\(100 %\), 5\.0 MB\/s, ETA 0 s$/);
    expect(
      describeProgress("generate", { rangesDone: 0, rangesTotal: 0, bytesDone: 1e6, bytesTotal: 4e6 }, 1),
    ).toBe("generate: 1.0/4.0 MB (25 %), 1.0 MB/s, ETA 3 s");
    // Bytes unknown (a deployed run whose input size could not be read): ranges alone.
    expect(
      describeProgress("ranges", { rangesDone: 1, rangesTotal: 4, bytesDone: 0, bytesTotal: 0 }, 60),
    ).toBe("ranges: 1/4 ranges, 25 %, ETA 3 min 00 s");
  });
});

describe("progressDisplay off a terminal", () => {
  it("prints a line at most every interval, timed from the first update, and the last state on finish", () => {
    let now = 1000;
    const { lines, stream } = fakeStream();
    const display = progressDisplay({ label: "run", stream, intervalMs: 5000, now: () => now });

    display.update(at(0, 0));
    now += 4000;
    display.update(at(3, 30e6));
    expect(lines).toEqual([]);
    now += 1000;
    display.update(at(4, 40e6));
    now += 1000;
    display.update(at(5, 50e6));
    now += 1000;
    display.update(at(10, 100e6));
    display.finish();
    display.finish();

    expect(lines).toEqual([
      "run: 4/10 ranges, 40.0/100.0 MB (40 %), 8.0 MB/s, ETA 7 s\n",
      "run: 10/10 ranges, 100.0/100.0 MB (100 %), 14.3 MB/s, ETA 0 s\n",
    ]);
  });

  it("prints nothing more once stopped (a failed run leaves only its error)", () => {
    let now = 0;
    const { lines, stream } = fakeStream();
    const display = progressDisplay({ label: "run", stream, intervalMs: 5000, now: () => now });
    display.update(at(1, 10e6));
    display.stop();
    now += 10_000;
    display.update(at(2, 20e6));
    display.finish();
    expect(lines).toEqual([]);
  });
});

describe("invokerReportingProgress", () => {
  const ranges: ByteRange[] = [
    { index: 0, start: 100, end: 1100 },
    { index: 1, start: 1100, end: 2100 },
    { index: 2, start: 2100, end: 2600 },
  ];

  it("takes the ranges from the plan function's result and counts each map function's range once", async () => {
    const seen: RunProgressSnapshot[] = [];
    const invoke = invokerReportingProgress(async (arn, payload) => ({ arn, ...(payload as object) }), {
      planFunctionArn: "plan",
      mapFunctionArn: "map",
      rangesOf: async (planKey) => {
        expect(planKey).toBe("runs/r/plan.json");
        return ranges;
      },
      onProgress: (p) => seen.push(p),
    });

    await invoke("plan", { planKey: "runs/r/plan.json" });
    await invoke("map", { index: 1 });
    await invoke("map", { index: 1 });
    await invoke("reduce", { planKey: "runs/r/plan.json" });
    await invoke("map", { index: 2 });
    await invoke("map", { index: 0 });

    expect(seen).toEqual([
      { rangesDone: 0, rangesTotal: 3, bytesDone: 0, bytesTotal: 2500 },
      { rangesDone: 1, rangesTotal: 3, bytesDone: 1000, bytesTotal: 2500 },
      { rangesDone: 2, rangesTotal: 3, bytesDone: 1500, bytesTotal: 2500 },
      { rangesDone: 3, rangesTotal: 3, bytesDone: 2500, bytesTotal: 2500 },
    ]);
  });

  it("passes results and errors through unchanged", async () => {
    const invoke = invokerReportingProgress(
      async (arn) => {
        if (arn === "map") throw new Error("range 0 failed");
        return { planKey: "p" };
      },
      { planFunctionArn: "plan", mapFunctionArn: "map", rangesOf: async () => ranges, onProgress: () => {} },
    );
    expect(await invoke("plan", {})).toEqual({ planKey: "p" });
    await expect(invoke("map", { index: 0 })).rejects.toThrow("range 0 failed");
  });
});
