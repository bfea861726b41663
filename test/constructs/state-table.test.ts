import { RemovalPolicy } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { newStack } from './stack-fixtures';
import { StateTable } from '../../src';

describe('StateTable', () => {
  test('on-demand, point-in-time recovery, AWS managed encryption, TTL, GSI, retained', () => {
    const stack = newStack();
    new StateTable(stack, 'Table');
    const template = Template.fromStack(stack);
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: {
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        DeletionProtectionEnabled: true,
        KeySchema: [{ AttributeName: 'PK', KeyType: 'HASH' }, { AttributeName: 'SK', KeyType: 'RANGE' }],
        GlobalSecondaryIndexes: [Match.objectLike({
          IndexName: 'GSI1',
          KeySchema: [{ AttributeName: 'GSI1PK', KeyType: 'HASH' }, { AttributeName: 'GSI1SK', KeyType: 'RANGE' }],
          Projection: { ProjectionType: 'ALL' },
        })],
      },
    });
    // No provisioned capacity anywhere: idle costs nothing.
    const table = Object.values(template.findResources('AWS::DynamoDB::Table'))[0] as any;
    expect(table.Properties.ProvisionedThroughput).toBeUndefined();
  });

  test('customer managed key', () => {
    const stack = newStack();
    const key = new kms.Key(stack, 'Key');
    new StateTable(stack, 'Table', { encryptionKey: key });
    Template.fromStack(stack).hasResourceProperties('AWS::DynamoDB::Table', {
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Key'), 'Arn'] } },
    });
  });

  test('removal policy and PITR can be changed', () => {
    const stack = newStack();
    new StateTable(stack, 'Table', { removalPolicy: RemovalPolicy.DESTROY, pointInTimeRecovery: false });
    const template = Template.fromStack(stack);
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Delete',
      Properties: Match.objectLike({
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: false },
        DeletionProtectionEnabled: false,
      }),
    });
  });

  test('grantReadData gives no write actions; grantReadWriteData does, on the table and its index', () => {
    const stack = newStack();
    const table = new StateTable(stack, 'Table');
    const reader = new iam.Role(stack, 'Reader', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    const writer = new iam.Role(stack, 'Writer', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    table.grantReadData(reader);
    table.grantReadWriteData(writer);
    const template = Template.fromStack(stack);
    const actionsOf = (roleId: string) => {
      const policies = Object.values(template.findResources('AWS::IAM::Policy')) as any[];
      const policy = policies.find(p => JSON.stringify(p.Properties.Roles).includes(roleId));
      return policy.Properties.PolicyDocument.Statement.flatMap((s: any) => [].concat(s.Action));
    };
    expect(actionsOf('Reader')).toContain('dynamodb:Query');
    expect(actionsOf('Reader')).not.toContain('dynamodb:PutItem');
    expect(actionsOf('Writer')).toEqual(expect.arrayContaining(['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:Query']));
    const policies = Object.values(template.findResources('AWS::IAM::Policy')) as any[];
    const writerResources = JSON.stringify(policies.find(p => JSON.stringify(p.Properties.Roles).includes('Writer')).Properties.PolicyDocument);
    expect(writerResources).toContain('/index/*');
  });
});
