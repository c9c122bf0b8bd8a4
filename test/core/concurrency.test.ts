/** forEachConcurrently: every index once, never more than the limit in flight, failures passed on. */
import { describe, expect, it } from "vitest";
import { forEachConcurrently } from "../../functions/core/concurrency";

/** Work that records each index and how many calls were in flight at once; each call waits a tick. */
function recordingWork() {
  const indexes: number[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const work = async (index: number) => {
    indexes.push(index);
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    await new Promise((resolve) => setTimeout(resolve, 1));
    inFlight--;
  };
  return { work, indexes, maxInFlight: () => maxInFlight };
}

describe("forEachConcurrently", () => {
  it("runs every index in [0, count) exactly once, in order of start, `limit` at a time", async () => {
    const { work, indexes, maxInFlight } = recordingWork();

    await forEachConcurrently(10, 3, work);

    expect(indexes).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(maxInFlight()).toBe(3);
  });

  it("runs all at once when the limit is above the count", async () => {
    const { work, indexes, maxInFlight } = recordingWork();

    await forEachConcurrently(4, 16, work);

    expect(indexes).toEqual([0, 1, 2, 3]);
    expect(maxInFlight()).toBe(4);
  });

  it("still makes progress, one at a time, with a limit below one", async () => {
    const { work, indexes, maxInFlight } = recordingWork();

    await forEachConcurrently(3, 0, work);

    expect(indexes).toEqual([0, 1, 2]);
    expect(maxInFlight()).toBe(1);
  });

  it("calls nothing for a count of zero", async () => {
    const { work, indexes } = recordingWork();

    await forEachConcurrently(0, 4, work);

    expect(indexes).toEqual([]);
  });

  it("waits for the last call before resolving", async () => {
    const finished: number[] = [];

    await forEachConcurrently(5, 2, async (index) => {
      await new Promise((resolve) => setTimeout(resolve, 5 - index));
      finished.push(index);
    });

    expect([...finished].sort()).toEqual([0, 1, 2, 3, 4]);
  });

  it("rejects with the work's error", async () => {
    const failure = new Error("range 2 failed");

    await expect(
      forEachConcurrently(5, 2, async (index) => {
        if (index === 2) throw failure;
      }),
    ).rejects.toBe(failure);
  });
});
