/**
 * Each synthesized Lambda bundle loads in plain Node.js (outside the project, as in /var/task)
 * and its handler answers a malformed event with the handler's own validation error: proof that
 * the module, its bundled dependencies (parquetjs-lite's generated code included) and its
 * config loaded. And the Parquet encoder, bundled as they bundle it, writes files DuckDB reads.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { beforeAll, describe, expect, it, vi } from "vitest";
import cdkJson from "../../cdk.json";
import { createPipelineApp } from "../../infra/pipeline-app";
import { REPO } from "../../local/bundles.mjs";
import { openDuck, sqlText } from "../helpers/duckdb";

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

describe("Parquet encoding as the Lambdas bundle it", () => {
  it("writes, from a minified CommonJS bundle loaded outside the project, a file DuckDB reads", async () => {
    // Prepare: encodeParquet and its packages (parquetjs-lite, hysnappy's embedded WebAssembly)
    // bundled with the Lambdas' esbuild options, loaded from a directory with no node_modules
    const dir = mkdtempSync(join(tmpdir(), "edgar-etl-parquet-bundle-"));
    const entry = join(dir, "entry.ts");
    writeFileSync(
      entry,
      [
        `import { encodeParquet } from ${JSON.stringify(join(REPO, "functions/core/parquet.ts"))};`,
        `import { utf8Values } from ${JSON.stringify(join(REPO, "functions/core/tables.ts"))};`,
        "export const encode = (ips: string[]) => encodeParquet({ name: 't', rowCount: ips.length, columns: [",
        "  { name: 'ip', type: 'UTF8', values: utf8Values(ips) },",
        "  { name: 'n', type: 'INT64', values: Float64Array.from(ips, (_, i) => 2 ** 40 + i) },",
        "] }, 1000);",
        "",
      ].join("\n"),
    );
    await build({
      entryPoints: [entry],
      outfile: join(dir, "bundle", "index.js"),
      bundle: true,
      platform: "node",
      format: "cjs",
      target: "node20",
      minify: true,
      keepNames: true,
      logLevel: "silent",
    });
    const { encode } = require(join(dir, "bundle", "index.js")) as {
      encode: (ips: string[]) => Promise<Uint8Array>;
    };
    const ips = Array.from({ length: 2500 }, (_, i) => `10.${i % 256}.${i >> 8}.abc`);

    // Act
    const file = join(dir, "t.parquet");
    writeFileSync(file, await encode(ips));

    // Assess
    const duck = await openDuck();
    try {
      const rows = await duck.rows(`select ip, n::double as n from read_parquet(${sqlText(file)})`);
      expect(rows).toEqual(ips.map((ip, i) => ({ ip, n: 2 ** 40 + i })));
      const codecs = await duck.rows(`select distinct compression from parquet_metadata(${sqlText(file)})`);
      expect(codecs).toEqual([{ compression: "SNAPPY" }]);
    } finally {
      duck.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
