/**
 * `npm run lint:template`: AWS's CloudFormation linter (cfn-lint, which also validates the state
 * machine's definition) over the synthesized template, with cdk.json's context and no bundling.
 * Errors fail; warnings are shown. Without cfn-lint on the PATH it says so and succeeds, so a
 * machine without Python can still run CI.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import cdkJson from "../cdk.json";
import { createPipelineApp } from "./pipeline-app";

/** cfn-lint's exit code is a bit mask: 2 errors, 4 warnings, 8 informational; others: it failed. */
const CFN_LINT_ERRORS = 2;
const CFN_LINT_FINDINGS = 2 | 4 | 8;

function lintTemplate(): number {
  const version = spawnSync("cfn-lint", ["--version"], { encoding: "utf8" });
  if (version.error !== undefined) {
    console.log("lint:template: cfn-lint is not on the PATH (pip install cfn-lint); template not linted");
    return 0;
  }
  const outdir = mkdtempSync(join(tmpdir(), "edgar-etl-lint-"));
  try {
    const { app, stack } = createPipelineApp({
      context: { ...cdkJson.context, "aws:cdk:bundling-stacks": [] },
      outdir,
    });
    const templatePath = join(outdir, app.synth().getStackByName(stack.stackName).templateFile);
    const lint = spawnSync("cfn-lint", [templatePath], { encoding: "utf8" });
    process.stdout.write(lint.stdout);
    process.stderr.write(lint.stderr);
    const code = lint.status ?? 1;
    const failed = (code & CFN_LINT_ERRORS) !== 0 || (code & ~CFN_LINT_FINDINGS) !== 0;
    console.log(
      `lint:template: ${version.stdout.trim()} on ${stack.stackName}: ${failed ? "errors (see above)" : code === 0 ? "clean" : "no errors, warnings above"}`,
    );
    return failed ? 1 : 0;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

process.exitCode = lintTemplate();
