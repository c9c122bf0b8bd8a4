/** The plan stage: header checked before anything is written; the plan and the Map's items. */
import { describe, expect, it } from "vitest";
import { DEFAULT_RUN_OPTIONS, type Plan, type RangeTask } from "../../functions/contracts";
import { memoryByteSource } from "../../functions/core/byte-source";
import { InputRejectedError } from "../../functions/core/errors";
import { planRun } from "../../functions/stages/plan-stage";
import { csvFile, csvLine, EDGAR_HEADER, edgarRow } from "../helpers/edgar-csv";
import { memoryObjectStore } from "../helpers/memory-object-store";

const json = (bytes: Uint8Array | undefined) => JSON.parse(Buffer.from(bytes!).toString("utf8"));

describe("planRun", () => {
  it("writes the plan and one task per range, and returns pointers and counts", async () => {
    // Prepare
    const bytes = csvFile(Array.from({ length: 50 }, () => csvLine(edgarRow())));
    const work = memoryObjectStore();
    const now = new Date("2024-05-01T10:00:00.000Z");

    // Act
    const result = await planRun({
      runId: "r1",
      source: memoryByteSource(bytes, "s3://in/incoming/2017/log.csv"),
      location: { bucket: "in", key: "incoming/2017/log.csv", etag: '"e"' },
      options: { ...DEFAULT_RUN_OPTIONS, rangeBytes: 1000 },
      work,
      now,
    });

    // Assess
    const dataBytes = bytes.length - EDGAR_HEADER.length - 1;
    expect(result).toEqual({
      runId: "r1",
      planKey: "runs/r1/plan.json",
      tasksKey: "runs/r1/tasks.json",
      rangeCount: Math.ceil(dataBytes / 1000),
      sourceBytes: bytes.length,
    });
    const plan = json(work.objects.get("runs/r1/plan.json")) as Plan;
    expect(plan).toMatchObject({
      format: "edgar-etl/plan",
      version: 1,
      runId: "r1",
      plannedAt: "2024-05-01T10:00:00.000Z",
      source: { bucket: "in", key: "incoming/2017/log.csv", etag: '"e"', size: bytes.length, stem: "log" },
      header: { dataStart: EDGAR_HEADER.length + 1 },
    });
    expect(plan.ranges[0]).toEqual({
      index: 0,
      start: EDGAR_HEADER.length + 1,
      end: EDGAR_HEADER.length + 1001,
    });
    expect(plan.ranges.at(-1)!.end).toBe(bytes.length);
    const tasks = json(work.objects.get("runs/r1/tasks.json")) as RangeTask[];
    expect(tasks).toEqual(
      plan.ranges.map((r) => ({ version: 1, runId: "r1", planKey: "runs/r1/plan.json", index: r.index })),
    );
  });

  it("a wrong header fails before anything is written", async () => {
    const work = memoryObjectStore();
    const act = planRun({
      runId: "r2",
      source: memoryByteSource(Buffer.from("a,b,c\n1,2,3\n"), "s3://in/bad.csv"),
      location: { bucket: "in", key: "bad.csv" },
      options: DEFAULT_RUN_OPTIONS,
      work,
    });
    await expect(act).rejects.toThrow(InputRejectedError);
    expect(work.objects.size).toBe(0);
  });

  it("a header-only object: a plan with no ranges and no tasks", async () => {
    const work = memoryObjectStore();
    const result = await planRun({
      runId: "r3",
      source: memoryByteSource(csvFile([]), "s3://in/empty.csv"),
      location: { key: "empty.csv" },
      options: DEFAULT_RUN_OPTIONS,
      work,
    });
    expect(result.rangeCount).toBe(0);
    expect(json(work.objects.get("runs/r3/tasks.json"))).toEqual([]);
  });

  it("a CSV staged from an archive is named, in messages and the plan, for the archive and its member", async () => {
    const archive = {
      format: "zip" as const,
      bucket: "in",
      key: "incoming/2017/day.zip",
      size: 10,
      member: "log20170630.csv",
    };
    const staged = { bucket: "work", key: "runs/r4/staged.csv" };
    const work = memoryObjectStore();
    await expect(
      planRun({
        runId: "r4",
        source: memoryByteSource(Buffer.from("a,b\n"), "s3://work/runs/r4/staged.csv"),
        location: staged,
        archive,
        options: DEFAULT_RUN_OPTIONS,
        work,
      }),
    ).rejects.toThrow(/^s3:\/\/in\/incoming\/2017\/day.zip \(log20170630.csv\): header does not match/);
    await expect(
      planRun({
        runId: "r4",
        source: memoryByteSource(Buffer.from("a,b\n"), "staged"),
        location: staged,
        archive: { ...archive, bucket: undefined },
        options: DEFAULT_RUN_OPTIONS,
        work,
      }),
    ).rejects.toThrow(/^incoming\/2017\/day.zip \(log20170630.csv\): header does not match/);

    const bytes = csvFile([csvLine(edgarRow())]);
    await planRun({
      runId: "r5",
      source: memoryByteSource(bytes, "staged"),
      location: staged,
      archive,
      options: DEFAULT_RUN_OPTIONS,
      work,
    });
    const plan = json(work.objects.get("runs/r5/plan.json")) as Plan;
    expect(plan.source).toMatchObject({ ...staged, stem: "log20170630", archive });
    expect(work.types.get("runs/r5/tasks.json")).toBe("application/json");
    expect(work.types.get("runs/r5/plan.json")).toBe("application/json");
  });
});
