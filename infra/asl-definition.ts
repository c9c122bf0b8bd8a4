/**
 * The state machine's Amazon States Language definition, taken from a synthesized template:
 * CloudFormation builds the DefinitionString with Fn::Join over references only a deployment
 * can fill in (function ARNs, bucket names, region, account); stand-ins fill them here, so the
 * definition can be validated, inspected or run by a local ASL interpreter.
 */

export interface CfnTemplate {
  readonly Resources: Readonly<
    Record<string, { readonly Type: string; readonly Properties?: Record<string, unknown> }>
  >;
}

/** A Ref or Fn::GetAtt inside the DefinitionString's Fn::Join. */
export type CfnReference = { readonly Ref: string } | { readonly "Fn::GetAtt": readonly [string, string] };

/** Replaces one reference by the value a deployment would give it. */
export type ReferenceResolver = (reference: CfnReference, template: CfnTemplate) => string;

const PSEUDO_PARAMETERS: Readonly<Record<string, string>> = {
  "AWS::Partition": "aws",
  "AWS::Region": "us-east-1",
  "AWS::AccountId": "123456789012",
  "AWS::URLSuffix": "amazonaws.com",
};

/**
 * Stand-ins shaped like the real values: `arn:aws:lambda:us-east-1:123456789012:function:<logical id>`
 * for a function's Arn, the lower-cased logical id for a bucket's name.
 */
export const placeholderValues: ReferenceResolver = (reference, template) => {
  if ("Ref" in reference) {
    const pseudo = PSEUDO_PARAMETERS[reference.Ref];
    if (pseudo !== undefined) return pseudo;
    const type = template.Resources[reference.Ref]?.Type;
    if (type === "AWS::S3::Bucket") return reference.Ref.toLowerCase();
    throw new Error(
      `no stand-in for {"Ref": "${reference.Ref}"} (a ${type ?? "unknown resource"}); pass a resolver`,
    );
  }
  const [logicalId, attribute] = reference["Fn::GetAtt"];
  const type = template.Resources[logicalId]?.Type;
  if (type === "AWS::Lambda::Function" && attribute === "Arn") {
    return `arn:aws:lambda:us-east-1:123456789012:function:${logicalId}`;
  }
  throw new Error(
    `no stand-in for {"Fn::GetAtt": ["${logicalId}", "${attribute}"]} (a ${type ?? "unknown resource"}); pass a resolver`,
  );
};

/** The definition of the template's one state machine, with every reference resolved. */
export function definitionFromTemplate(
  template: CfnTemplate,
  resolve: ReferenceResolver = placeholderValues,
): Record<string, unknown> {
  const machines = Object.entries(template.Resources).filter(
    ([, r]) => r.Type === "AWS::StepFunctions::StateMachine",
  );
  if (machines.length !== 1) {
    throw new Error(
      `expected exactly one AWS::StepFunctions::StateMachine in the template, found ${machines.length}`,
    );
  }
  const definition = machines[0]![1].Properties?.DefinitionString as
    | string
    | { readonly "Fn::Join": readonly [string, readonly (string | CfnReference)[]] };
  const text =
    typeof definition === "string"
      ? definition
      : definition["Fn::Join"][1]
          .map((part) => (typeof part === "string" ? part : resolve(part, template)))
          .join(definition["Fn::Join"][0]);
  return JSON.parse(text) as Record<string, unknown>;
}
