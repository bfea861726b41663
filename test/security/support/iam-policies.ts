import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';

/** A synthesized template (Template.toJSON()). */
export type TemplateJson = { readonly Resources: Record<string, { Type: string; Properties?: any }> };

/** One Allow or Deny statement with the resource it was found on, its actions and resources as plain strings. */
export interface FoundStatement {
  /** Logical id of the AWS::IAM::Policy, ::ManagedPolicy or ::Role that holds it. */
  readonly holder: string;
  /** Logical ids of the roles it applies to. */
  readonly roles: readonly string[];
  readonly effect: string;
  readonly actions: readonly string[];
  readonly resources: readonly string[];
  /** The Condition block as written (values resolved to text by arnText). */
  readonly conditions: Record<string, Record<string, unknown>>;
}

/** Every IAM statement of a template: policies, managed policies and roles' inline policies. */
export function iamStatements(template: TemplateJson): FoundStatement[] {
  const found: FoundStatement[] = [];
  for (const [id, resource] of Object.entries(template.Resources)) {
    const props = resource.Properties ?? {};
    const roles = (props.Roles ?? []).map(arnText);
    if (resource.Type === 'AWS::IAM::Policy' || resource.Type === 'AWS::IAM::ManagedPolicy') {
      found.push(...statementsOf(id, roles, props.PolicyDocument));
    } else if (resource.Type === 'AWS::IAM::Role') {
      for (const policy of props.Policies ?? []) found.push(...statementsOf(id, [`<${id}>`], policy.PolicyDocument));
    }
  }
  return found;
}

/** The statements that apply to one role (by its construct), from any policy attached to it. */
export function statementsOfRole(template: TemplateJson, role: iam.IRole): FoundStatement[] {
  const cfnRole = role.node.defaultChild as iam.CfnRole;
  const ref = `<${Stack.of(role).resolve(cfnRole.logicalId)}>`;
  return iamStatements(template).filter(statement => statement.roles.includes(ref));
}

function statementsOf(holder: string, roles: string[], document: any): FoundStatement[] {
  return (document?.Statement ?? []).map((statement: any) => ({
    holder,
    roles,
    effect: statement.Effect,
    actions: [].concat(statement.Action ?? []),
    resources: [].concat(statement.Resource ?? []).map(arnText),
    conditions: Object.fromEntries(Object.entries(statement.Condition ?? {}).map(([operator, values]) =>
      [operator, Object.fromEntries(Object.entries(values as Record<string, unknown>).map(([key, value]) =>
        [key, Array.isArray(value) ? value.map(arnText) : arnText(value)]))])),
  }));
}

/**
 * A CloudFormation value as the text IAM would see, for the partition `aws`: joins concatenated,
 * `AWS::Partition` substituted, other references kept as `<LogicalId>` or `<LogicalId.Attribute>`
 * (never matching an ARN by accident).
 */
export function arnText(value: unknown): string {
  if (typeof value === 'string') return value;
  const node = value as Record<string, any>;
  if (node?.['Fn::Join']) return (node['Fn::Join'][1] as unknown[]).map(arnText).join(node['Fn::Join'][0]);
  if (node?.Ref === 'AWS::Partition') return 'aws';
  if (node?.Ref) return `<${node.Ref}>`;
  if (node?.['Fn::GetAtt']) return `<${node['Fn::GetAtt'].join('.')}>`;
  return JSON.stringify(value);
}
