import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { bundleLocalBuilder, gitRepo } from './local-fixtures';
import { secretNames } from '../../src/contract/secret-names';
import { DataDir } from '../../src/local/data-dir';
import { DynamoDbLocal, createLocalTable, startDynamoDbLocal } from '../../src/local/dynamodb-local';
import { LocalExecutor, createLocalExecutor } from '../../src/local/local-executor';
import { DeploymentScheduler, Store } from '../../src/runtime/core';
import { createDynamoStore } from '../../src/runtime/store/dynamo-store';
import { tableContext } from '../../src/runtime/store/table-context';
import { appConfig, envConfig } from '../store/fixtures';
import { eventually } from '../support/eventually';

/**
 * What a build's own code can learn about local mode's state, tried as the attacker: the app's
 * test command (a real build: the bundled builder cloning a real repository, DynamoDB Local with
 * a data directory as local mode runs it) dumps its environment, the environment and command
 * line of every ancestor process it can read, and tries relative paths to the admin password.
 * It must find neither DynamoDB Local's endpoint or key, nor the secrets file, nor the data
 * directory; its own environment's secret still reaches it as a variable.
 */

const PROBE_JS = `
const fs = require('fs');
const path = require('path');
const read = file => { try { return fs.readFileSync(file, 'latin1'); } catch { return undefined; } };
const ancestors = [];
for (let pid = process.ppid; pid > 1 && ancestors.length < 20;) {
  const environ = read('/proc/' + pid + '/environ');
  const cmdline = read('/proc/' + pid + '/cmdline');
  const stat = read('/proc/' + pid + '/stat');
  ancestors.push({ pid, environ, cmdline });
  const parent = stat && Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  if (!parent || parent === pid) break;
  pid = parent;
}
const guesses = [];
for (let up = 0; up <= 8; up++) {
  for (const name of ['admin-password', 'webhook-secret', 'secrets.json', 'data/admin-password', '.trellis/local/admin-password']) {
    const guess = path.join(...Array(up).fill('..'), name);
    guesses.push({ guess, found: fs.existsSync(guess) });
  }
}
fs.writeFileSync(process.env.PROBE_OUT, JSON.stringify({ env: process.env, cwd: process.cwd(), ancestors, guesses, stdin: read('/proc/' + process.ppid + '/fd/0') }));
`;

/** What probe.js found. */
interface Probe {
  readonly env: Record<string, string>;
  readonly cwd: string;
  readonly ancestors: Array<{ pid: number; environ?: string; cmdline?: string }>;
  readonly guesses: Array<{ guess: string; found: boolean }>;
  readonly stdin?: string;
}

describe('a local build cannot reach local mode\'s state', () => {
  let root: string;
  let data: DataDir;
  let dynamo: DynamoDbLocal;
  let store: Store;
  let executor: LocalExecutor;
  let commit: string;
  const probeOut = () => join(root, 'probe', 'out.json');
  const lines: string[] = [];

  beforeAll(async () => {
    root = realpathSync(mkdtempSync(join(tmpdir(), 'trellis-isolation-')));
    mkdirSync(join(root, 'probe'));
    data = new DataDir(join(root, 'data'));
    data.prepare(false);
    data.adminPassword();
    data.webhookSecret();
    // As local mode runs it: its files in the data directory, this installation's own key.
    dynamo = await startDynamoDbLocal({ dbPath: data.dynamodb, accessKeyId: data.dynamodbAccessKeyId() });
    await createLocalTable(dynamo.clientConfig, 'trellis-local');
    store = createDynamoStore(tableContext('trellis-local', dynamo.clientConfig));
    await store.config.syncApplications([appConfig('site', [envConfig('dev', {
      framework: { kind: 'custom', deploy: ['node', '-e', ''], remove: ['node', '-e', ''] },
      runTests: true,
      testCommand: ['node', 'probe.js'],
      variables: { PROBE_OUT: probeOut() },
    })])]);
    [commit] = gitRepo(join(root, 'repos', 'site'), { 'probe.js': PROBE_JS });
    executor = createLocalExecutor({
      store,
      tableName: 'trellis-local',
      dynamodb: { endpoint: dynamo.endpoint, accessKeyId: data.dynamodbAccessKeyId() },
      dataDir: data.root,
      repositories: { site: join(root, 'repos', 'site') },
      builder: { args: [bundleLocalBuilder(join(root, 'builder.js'))] },
      onRecords: async (_, batch) => { lines.push(...batch.map(record => record.text)); },
      log: () => undefined,
    });
    await executor.secrets.update(secretNames.environment('local', 'site', 'dev'), { API_TOKEN: 'dev-secret-value-1234' });
  }, 120_000);
  afterAll(async () => {
    await executor?.close();
    await dynamo?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  test('the app finds no store endpoint, key, secrets file or data directory in its own or its ancestors\' environment, guesses no path to the admin password, and gets its secret', async () => {
    const deployment = await new DeploymentScheduler(store).create({
      application: 'site', environment: 'dev', action: 'deploy', commit, branch: 'main', repository: 'acme/site', trigger: { kind: 'manual', actor: 'ada' },
    });
    await executor.queue.send({ deploymentId: deployment.id });
    const done = await eventually('the build to end', async () => {
      const current = await store.deployments.get(deployment.id);
      return current && ['succeeded', 'failed'].includes(current.status) && current;
    }, 90_000);
    expect({ status: done.status, log: done.status === 'succeeded' ? [] : lines }).toEqual({ status: 'succeeded', log: [] });
    const probe = JSON.parse(readFileSync(probeOut(), 'utf8')) as Probe;

    // The secret reaches the app as its environment's variable.
    expect(probe.env.API_TOKEN).toBe('dev-secret-value-1234');

    // Its parent is the builder (it read the builder's environ), and more ancestors were read.
    expect(probe.ancestors[0].cmdline).toContain('builder.js');
    expect(probe.ancestors.filter(ancestor => ancestor.environ !== undefined).length).toBeGreaterThanOrEqual(2);

    const port = new URL(dynamo.endpoint).port;
    const forbidden = [dynamo.endpoint, `127.0.0.1:${port}`, `localhost:${port}`, data.dynamodbAccessKeyId(), data.root, join(data.root, 'secrets.json'), 'TRELLIS_LOCAL_'];
    const seen: Array<[string, string]> = [
      ['the app\'s environment', JSON.stringify(probe.env)],
      ...probe.ancestors.map(({ pid, environ }, index): [string, string] => [`environ of ancestor ${index} (pid ${pid})`, environ ?? '']),
      ['the builder\'s stdin, read again', probe.stdin ?? ''],
    ];
    const found = seen.flatMap(([where, text]) => forbidden.filter(needle => text.includes(needle)).map(needle => `${needle} in ${where}`));
    expect(found).toEqual([]);

    // The workspace is outside the data directory: no relative path leads to its files.
    expect(probe.cwd.startsWith(data.root)).toBe(false);
    expect(probe.guesses.filter(guess => guess.found)).toEqual([]);
    expect(existsSync(join(data.root, 'admin-password'))).toBe(true);
  }, 120_000);
});
