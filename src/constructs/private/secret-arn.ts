import { ArnFormat, Stack } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/** The ARN of a Secrets Manager secret in the scope's account and region, from a `secretPolicyNames` resource name. */
export function secretArn(scope: IConstruct, resourceName: string): string {
  return Stack.of(scope).formatArn({ service: 'secretsmanager', resource: 'secret', resourceName, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
}
