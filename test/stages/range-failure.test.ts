/**
 * Finding the failed range in a Distributed Map's results, shaped as ResultWriter writes them
 * (Transformation NONE), in an in-memory work store. (test/reduce/range-failure.test.ts runs the
 * reduce handler on them through S3.)
 */
import { describe, expect, it } from "vitest";
import { findRangeFailure, firstRangeFailure } from "../../functions/stages/range-failure";
import { memoryObjectStore } from "../helpers/memory-object-store";

const TIMEOUT_CAUSE = "RequestId: 1 Error: Task timed out after 300.00 seconds";

/** A failed child execution whose input is range `index`'s RangeTask, as JSON text. */
function failedChild(index: number, error: unknown, cause: unknown) {
  return {
    Input: JSON.stringify({ version: 1, runId: "r1", planKey: "runs/r1/plan.json", index }),
    Error: error,
    Cause: cause,
  };
}

function lambdaCause(errorMessage: string) {
  return JSON.stringify({ errorType: "InputRejectedError", errorMessage, trace: ["at …"] });
}

describe("firstRangeFailure", () => {
  it("answers the lowest range, the Lambda error's message as the cause, and how many others failed", () => {
    const failure = firstRangeFailure([
      failedChild(12, "Sandbox.Timedout", TIMEOUT_CAUSE),
      failedChild(3, "InputRejectedError", lambdaCause("s3://input/a.csv changed during the run")),
      failedChild(7, "Sandbox.Timedout", TIMEOUT_CAUSE),
    ]);

    expect(failure).toEqual({
      error: "InputRejectedError",
      cause: "range 3 (and 2 more ranges) failed: s3://input/a.csv changed during the run",
    });
  });

  it("names no others when one range failed, and shows a plain-text cause as it is", () => {
    expect(firstRangeFailure([failedChild(4, "Sandbox.Timedout", TIMEOUT_CAUSE)])).toEqual({
      error: "Sandbox.Timedout",
      cause: `range 4 failed: ${TIMEOUT_CAUSE}`,
    });
  });

  it("shows a JSON cause without an errorMessage string as it is", () => {
    const cause = JSON.stringify({ errorType: "X", errorMessage: 5 });

    expect(firstRangeFailure([failedChild(0, "X", cause)])?.cause).toBe(`range 0 failed: ${cause}`);
    expect(firstRangeFailure([failedChild(0, "X", "null")])?.cause).toBe("range 0 failed: null");
  });

  it("fills in an error and a cause the result does not record", () => {
    expect(firstRangeFailure([failedChild(2, undefined, null)])).toEqual({
      error: "RangeFailed",
      cause: "range 2 failed: no cause recorded",
    });
    expect(firstRangeFailure([failedChild(2, "", "")])).toEqual({
      error: "RangeFailed",
      cause: "range 2 failed: no cause recorded",
    });
  });

  it("shows an error or cause that is not text as text", () => {
    expect(firstRangeFailure([failedChild(1, 42, 17)])).toEqual({ error: "42", cause: "range 1 failed: 17" });
  });

  it("reads the range index from an input given as an object, too", () => {
    const failure = firstRangeFailure([
      { Input: { version: 1, index: 9 }, Error: "E9", Cause: "c9" },
      failedChild(10, "E10", "c10"),
    ]);

    expect(failure).toEqual({ error: "E9", cause: "range 9 (and 1 more ranges) failed: c9" });
  });

  it.each([
    ["no input", undefined],
    ["a null input", null],
    ["input that is not JSON", "{not json"],
    ["input that is JSON null", "null"],
    ["a fractional index", JSON.stringify({ index: 1.5 })],
    ["an index given as text", JSON.stringify({ index: "1" })],
  ])("is undefined when the only result has %s", (_, input) => {
    expect(firstRangeFailure([{ Input: input, Error: "E", Cause: "C" }])).toBeUndefined();
  });

  it("skips results that name no range and answers the one that does", () => {
    expect(
      firstRangeFailure([{ Input: "{not json", Error: "E0", Cause: "C0" }, failedChild(5, "E5", "C5")]),
    ).toEqual({ error: "E5", cause: "range 5 failed: C5" });
  });

  it("is undefined for no results", () => {
    expect(firstRangeFailure([])).toBeUndefined();
  });
});

describe("findRangeFailure", () => {
  const request = {
    runId: "r1",
    resultsPrefix: "runs/r1/map-run",
    error: "States.ExceedToleratedFailureThreshold",
    cause: "The specified tolerated failure threshold was exceeded",
  };

  function storeWith(files: Record<string, unknown>) {
    const store = memoryObjectStore("work");
    for (const [key, doc] of Object.entries(files)) store.objects.set(key, Buffer.from(JSON.stringify(doc)));
    return store;
  }

  it("reads every FAILED_<n>.json under the prefix, and only those", async () => {
    const store = storeWith({
      "runs/r1/map-run/m1/manifest.json": [failedChild(0, "Manifest", "not a result file")],
      "runs/r1/map-run/m1/SUCCEEDED_0.json": [failedChild(1, "Succeeded", "not a failure file")],
      "runs/r1/map-run/m1/FAILED_0.json": [failedChild(8, "E8", "C8")],
      "runs/r1/map-run/m1/FAILED_1.json": [failedChild(6, "E6", "C6")],
      "runs/r1/map-run/m1/FAILED_12.json": [failedChild(9, "E9", "C9")],
      "runs/r1/map-run/m1/FAILED_1.json.bak": [failedChild(2, "Backup", "not a result file")],
      "runs/r1/map-run-other/m2/FAILED_0.json": [failedChild(4, "OtherRun", "another prefix")],
    });

    expect(await findRangeFailure(store, request)).toEqual({
      error: "E6",
      cause: "range 6 (and 2 more ranges) failed: C6",
    });
  });

  it("reads a results file again when its first read comes cut short", async () => {
    const store = storeWith({ "runs/r1/map-run/m1/FAILED_0.json": [failedChild(3, "E3", "C3")] });
    let reads = 0;
    const flaky = {
      ...store,
      async get(key: string) {
        const body = await store.get(key);
        return reads++ === 0 ? body.subarray(0, body.length - 5) : body;
      },
    };

    expect(await findRangeFailure(flaky, request)).toEqual({ error: "E3", cause: "range 3 failed: C3" });
    expect(reads).toBe(2);
  });

  it("takes the prefix with or without its trailing slash", async () => {
    const store = storeWith({ "runs/r1/map-run/m1/FAILED_0.json": [failedChild(3, "E3", "C3")] });

    expect(await findRangeFailure(store, { ...request, resultsPrefix: "runs/r1/map-run/" })).toEqual({
      error: "E3",
      cause: "range 3 failed: C3",
    });
  });

  it("answers the Map's own error and cause when no result file names a failed range", async () => {
    const store = storeWith({
      "runs/r1/map-run/m1/FAILED_0.json": { not: "an array" },
      "runs/r1/map-run/m1/FAILED_1.json": [{ Input: "{}", Error: "E", Cause: "C" }],
    });

    expect(await findRangeFailure(store, request)).toEqual({ error: request.error, cause: request.cause });
  });
});
