/**
 * The single-table layout, in one place: the EnvironmentTable construct, DynamoDB Local
 * setup and every store module read their names from here. docs/ARCHITECTURE.md has the
 * access patterns.
 */
export const PARTITION_KEY = 'PK';
export const SORT_KEY = 'SK';
export const GSI1 = 'GSI1';
export const GSI1_PARTITION_KEY = 'GSI1PK';
export const GSI1_SORT_KEY = 'GSI1SK';
export const TTL_ATTRIBUTE = 'expiresAt';

const SEQ_DIGITS = 10;

export const keys = {
  // All configuration shares one small partition: listing every app with its
  // environments (push routing, dashboard home) is one query.
  configuration: () => ({ PK: 'CONFIG' }),
  application: (app: string) => ({ PK: 'CONFIG', SK: `APP#${app}` }),
  environmentsOf: (app: string) => ({ PK: 'CONFIG', SK_PREFIX: `APP#${app}#ENV#` }),
  environment: (app: string, env: string) => ({ PK: 'CONFIG', SK: `APP#${app}#ENV#${env}` }),
  deployment: (id: string) => ({ PK: `DEP#${id}`, SK: 'DEP' }),
  deploymentsOf: (app: string, env: string) => ({ GSI1PK: `ENV#${app}#${env}` }),
  deploymentIndex: (app: string, env: string, id: string) => ({ GSI1PK: `ENV#${app}#${env}`, GSI1SK: `DEP#${id}` }),
  logChunk: (deploymentId: string, seq: number) => ({ PK: `LOG#${deploymentId}`, SK: `CHUNK#${String(seq).padStart(SEQ_DIGITS, '0')}` }),
  logChunksOf: (deploymentId: string) => ({ PK: `LOG#${deploymentId}`, SK_PREFIX: 'CHUNK#' }),
  delivery: (id: string) => ({ PK: `DELIVERY#${id}`, SK: 'DELIVERY' }),
  connection: (id: string) => ({ PK: `CONN#${id}`, SK: 'CONN' }),
  subscription: (connectionId: string, deploymentId: string) => ({
    PK: `SUB#${deploymentId}`,
    SK: `CONN#${connectionId}`,
    GSI1PK: `CONN#${connectionId}`,
    GSI1SK: `SUB#${deploymentId}`,
  }),
  subscriptionsOfDeployment: (deploymentId: string) => ({ PK: `SUB#${deploymentId}` }),
  subscriptionsOfConnection: (connectionId: string) => ({ GSI1PK: `CONN#${connectionId}` }),
};

export const MAX_SEQ = 10 ** SEQ_DIGITS - 1;

/** The key schema as a CreateTable input, for DynamoDB Local; the construct mirrors it. */
export function createTableInput(tableName: string) {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST' as const,
    AttributeDefinitions: [PARTITION_KEY, SORT_KEY, GSI1_PARTITION_KEY, GSI1_SORT_KEY]
      .map(AttributeName => ({ AttributeName, AttributeType: 'S' as const })),
    KeySchema: [
      { AttributeName: PARTITION_KEY, KeyType: 'HASH' as const },
      { AttributeName: SORT_KEY, KeyType: 'RANGE' as const },
    ],
    GlobalSecondaryIndexes: [{
      IndexName: GSI1,
      KeySchema: [
        { AttributeName: GSI1_PARTITION_KEY, KeyType: 'HASH' as const },
        { AttributeName: GSI1_SORT_KEY, KeyType: 'RANGE' as const },
      ],
      Projection: { ProjectionType: 'ALL' as const },
    }],
  };
}
