/**
 * The local Lambda pool's one environment: the synthesized functions' own, without the
 * variables a process reads at its start (which the pool's threads cannot apply).
 */
import { describe, expect, it } from "vitest";
import { REDUCE_MALLOC_TUNABLES } from "../../infra/lambda-environment";
import { poolEnvironment } from "../../local/aws/lambda-worker-pool";
import { type SynthesizedPipeline, synthesizePipeline } from "../../local/aws/synthesized-pipeline";

type Functions = SynthesizedPipeline["functions"];

const withEnvironments = (environments: Record<keyof Functions, Record<string, string>>): Functions =>
  Object.fromEntries(
    Object.entries(environments).map(([name, environment]) => [
      name,
      { arn: `arn:aws:lambda:us-east-1:000000000000:function:${name}`, environment, timeoutSeconds: 60 },
    ]),
  ) as unknown as Functions;

describe("poolEnvironment", () => {
  it("the synthesized functions differ only in the reduce function's malloc tunables, which it leaves out", () => {
    const { functions } = synthesizePipeline();
    expect(functions.Reduce.environment.GLIBC_TUNABLES).toBe(REDUCE_MALLOC_TUNABLES);
    const environment = poolEnvironment(functions);
    expect(environment.GLIBC_TUNABLES).toBeUndefined();
    expect(environment.WORK_BUCKET).toBe(functions.Map.environment.WORK_BUCKET);
  });

  it("leaves out NODE_OPTIONS and GLIBC_TUNABLES, and keeps what the functions share", () => {
    const shared = { WORK_BUCKET: "work", OUTPUT_BUCKET: "out" };
    const environment = poolEnvironment(
      withEnvironments({
        Inflate: shared,
        Plan: { ...shared, NODE_OPTIONS: "--max-semi-space-size=4" },
        Map: shared,
        Reduce: { ...shared, GLIBC_TUNABLES: REDUCE_MALLOC_TUNABLES },
      }),
    );
    expect(environment).toEqual(shared);
  });

  it("refuses functions whose other variables differ: one pool cannot serve them", () => {
    const shared = { WORK_BUCKET: "work" };
    expect(() =>
      poolEnvironment(
        withEnvironments({
          Inflate: shared,
          Plan: shared,
          Map: { ...shared, IP_TABLE_SLOTS: "2048" },
          Reduce: shared,
        }),
      ),
    ).toThrow("the pipeline's functions have different environments; one pool cannot serve them all");
  });
});
