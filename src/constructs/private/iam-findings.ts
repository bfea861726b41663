import { CfnResource, IAspect, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { IConstruct } from 'constructs';
import { addNagSuppression, checkedByNagV2 } from './nag-metadata';

/**
 * cdk-nag reports its IAM rules once per wildcard, not once per resource:
 * `AwsSolutions-IAM5[Resource::<Table.Arn>/index/*]`, `AwsSolutions-IAM4[Policy::arn:...]`.
 * A finding names a CloudFormation value flattened the way cdk-nag flattens it, so it holds
 * logical ids and pseudo parameters that are only known at synthesis. This file names those
 * findings the same way, so a construct can acknowledge exactly the wildcards it means.
 */

/** The IAM rules that cdk-nag reports per finding. */
export type FindingRule = 'IAM4' | 'IAM5';

/**
 * One reason and the findings it covers. Strings are values as they appear in the policy and
 * may hold tokens (`${table.tableArn}/index/*`); a list token is resolved as a whole. A regex
 * matches the flattened value, for grants made inside aws-cdk-lib whose values we do not hold.
 */
export interface FindingReason {
  readonly reason: string;
  /** Wildcard resources (IAM5). */
  readonly resources?: readonly string[];
  readonly resourcePatterns?: readonly RegExp[];
  /** Wildcard actions (IAM5), e.g. `s3:GetObject*`. */
  readonly actions?: readonly string[];
  /** AWS managed policy ARNs (IAM4). */
  readonly managedPolicies?: readonly string[];
}

/** Acknowledge, at synthesis, each finding of `rule` under `scope` that one of `reasons` covers; others stay reported. */
export class AcknowledgeFindings implements IAspect {
  constructor(private readonly rule: FindingRule, private readonly reasons: readonly FindingReason[]) {}

  public visit(node: IConstruct): void {
    if (!CfnResource.isCfnResource(node)) return;
    const stack = Stack.of(node);
    const covered = this.reasons.map(reason => ({ reason: reason.reason, findings: coveredFindings(stack, reason) }));
    const byReason = new Map<string, string[]>();
    for (const finding of findingsOf(node, this.rule)) {
      const match = covered.find(entry => entry.findings.some(covers => covers(finding)));
      if (!match) continue;
      Validations.of(node).acknowledge({ id: `AwsSolutions::AwsSolutions-${this.rule}[${finding}]`, reason: match.reason });
      byReason.set(match.reason, [...byReason.get(match.reason) ?? [], finding]);
    }
    // cdk-nag 2: one suppression per reason, applying to exactly the findings it covers.
    if (checkedByNagV2(node)) for (const [reason, findings] of byReason) addNagSuppression(node, this.rule, reason, findings);
  }
}

/** The findings cdk-nag reports for `rule` on one resource (AwsSolutions IAM4: managed policies, IAM5: wildcards). */
export function findingsOf(node: CfnResource, rule: FindingRule): string[] {
  const stack = Stack.of(node);
  if (rule === 'IAM4') {
    if (!(node instanceof iam.CfnRole || node instanceof iam.CfnUser || node instanceof iam.CfnGroup)) return [];
    const arns: unknown[] = stack.resolve(node.managedPolicyArns) ?? [];
    return unique(arns.map(arn => flatten(stack.resolve(arn))).filter(arn => arn.includes(':iam::aws:')).map(arn => `Policy::${arn}`));
  }
  const documents: unknown[] = [];
  if (node instanceof iam.CfnRole || node instanceof iam.CfnUser || node instanceof iam.CfnGroup) {
    const policies: any[] = stack.resolve(node.policies) ?? [];
    documents.push(...policies.map(policy => stack.resolve(stack.resolve(policy).policyDocument)));
  } else if (node instanceof iam.CfnPolicy || node instanceof iam.CfnManagedPolicy) {
    documents.push(stack.resolve(node.policyDocument));
  }
  return unique(documents.flatMap(wildcardsOf));
}

function wildcardsOf(document: any): string[] {
  const findings: string[] = [];
  for (const statement of document?.Statement ?? []) {
    if (statement.Effect !== 'Allow') continue; // cdk-nag does not report denies
    findings.push(...asArray(statement.Action).filter(action => action.includes('*')).map(action => `Action::${action}`));
    findings.push(...asArray(statement.Resource).map(flatten).filter(resource => resource.includes('*')).map(resource => `Resource::${resource}`));
  }
  return findings;
}

/** Predicates for the findings one reason covers, its token values resolved in `stack`. */
function coveredFindings(stack: Stack, reason: FindingReason): Array<(finding: string) => boolean> {
  const exact = (kind: string, values: readonly string[] | undefined) => {
    const resolved: unknown[] = values ? stack.resolve(values) : [];
    const names = new Set(resolved.map(value => `${kind}::${flatten(value)}`));
    return (finding: string) => names.has(finding);
  };
  return [
    exact('Resource', reason.resources),
    exact('Action', reason.actions),
    exact('Policy', reason.managedPolicies),
    ...(reason.resourcePatterns ?? []).map(pattern => (finding: string) =>
      finding.startsWith('Resource::') && new RegExp(pattern.source, pattern.flags.replace('g', '')).test(finding.slice('Resource::'.length))),
  ];
}

/** A CloudFormation value as one string, the way cdk-nag writes it: `<Logical.Attr>`, `<Ref>`, joins concatenated. */
export function flatten(value: unknown): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return value.replace(/\${/g, '<').replace(/}/g, '>');
  const node = value as Record<string, any>;
  if (node['Fn::Join']) {
    const [delimiter, items] = node['Fn::Join'];
    return (items as unknown[]).map(flatten).join(delimiter);
  }
  if (node['Fn::Sub']) return flatten(node['Fn::Sub']);
  if (node['Fn::GetAtt']) return `<${flatten(node['Fn::GetAtt'][0])}.${flatten(node['Fn::GetAtt'][1])}>`;
  if (node['Fn::ImportValue']) return flatten(node['Fn::ImportValue']);
  if (node.Ref) return `<${flatten(node.Ref)}>`;
  return JSON.stringify(value);
}

function asArray(value: unknown): any[] {
  return Array.isArray(value) ? value : value === undefined ? [] : [value];
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}
