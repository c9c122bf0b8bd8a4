/** The reducer and mappers refuse a plan document of another format or version. */
import { describe, expect, it } from "vitest";
import { PLAN_FORMAT } from "../../functions/contracts";
import { ContractError } from "../../functions/core/errors";
import { putJson } from "../../functions/core/object-store";
import { readPlan } from "../../functions/stages/read-plan";
import { memoryObjectStore } from "../helpers/memory-object-store";

const PLAN = { format: PLAN_FORMAT, version: 1, runId: "r1", ranges: [] };

describe("readPlan", () => {
  it("reads a plan of this format and version", async () => {
    const work = memoryObjectStore("mem://work");
    await putJson(work, "runs/r1/plan.json", PLAN);
    expect(await readPlan(work, "runs/r1/plan.json")).toEqual(PLAN);
  });

  it.each([
    ["a newer version", { ...PLAN, version: 2 }, /version 2; this code reads edgar-etl\/plan version 1/],
    ["version as a string", { ...PLAN, version: "1" }, /version "1"/],
    ["no version", { format: PLAN_FORMAT, runId: "r1" }, /version undefined/],
    ["another format", { ...PLAN, format: "edgar-etl/partial" }, /has format "edgar-etl\/partial"/],
    ["no format", { version: 1 }, /has format undefined/],
  ])("refuses %s, naming the document and what to do", async (_what, doc, message) => {
    const work = memoryObjectStore("mem://work");
    await putJson(work, "runs/r1/plan.json", doc);
    const read = readPlan(work, "runs/r1/plan.json");
    await expect(read).rejects.toThrow(ContractError);
    await expect(readPlan(work, "runs/r1/plan.json")).rejects.toThrow(message);
    await expect(readPlan(work, "runs/r1/plan.json")).rejects.toThrow(
      /^plan mem:\/\/work\/runs\/r1\/plan.json .*: start a new execution$/,
    );
  });
});
