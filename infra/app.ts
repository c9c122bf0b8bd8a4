/** Entry point for the CDK CLI (cdk.json `app`): `npx cdk synth`, `npx cdk deploy -c key=value`. */
import { createPipelineApp } from "./pipeline-app";

createPipelineApp().app.synth();
