/**
 * The pipeline exactly as `cdk synth` defines it, for running locally: the state machine's ASL
 * (references resolved to local stand-ins), each Lambda's environment, and the bucket names.
 * Bundling is skipped: locally the handlers run from source.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import cdkJson from "../../cdk.json";
import {
  type CfnReference,
  type CfnTemplate,
  definitionFromTemplate,
  placeholderValues,
} from "../../infra/asl-definition";
import { createPipelineApp } from "../../infra/pipeline-app";
import { REPO, sourcesHash } from "../bundles.mjs";

/** The Lambdas a run invokes, by their construct id in the stack. */
export const PIPELINE_FUNCTIONS = ["Inflate", "Plan", "Map", "Reduce"] as const;
export type PipelineFunction = (typeof PIPELINE_FUNCTIONS)[number];

export interface AslDefinition {
  readonly StartAt: string;
  readonly States: Record<string, Record<string, unknown>>;
  readonly [key: string]: unknown;
}

export interface SynthesizedPipeline {
  readonly definition: AslDefinition;
  /** The state machine's own ARN, as the definition refers to it (backfill child runs). */
  readonly stateMachineArn: string;
  readonly functions: Readonly<
    Record<
      PipelineFunction,
      {
        readonly arn: string;
        readonly environment: Record<string, string>;
        /** The function's Timeout: the local Lambdas end a call running longer. */
        readonly timeoutSeconds: number;
      }
    >
  >;
  readonly buckets: { readonly input: string; readonly work: string; readonly output: string };
}

type Resource = { Type: string; Properties?: Record<string, unknown>; Metadata?: Record<string, unknown> };

export function synthesizePipeline(context: Record<string, string> = {}): SynthesizedPipeline {
  const outdir = mkdtempSync(join(tmpdir(), "edgar-etl-synth-"));
  try {
    const { app, stack } = createPipelineApp({
      // Skips esbuild bundling: the local runner imports the handlers from source.
      context: {
        ...cdkJson.context,
        "aws:cdk:bundling-stacks": [],
        "aws:cdk:enable-path-metadata": true,
        ...context,
      },
      outdir,
    });
    const template = app.synth().getStackByName(stack.stackName).template as CfnTemplate;
    const resources = template.Resources as Record<string, Resource>;
    const resolve = (value: unknown): string =>
      typeof value === "string" ? value : placeholderValues(value as CfnReference, template);
    const definition = definitionFromTemplate(template) as unknown as AslDefinition;

    const functions = {} as Record<
      PipelineFunction,
      { arn: string; environment: Record<string, string>; timeoutSeconds: number }
    >;
    for (const [logicalId, r] of Object.entries(resources)) {
      if (r.Type !== "AWS::Lambda::Function") continue;
      const path = String(r.Metadata?.["aws:cdk:path"] ?? "");
      const name = PIPELINE_FUNCTIONS.find((f) => path === `${stack.stackName}/${f}/Function/Resource`);
      if (name === undefined) continue;
      const variables = ((r.Properties?.Environment as { Variables?: Record<string, unknown> })?.Variables ??
        {}) as Record<string, unknown>;
      functions[name] = {
        arn: placeholderValues({ "Fn::GetAtt": [logicalId, "Arn"] }, template),
        environment: Object.fromEntries(Object.entries(variables).map(([k, v]) => [k, resolve(v)])),
        // Lambda's default when the template sets none.
        timeoutSeconds: Number(r.Properties?.Timeout ?? 3),
      };
    }
    for (const f of PIPELINE_FUNCTIONS) {
      if (functions[f] === undefined) throw new Error(`the synthesized stack has no ${f} function`);
    }
    const bucketOf = (prefix: string) => {
      const id = Object.keys(resources).find(
        (k) => resources[k]!.Type === "AWS::S3::Bucket" && k.startsWith(prefix),
      );
      if (id === undefined) throw new Error(`the synthesized stack has no bucket ${prefix}*`);
      return placeholderValues({ Ref: id }, template);
    };
    const machineName = JSON.stringify(definition).match(
      /arn:aws:states:[^:]*:[^:]*:stateMachine:[A-Za-z0-9_-]+/,
    )?.[0];
    return {
      definition,
      stateMachineArn: machineName ?? "arn:aws:states:us-east-1:123456789012:stateMachine:local",
      functions,
      buckets: {
        input: bucketOf("BucketsInput"),
        work: bucketOf("BucketsWork"),
        output: bucketOf("BucketsOutput"),
      },
    };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/** Everything a synthesis depends on: the infra sources, cdk.json, the locked packages, the context. */
function synthesisInputsHash(context: Record<string, string>): string {
  return sourcesHash(
    ["infra", "functions"],
    ["cdk.json", "package-lock.json", "local/aws/synthesized-pipeline.ts"],
    JSON.stringify(context),
  );
}

/**
 * synthesizePipeline, remembered in `.cache/` until the infra, the functions, cdk.json, the
 * locked packages or the context change: a synthesis takes seconds, a cached one milliseconds.
 */
export function cachedSynthesizedPipeline(context: Record<string, string> = {}): SynthesizedPipeline {
  const dir = join(REPO, ".cache", "synth");
  const path = join(dir, `pipeline-${synthesisInputsHash(context)}.json`);
  if (existsSync(path)) return JSON.parse(readFileSync(path, "utf8")) as SynthesizedPipeline;
  const pipeline = synthesizePipeline(context);
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${path}.${process.pid}.tmp`, JSON.stringify(pipeline));
  renameSync(`${path}.${process.pid}.tmp`, path);
  return pipeline;
}
