import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { bundleLocalBuilder, gitRepo, processAlive } from './local-fixtures';
import { secretNames } from '../../src/contract/secret-names';
import { LocalExecutor, createLocalExecutor } from '../../src/local/local-executor';
import { BuilderCommand } from '../../src/local/local-task-runner';
import { Deployment, DeploymentScheduler, DeploymentStatus, LogRecord, Store, systemClock } from '../../src/runtime/core';
import { cancelDeployment } from '../../src/runtime/deployments/cancel';
import { ingestLogs } from '../../src/runtime/logs/ingest-logs';
import { createDynamoStore } from '../../src/runtime/store/dynamo-store';
import { TableContext } from '../../src/runtime/store/table-context';
import { FaultyStore } from '../reliability/support/faulty-store';
import { appConfig, envConfig } from '../store/fixtures';
import { eventually } from '../support/eventually';
import { dynamoEndpoint, freshTable } from '../support/test-table';

/**
 * The build server on one machine, end to end: queue → core's launcher → the real builder
 * (bundled local entry) as a child process cloning a real git repository → records to
 * ingestLogs → exit → core's finalizer → the next deployment. DynamoDB Local throughout.
 */

/** The app's deploy command: says hello, prints `LINES` lines, waits at a gate when asked, then "deploys" the checked-out commit. */
const DEPLOY_JS = `
const fs = require('fs');
const path = require('path');
const sha = require('child_process').execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
console.log('deploying ' + sha + ' to ' + process.env.STAGE + ' with secret ' + process.env.API_TOKEN);
for (let i = 0; i < Number(process.env.LINES || 0); i++) console.log('deploy output line ' + i);
const gate = process.env.GATE_DIR;
if (gate) {
  fs.writeFileSync(path.join(gate, 'started-' + sha), String(process.pid));
  const until = Date.now() + 30000;
  while (!fs.existsSync(path.join(gate, 'open'))) {
    if (Date.now() > until) process.exit(3);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
  }
}
fs.mkdirSync(process.env.DEPLOY_TARGET, { recursive: true });
fs.writeFileSync(path.join(process.env.DEPLOY_TARGET, process.env.STAGE), sha);
`;
/** The app's tests: pass while health.txt says ok. */
const TEST_JS = `
const health = require('fs').readFileSync('health.txt', 'utf8').trim();
console.log('health: ' + health);
process.exit(health === 'ok' ? 0 : 1);
`;

