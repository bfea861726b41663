import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { GSI1, GSI1_PARTITION_KEY, GSI1_SORT_KEY, PARTITION_KEY, SORT_KEY, TTL_ATTRIBUTE } from '../contract/table-schema';

/** What can be tuned of the Trellis state table. */
export interface StateTableOptions {
  /**
   * Customer managed KMS key to encrypt the table with.
   * @default - the AWS managed key for DynamoDB (`aws/dynamodb`)
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * What happens to the table (deployment history, locks) when it leaves the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * Keep 35 days of point-in-time backups.
   * @default true
   */
  readonly pointInTimeRecovery?: boolean;
}

/** Properties of the Trellis state table: its options, and whether changes are streamed. */
export interface StateTableProps extends StateTableOptions {
  /**
   * Stream every change of an item, with its old and new image (DynamoDB Streams): the GitHub
   * reporter follows deployments through it. Reading it from Lambda costs nothing.
   * @default false
   */
  readonly streamChanges?: boolean;
}

/**
 * The single DynamoDB table that holds Trellis' state: applications, environments and
 * their locks, deployments, log chunks, webhook deliveries and live connections.
 * On-demand capacity, so it costs nothing while idle.
 *
 * @example
 * const trellis = new TrellisPipeline(stack, 'Trellis', {
 *   table: { pointInTimeRecovery: true },
 * });
 * const reporting = new iam.Role(stack, 'Reporting', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
 * trellis.table.grantReadData(reporting);
 */
export class StateTable extends Construct {
  /** The underlying table. */
  public readonly table: dynamodb.ITable;
  /** Name of the table. */
  public readonly tableName: string;
  /** Name of the overloaded global secondary index (deployments by environment, subscriptions by connection). */
  public readonly indexName: string = GSI1;
  /** Attribute holding the expiry time (epoch seconds) of items that expire. */
  public readonly timeToLiveAttribute: string = TTL_ATTRIBUTE;

  constructor(scope: Construct, id: string, props: StateTableProps = {}) {
    super(scope, id);
    const table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: PARTITION_KEY, type: dynamodb.AttributeType.STRING },
      sortKey: { name: SORT_KEY, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: props.pointInTimeRecovery ?? true },
      encryption: props.encryptionKey ? dynamodb.TableEncryption.CUSTOMER_MANAGED : dynamodb.TableEncryption.AWS_MANAGED,
      encryptionKey: props.encryptionKey,
      timeToLiveAttribute: TTL_ATTRIBUTE,
      stream: props.streamChanges ? dynamodb.StreamViewType.NEW_AND_OLD_IMAGES : undefined,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      deletionProtection: (props.removalPolicy ?? RemovalPolicy.RETAIN) === RemovalPolicy.RETAIN,
    });
    table.addGlobalSecondaryIndex({
      indexName: GSI1,
      partitionKey: { name: GSI1_PARTITION_KEY, type: dynamodb.AttributeType.STRING },
      sortKey: { name: GSI1_SORT_KEY, type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.ALL,
    });
    this.table = table;
    this.tableName = table.tableName;
  }

  /**
   * @internal Stream every change of an item (old and new image) if the table does not yet, and
   * answer the stream's ARN: the notifier follows it, whenever an application with notifications is added.
   */
  public _streamChanges(): string {
    if (this.table.tableStreamArn) return this.table.tableStreamArn;
    const table = this.table.node.defaultChild as dynamodb.CfnTable;
    table.streamSpecification = { streamViewType: dynamodb.StreamViewType.NEW_AND_OLD_IMAGES };
    return table.attrStreamArn;
  }

  /** Read items and query the index. */
  public grantReadData(grantee: iam.IGrantable): iam.Grant {
    return this.table.grantReadData(grantee);
  }

  /** Read and write items (conditional writes included) and query the index. */
  public grantReadWriteData(grantee: iam.IGrantable): iam.Grant {
    return this.table.grantReadWriteData(grantee);
  }
}
