/**
 * Acknowledging cdk-nag's IAM5 (wildcard) findings one resource at a time. cdk-nag v3 names each
 * finding after the flattened resource ARN (`Resource::<BucketsWork1234.Arn>/runs/*`); the id is
 * computed here from the very ARN expression that was granted, so it cannot drift from the grant,
 * and a new wildcard elsewhere in the same policy still fails synthesis.
 */
import { Stack, Validations } from "aws-cdk-lib";
import type * as iam from "aws-cdk-lib/aws-iam";
import { flattenCfnReference } from "cdk-nag/lib/utils/flatten-cfn-reference.js";
import { Construct, type IConstruct } from "constructs";

export function wildcardResourceFinding(scope: IConstruct, resourceArn: string): string {
  return `AwsSolutions-IAM5[Resource::${flattenCfnReference(Stack.of(scope).resolve(resourceArn))}]`;
}

/** Acknowledges the wildcard findings of `resourceArns` on `scope` (a role, policy or function). */
export function acknowledgeWildcardResources(
  scope: IConstruct,
  resourceArns: readonly string[],
  reason: string,
): void {
  for (const arn of resourceArns) {
    Validations.of(scope).acknowledge({ id: wildcardResourceFinding(scope, arn), reason });
  }
}

/** The construct that holds a grantee's policy (its role), to acknowledge findings on. */
export function policyHolder(grantee: iam.IGrantable): IConstruct {
  const principal = grantee.grantPrincipal;
  if (!Construct.isConstruct(principal)) {
    throw new Error(`expected a role defined in this app to acknowledge findings on, got ${principal}`);
  }
  return principal;
}

/** Every wildcard resource in a policy CDK generated whole for one purpose, acknowledged with it. */
export function acknowledgeGeneratedPolicy(policy: iam.Policy, reason: string): void {
  const document = Stack.of(policy).resolve(policy.document.toJSON()) as {
    Statement?: { Resource?: unknown }[];
  };
  const resources = (document.Statement ?? []).flatMap((s) =>
    Array.isArray(s.Resource) ? s.Resource : s.Resource === undefined ? [] : [s.Resource],
  );
  for (const flat of resources.map(flattenCfnReference).filter((r) => r.includes("*"))) {
    Validations.of(policy).acknowledge({ id: `AwsSolutions-IAM5[Resource::${flat}]`, reason });
  }
}
