import { Validations } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/**
 * Acknowledge cdk-nag AwsSolutions findings on one construct (and its children), each with
 * the reason it is right here. Uses CDK's own Validations API, so the library does not
 * depend on cdk-nag; test/security runs the checks.
 */
export function acknowledge(scope: IConstruct, reasons: Record<string, string>): void {
  for (const [rule, reason] of Object.entries(reasons)) {
    Validations.of(scope).acknowledge({ id: `AwsSolutions::AwsSolutions-${rule}`, reason });
  }
}

/** Shared reasons for what every Trellis function has. */
export const FUNCTION_REASONS = {
  IAM4: 'AWSLambdaBasicExecutionRole only lets the function write its own CloudWatch logs',
  L1: 'Node.js 22 is the runtime the handlers are bundled (esbuild target node22) and tested for',
  IAM5: 'wildcards are the table\'s own index ARNs (<table>/index/*), granted by Table.grantReadWriteData',
};

/** Why granting build runs needs wildcards (BuildServer.grantRunBuilds), for the functions that get it. */
export const RUN_BUILDS_WILDCARDS = 'tasks of this cluster only (task ids are not known in advance)';
