import { AspectPriority, Aspects, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { IConstruct } from 'constructs';
import { AcknowledgeFindings, FindingReason } from './iam-findings';
import { NagRuleSuppression } from './nag-metadata';

export type { FindingReason } from './iam-findings';

/**
 * Reasons by AwsSolutions rule. IAM4 and IAM5 are reported once per managed policy or
 * wildcard, so they take the findings each reason covers; a finding no reason covers is
 * still reported. Every other rule is acknowledged whole.
 */
export type Reasons = {
  readonly IAM4?: readonly FindingReason[];
  readonly IAM5?: readonly FindingReason[];
  readonly [rule: string]: string | readonly FindingReason[] | undefined;
};

/**
 * Acknowledge cdk-nag AwsSolutions findings on one construct (and its children), each with
 * the reason it is right here, for both majors of cdk-nag: CDK's own Validations API (what
 * cdk-nag 3 reads) and the `cdk_nag` metadata of each CfnResource (what cdk-nag 2's
 * NagSuppressions write and its checks read). The library does not depend on cdk-nag;
 * test/security runs the checks of both.
 *
 * The aspects that write per-finding acknowledgements and cdk-nag 2's metadata are mutating
 * (they run before a cdk-nag 2 aspect added at the default priority).
 */
export function acknowledge(scope: IConstruct, reasons: Reasons): void {
  for (const [rule, reason] of Object.entries(reasons)) {
    if (reason === undefined) continue;
    if (typeof reason === 'string') {
      Validations.of(scope).acknowledge({ id: `AwsSolutions::AwsSolutions-${rule}`, reason });
      Aspects.of(scope).add(new NagRuleSuppression(rule, reason), { priority: AspectPriority.MUTATING });
    } else if (rule === 'IAM4' || rule === 'IAM5') {
      Aspects.of(scope).add(new AcknowledgeFindings(rule, reason), { priority: AspectPriority.MUTATING });
    } else {
      throw new Error(`acknowledge: only IAM4 and IAM5 are reported per finding, not ${rule}`);
    }
  }
}

/** The table's own indexes (`<table>/index/*`), granted by Table.grantReadData and grantReadWriteData. */
export function tableIndexes(table: { readonly tableArn: string }): FindingReason {
  return { reason: 'the table\'s own indexes (<table>/index/*), granted by Table.grant*Data', resources: [`${table.tableArn}/index/*`] };
}

/** aws-cdk-lib's read-write grant on a table encrypted with a customer key (TableProps.encryptionKey): on that key only. */
export const TABLE_KEY_ACTIONS: FindingReason = {
  reason: 'the table\'s own KMS key: Table.grantReadWriteData grants kms:GenerateDataKey* and kms:ReEncrypt* on that key only',
  actions: ['kms:GenerateDataKey*', 'kms:ReEncrypt*'],
};

/** The managed policy every Lambda function's role gets from aws-cdk-lib. */
export const LAMBDA_BASIC_EXECUTION: FindingReason = {
  reason: 'AWSLambdaBasicExecutionRole only lets the function write its own CloudWatch logs',
  managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSLambdaBasicExecutionRole').managedPolicyArn],
};

/** Shared reasons for what every Trellis function has (its role, its runtime, its read-write grant on the table). */
export function functionReasons(table: { readonly tableArn: string }) {
  return {
    IAM4: [LAMBDA_BASIC_EXECUTION],
    L1: 'Node.js 22 is the runtime the handlers are bundled (esbuild target node22) and tested for',
    IAM5: [tableIndexes(table), TABLE_KEY_ACTIONS],
  };
}
