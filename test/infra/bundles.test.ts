/**
 * Each synthesized Lambda bundle loads in plain Node.js (outside the project, as in /var/task)
 * and its handler answers a malformed event with the handler's own validation error: proof that
 * the module, its bundled dependencies (parquetjs-lite's generated code included) and its
 * config loaded.
 */
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it, vi } from "vitest";
import cdkJson from "../../cdk.json";
import { createPipelineApp } from "../../infra/pipeline-app";

const require = createRequire(import.meta.url);

describe("the synthesized Lambda bundles", () => {
  const bundles = new Map<string, string>();

  beforeAll(() => {
    const outdir = mkdtempSync(join(tmpdir(), "edgar-etl-cdk-"));
    const { app, stack } = createPipelineApp({ context: cdkJson.context, outdir });
    const template = app.synth().getStackByName(stack.stackName).template as {
      Resources: Record<
        string,
        { Type: string; Properties: { Description: string; Code: { S3Key: string } } }
      >;
    };
    for (const fn of Object.values(template.Resources).filter((r) => r.Type === "AWS::Lambda::Function")) {
      const assetDir = join(outdir, `asset.${fn.Properties.Code.S3Key.replace(/\.zip$/, "")}`);
      bundles.set(fn.Properties.Description, join(assetDir, "index.js"));
    }
    vi.stubEnv("AWS_REGION", "us-east-1");
    vi.stubEnv("WORK_BUCKET", "work");
    vi.stubEnv("OUTPUT_BUCKET", "output");
    vi.stubEnv("STATE_MACHINE_ARN", "arn:aws:states:us-east-1:123456789012:stateMachine:EdgarEtl-pipeline");
  });

  function loadHandler(description: RegExp): (event: unknown) => Promise<unknown> {
    const [, path] = [...bundles].find(([d]) => description.test(d))!;
    expect(existsSync(path), path).toBe(true);
    const { handler } = require(path) as { handler: (event: unknown) => Promise<unknown> };
    // A bundle that opened with "use strict" would put parquetjs-lite's sloppy code in strict mode.
    expect(readFileSync(path, "utf8").slice(0, 200)).not.toContain('"use strict"');
    return handler;
  }

  it.each([
    [/^Inflates/, "ConfigError", /^inflate input: "runId" must be a non-empty string; expected /],
    [/^Validates/, "ConfigError", /^plan input: "runId" must be a non-empty string; expected /],
    [/^Parses one byte range/, "ConfigError", /^map input: "version" must be 1; expected a RangeTask/],
    [/^Merges/, "ConfigError", /^reduce input: "planKey" must be a string; expected .*; got \{\}; /],
    [
      /^Starts one pipeline execution/,
      "TriggerEventError",
      /^trigger input: "source" must be "aws.s3"; expected an EventBridge event/,
    ],
  ])("%s loads and rejects an empty event with its own %s", async (description, errorName, message) => {
    const handler = loadHandler(description);

    const error = await handler({}).then(
      () => undefined,
      (e: Error) => e,
    );

    expect(error?.message).toMatch(message);
    // keepNames: the class name survives minification, and Step Functions shows it as the error.
    expect(error?.name).toBe(errorName);
  });
});
