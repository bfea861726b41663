/**
 * The single-table layout, in one place: the StateTable construct, DynamoDB Local
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
export const MAX_SEQ = 10 ** SEQ_DIGITS - 1;

/** Zero-padded, so string order of sort keys is numeric order. */
function padSeq(seq: number): string {
  return String(seq).padStart(SEQ_DIGITS, '0');
}

export const keys = {
  // All configuration shares one small partition: listing every app with its
  // environments (push routing, dashboard home) is one query.
  configuration: () => ({ PK: 'CONFIG' }),
  application: (app: string) => ({ PK: 'CONFIG', SK: `APP#${app}` }),
  environmentsOf: (app: string) => ({ PK: 'CONFIG', SK_PREFIX: `APP#${app}#ENV#` }),
  environment: (app: string, env: string) => ({ PK: 'CONFIG', SK: `APP#${app}#ENV#${env}` }),
  /** An application's previews: the dashboard's switch and the set of open ones (the cap). */
  previews: (app: string) => ({ PK: 'CONFIG', SK: `PREVIEWS#${app}` }),
  deployment: (id: string) => ({ PK: `DEP#${id}`, SK: 'DEP' }),
  /** Attribute of the deployment item holding one phase record (top level: no map to create first). */
  phaseAttribute: (phase: string) => `phase#${phase}`,
  deploymentsOf: (app: string, env: string) => ({ GSI1PK: `ENV#${app}#${env}` }),
  deploymentIndex: (app: string, env: string, id: string) => ({ GSI1PK: `ENV#${app}#${env}`, GSI1SK: `DEP#${id}` }),
  // A build's log: the head says which seq comes next; chunks are keyed by their last seq
  // (so the chunk holding seq n is the first with a key >= n); held items wait for a gap.
  logHead: (deploymentId: string) => ({ PK: `LOG#${deploymentId}`, SK: 'HEAD' }),
  logChunk: (deploymentId: string, lastSeq: number) => ({ PK: `LOG#${deploymentId}`, SK: `CHUNK#${padSeq(lastSeq)}` }),
  lastLogChunk: (deploymentId: string) => ({ PK: `LOG#${deploymentId}`, SK: `CHUNK#${padSeq(MAX_SEQ)}` }),
  heldLogs: (deploymentId: string, firstSeq: number, lastSeq: number) => ({ PK: `LOG#${deploymentId}`, SK: `HELD#${padSeq(firstSeq)}#${padSeq(lastSeq)}` }),
  // HEAD sorts right before HELD#, and held items sort by their first seq: one query reads
  // the head and the held items that start at or before a seq.
  logHeadKey: 'HEAD',
  heldStartingFrom: (firstSeq: number) => `HELD#${padSeq(firstSeq)}#`,
  heldStartingUpTo: (firstSeq: number) => `HELD#${padSeq(firstSeq)}#~`,
  // Outside DEP#: build roles may read deployment items (dynamodb:LeadingKeys), never this.
  ingestToken: (deploymentId: string) => ({ PK: `INGEST#${deploymentId}`, SK: 'INGEST' }),
  delivery: (id: string) => ({ PK: `DELIVERY#${id}`, SK: 'DELIVERY' }),
  /** A one-use value (a GitHub flow's `state`), by purpose: kept until its TTL or its one use. */
  oneUse: (purpose: string, id: string) => ({ PK: `ONCE#${purpose}#${id}`, SK: 'ONCE' }),
  // API tokens share one small partition (like CONFIG): listing them is one query. Outside DEP#:
  // no build role may read them.
  apiTokens: () => ({ PK: 'TOKENS' }),
  apiToken: (id: string) => ({ PK: 'TOKENS', SK: `TOKEN#${id}` }),
  // The audit trail: one partition per application (`*`: installation-wide entries); the sort key
  // starts with the time, so a query read backwards gives the newest first.
  auditTrail: (application: string) => ({ PK: `AUDIT#${application}` }),
  auditEntry: (application: string, at: string, id: string) => ({ PK: `AUDIT#${application}`, SK: `${at}#${id}` }),
  // Notifications: one counter item per environment (an atomic ADD numbers its events), and the
  // deliveries that failed, one partition per application, newest first when read backwards.
  notificationSequence: (app: string, env: string) => ({ PK: `NOTIFYSEQ#${app}`, SK: `ENV#${env}` }),
  notificationFailures: (app: string) => ({ PK: `NOTIFYFAIL#${app}` }),
  /** One item per delivery and destination (its place in the application's notifications) that failed. */
  notificationFailure: (app: string, at: string, delivery: string, position: number) => ({ PK: `NOTIFYFAIL#${app}`, SK: `${at}#${delivery}#${position}` }),
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