describe('local executor', () => {
  let root: string;
  let table: TableContext;
  let store: Store;
  let executor: LocalExecutor;
  let commits: string[];
  let records: Map<string, LogRecord[][]>;
  let logs: Array<Record<string, unknown>>;
  const executors: LocalExecutor[] = [];

  const target = (environment: string) => join(root, 'deployed', environment);
  const gate = (environment: string) => join(root, 'gates', environment);
  const deployed = (environment: string) => {
    const file = join(target(environment), environment);
    return existsSync(file) ? readFileSync(file, 'utf8') : undefined;
  };

  /** Slow store: each batch takes this long (the runner then pauses the builder's output). */
  let ingestDelayMs = 0;
  const makeExecutor = (builder: BuilderCommand = { args: [join(root, 'builder.js')] }, executorStore = store) => {
    const created = createLocalExecutor({
      store: executorStore,
      tableName: table.tableName,
      dynamodb: { endpoint: dynamoEndpoint(), accessKeyId: 'local' },
      dataDir: join(root, 'data'),
      repositories: { site: join(root, 'repos', 'site') },
      builder,
      tuning: { maxPending: 100 },
      onRecords: async (deploymentId, batch) => {
        await new Promise(resolve => setTimeout(resolve, ingestDelayMs));
        records.set(deploymentId, [...records.get(deploymentId) ?? [], [...batch]]);
        await ingestLogs(deploymentId, batch, { store, sink: { send: async () => 'sent' }, clock: systemClock, retentionDays: 1, log: entry => logs.push(entry) });
      },
      log: entry => logs.push(entry),
    });
    executors.push(created);
    return created;
  };

  /** A deployment as the webhook or the API makes it: created queued, then sent to the launch queue. */
  const deploy = async (environment: string, commit: string, on = executor): Promise<Deployment> => {
    const deployment = await new DeploymentScheduler(store).create({
      application: 'site', environment, action: 'deploy', commit, branch: 'main', repository: 'acme/site', trigger: { kind: 'manual', actor: 'ada' },
    });
    await on.queue.send({ deploymentId: deployment.id });
    return deployment;
  };
  const get = async (id: string) => (await store.deployments.get(id))!;
  const until = (id: string, ...statuses: DeploymentStatus[]) =>
    eventually(`${id} to be ${statuses.join(' or ')}`, async () => { const d = await get(id); return statuses.includes(d.status) && d; }, 60_000);
  const startedAt = (environment: string, commit: string) =>
    eventually(`the deploy of ${commit.slice(0, 7)} to ${environment} to start`, async () => {
      const file = join(gate(environment), `started-${commit}`);
      return existsSync(file) && readFileSync(file, 'utf8') !== '' && Number(readFileSync(file, 'utf8'));
    }, 60_000);
  const environment = async (name: string) => (await store.config.getEnvironment('site', name))!;
  /** The finalizer moves the status first, then releases the lock. */
  const released = (name: string) => eventually(`${name}'s lock to be free`, async () => {
    const env = await environment(name);
    return env.lockHolder === undefined && env.pending === undefined && env;
  });

  beforeAll(async () => {
    root = realpathSync(mkdtempSync(join(tmpdir(), 'trellis-local-')));
    bundleLocalBuilder(join(root, 'builder.js'));
    table = await freshTable('local');
    store = createDynamoStore(table);
    const site = {
      kind: 'custom' as const,
      deploy: ['node', 'deploy.js'],
      remove: ['node', '-e', 'require("fs").rmSync(require("path").join(process.env.DEPLOY_TARGET, process.env.STAGE), { force: true })'],
    };
    const env = (name: string, extra: Record<string, string> = {}, tested = false) => {
      mkdirSync(gate(name), { recursive: true });
      return envConfig(name, {
        framework: site,
        runTests: tested,
        testCommand: ['node', 'test.js'],
        variables: { DEPLOY_TARGET: target(name), ...extra },
      });
    };
    await store.config.syncApplications([appConfig('site', [
      env('dev', { LINES: '1200' }),
      env('qa', {}, true),
      env('staging', { GATE_DIR: gate('staging') }),
      env('sandbox', { GATE_DIR: gate('sandbox') }),
      env('preview', { GATE_DIR: gate('preview') }),
      env('demo', { GATE_DIR: gate('demo') }),
      env('retry'),
    ])]);
    commits = gitRepo(join(root, 'repos', 'site'),
      { 'deploy.js': DEPLOY_JS, 'test.js': TEST_JS, 'health.txt': 'ok' },
      { 'health.txt': 'broken' },
      { 'health.txt': 'ok' });
  });

  beforeEach(() => {
    ingestDelayMs = 0;
    records = new Map();
    logs = [];
    executor = makeExecutor();
  });
  afterEach(async () => {
    await Promise.all(executors.splice(0).map(created => created.close()));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  test('a deployment runs as a child process: every record reaches the store in order, the commit is deployed, the lock is released', async () => {
    await executor.secrets.update(secretNames.environment('local', 'site', 'dev'), { API_TOKEN: 'tok-local-1234' });
    // A store slower than the build: the runner pauses the builder's stdout, the builder's
    // writes queue up, and still nothing may be lost when it exits.
    ingestDelayMs = 40;
    const { id } = await deploy('dev', commits[0]);
    const done = await until(id, 'succeeded', 'failed');

    expect(done).toMatchObject({ status: 'succeeded', taskId: expect.stringMatching(/^local-\d+-[0-9a-f]{8}$/) });
    expect(deployed('dev')).toBe(commits[0]);
    await released('dev');

    // The live path: batches of at most 500, in seq order, none missing, all before the status changed.
    const batches = records.get(id)!;
    const seqs = batches.flat().map(record => record.seq);
    expect(seqs.length).toBeGreaterThan(1200);
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i));
    expect(batches.length).toBeGreaterThan(2);
    expect(batches.every(batch => batch.length <= 500)).toBe(true);
    let stored: LogRecord[] = [];
    for (let page = await store.logs.read(id); ; page = await store.logs.read(id, { from: page.next })) {
      stored = [...stored, ...page.records];
      if (page.end) break;
    }
    expect(stored.map(record => record.seq)).toEqual(seqs);
    const text = stored.map(record => record.text);
    expect(text).toContain(`deploying ${commits[0]} to dev with secret ***`); // the file secret reached the app, masked
    expect(text.join('\n')).not.toContain('tok-local-1234');
    // Sorted: skipped phases start in the same millisecond, and the store orders phases by start time only.
    expect(done.phases?.map(phase => `${phase.phase}:${phase.outcome}`).sort()).toEqual([
      'build:skipped', 'clone:succeeded', 'deploy:succeeded', 'detect:succeeded', 'install:skipped', 'prepare:succeeded', 'save-artifact:skipped', 'test:skipped',
    ]);

    const task = (await executor.runner.describe(done.taskId!))!;
    expect(task).toMatchObject({ running: false, exitCode: 0 });
    expect(existsSync(task.workspace)).toBe(false);
  });

  test('a succeeded deployment becomes the environment\'s current version', async () => {
    const { id } = await deploy('dev', commits[2]);
    expect((await until(id, 'succeeded', 'failed')).status).toBe('succeeded');
    expect(await released('dev')).toMatchObject({ currentCommit: commits[2], currentDeploymentId: id });
  });

  test('a failing test command fails the deployment and the previous version stays deployed', async () => {
    const good = await deploy('qa', commits[0]);
    expect((await until(good.id, 'succeeded', 'failed')).status).toBe('succeeded');

    const bad = await deploy('qa', commits[1]);
    const failed = await until(bad.id, 'succeeded', 'failed');
    expect(failed).toMatchObject({ status: 'failed', reason: 'test failed: node test.js exited with code 1: health: broken' });
    expect(failed.phases?.find(phase => phase.phase === 'test')?.outcome).toBe('failed');
    expect(failed.phases?.some(phase => phase.phase === 'deploy')).toBe(false);
    expect(deployed('qa')).toBe(commits[0]);
    await released('qa');
  });

  test('two deploys while one runs: the older waiting one is superseded, the newest runs after the first', async () => {
    const first = await deploy('staging', commits[0]);
    await startedAt('staging', commits[0]);
    const older = await deploy('staging', commits[1]);
    await eventually('the second to wait', async () => (await environment('staging')).pending === older.id);
    const newest = await deploy('staging', commits[2]);
    await eventually('the third to wait', async () => (await environment('staging')).pending === newest.id);
    // The claim replaces the pending request first, then the displaced one is marked.
    expect(await until(older.id, 'superseded')).toMatchObject({ reason: `superseded by ${newest.id}` });
    expect((await get(newest.id)).status).toBe('queued');

    writeFileSync(join(gate('staging'), 'open'), '');
    const [a, c] = [await until(first.id, 'succeeded', 'failed'), await until(newest.id, 'succeeded', 'failed')];
    expect([a.status, c.status]).toEqual(['succeeded', 'succeeded']);
    expect(Date.parse(c.startedAt!)).toBeGreaterThanOrEqual(Date.parse(a.finishedAt!));
    expect(deployed('staging')).toBe(commits[2]);
    expect(existsSync(join(gate('staging'), `started-${commits[1]}`))).toBe(false); // the superseded one never ran
    await released('staging');
  });

  test('a builder killed mid-build fails its deployment with a reason, takes its commands with it, and the next one starts', async () => {
    const first = await deploy('sandbox', commits[0]);
    const command = await startedAt('sandbox', commits[0]);
    const next = await deploy('sandbox', commits[2]);
    await eventually('the next to wait', async () => (await environment('sandbox')).pending === next.id);

    const { pid } = (await executor.runner.describe((await get(first.id)).taskId!))!;
    process.kill(pid, 'SIGKILL');
    expect(await until(first.id, 'succeeded', 'failed')).toMatchObject({ status: 'failed', reason: 'the builder exited with code 137' });
    expect(processAlive(command)).toBe(false); // the deploy command did not outlive its builder

    await startedAt('sandbox', commits[2]);
    writeFileSync(join(gate('sandbox'), 'open'), '');
    expect((await until(next.id, 'succeeded', 'failed')).status).toBe('succeeded');
    expect(deployed('sandbox')).toBe(commits[2]);
  });

  test('cancel through core stops the running build; the lock passes on', async () => {
    const running = await deploy('demo', commits[0]);
    const command = await startedAt('demo', commits[0]);
    const waiting = await deploy('demo', commits[2]);
    await eventually('the next to wait', async () => (await environment('demo')).pending === waiting.id);

    expect((await cancelDeployment(running.id, 'ada', executor.build)).status).toBe('cancelled');
    await eventually('the cancelled build to end', async () => !processAlive(command));
    await startedAt('demo', commits[2]);
    writeFileSync(join(gate('demo'), 'open'), '');
    expect((await until(waiting.id, 'succeeded', 'failed')).status).toBe('succeeded');
    expect(await get(running.id)).toMatchObject({ status: 'cancelled', reason: 'cancelled by ada' });
  });

  test('close() leaves no process behind and no deployment holding a lock', async () => {
    const own = makeExecutor();
    const running = await deploy('preview', commits[0], own);
    const command = await startedAt('preview', commits[0]);
    const { pid } = (await own.runner.describe((await get(running.id)).taskId!))!;
    expect(processAlive(pid)).toBe(true);

    await own.close();
    expect(() => process.kill(pid, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
    expect(processAlive(command)).toBe(false);
    // The builder ends its running command and records the phase as stopped; the signal reaches the whole process group,
    // so the command may die of it first; killed first itself, only the builder's exit code is known.
    expect(await get(running.id)).toMatchObject({ status: 'failed', reason: expect.stringMatching(/^deploy failed: node deploy\.js(: stopped| was killed by SIGTERM)$|^the builder exited with code/) });
    await released('preview');

    // A closed executor launches nothing.
    const late = await deploy('preview', commits[0], own);
    // A real delay: that nothing happens cannot be polled for; a launch would have started well within it.
    await new Promise(resolve => setTimeout(resolve, 200));
    expect((await get(late.id)).status).toBe('queued');
  });

  test('a builder program that does not start fails the deployment through core\'s launcher', async () => {
    const broken = makeExecutor({ command: join(root, 'no-such-node'), args: [] });
    const { id } = await deploy('qa', commits[0], broken);
    const failed = await until(id, 'succeeded', 'failed');
    expect(failed.status).toBe('failed');
    expect(failed.reason).toMatch(/^the build could not be started: the builder program did not start: .*ENOENT/);
    await released('qa');
  });

  test('the table refuses the task record once: the queue\'s retry finds the builder already started (one process), and it deploys', async () => {
    const faulty = new FaultyStore(store);
    faulty.failNext('attachTask');
    const { id } = await deploy('retry', commits[0], makeExecutor(undefined, faulty.store));
    const done = await until(id, 'succeeded', 'failed');

    expect(done).toMatchObject({ status: 'succeeded', taskId: expect.stringMatching(/^local-\d+-[0-9a-f]{8}$/) });
    expect(faulty.injected).toEqual([expect.stringMatching(/^attachTask\(/)]);
    expect(logs).toContainEqual(expect.objectContaining({ message: 'launch failed; retrying', deploymentId: id }));
    expect(logs.filter(entry => entry.message === 'build started' && entry.deployment === id)).toHaveLength(1);
    expect(deployed('retry')).toBe(commits[0]);
    await released('retry');
  });

  test('the commit source reads branch heads of the configured repositories', async () => {
    expect(await executor.commits.latestCommit('acme/site', 'main')).toEqual({ sha: commits[2], message: 'version 3', author: 'Test' });
    await expect(executor.commits.latestCommit('acme/unknown', 'main')).rejects.toThrow('has no local path');
  });
});
