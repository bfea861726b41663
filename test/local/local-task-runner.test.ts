import { existsSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { processAlive } from './local-fixtures';
import { BUILD_PARAMETERS, BUILD_SETTINGS } from '../../src/contract/build-environment';
import { secretNames } from '../../src/contract/secret-names';
import { LOCAL_BUILD_SETTINGS } from '../../src/local/local-build-settings';
import { LocalTaskRunner, LocalTaskRunnerProps } from '../../src/local/local-task-runner';
import { LogRecord, NotFoundError, SecretSource, TaskRequest } from '../../src/runtime/core';
import { TaskStopped } from '../../src/runtime/deployments/finalize';
import { depId } from '../store/fixtures';
import { eventually } from '../support/eventually';

/**
 * The runner with stand-in builder programs (node -e scripts): the environment a build gets,
 * records to batches, output that is not a record, exit codes, stop and close. The real
 * builder runs in local-executor.test.ts.
 */

const request = (n: number): TaskRequest => ({
  deploymentId: depId(n), action: 'deploy', application: 'site', environment: 'dev', commit: 'c'.repeat(40), ingestToken: `token-${n}`,
});

/** A stand-in builder that writes its environment, cwd, workspace files and stdin (LocalBuildInput) to `file`. */
const recorder = (file: string) => `
let input = '';
process.stdin.on('data', chunk => { input += chunk; });
process.stdin.on('end', () => require('fs').writeFileSync(${JSON.stringify(file)},
  JSON.stringify({ env: process.env, cwd: process.cwd(), files: require('fs').readdirSync('.'), input: JSON.parse(input) })));`;

/** Secrets as FileSecretSource holds them. */
const secretsOf = (secrets: Record<string, string>): SecretSource => ({
  get: async name => {
    if (!Object.prototype.hasOwnProperty.call(secrets, name)) throw new NotFoundError(`secret ${name} does not exist`);
    return secrets[name];
  },
});

/** A builder stand-in that prints `count` records of its deployment (as the builder does), then runs `then`. */
function printer(count: number, then = ''): string {
  return `
const id = process.env.TRELLIS_DEPLOYMENT_ID;
for (let seq = 0; seq < ${count}; seq++) {
  process.stdout.write(JSON.stringify({ deployment: id, seq, at: new Date().toISOString(), stream: 'stdout', text: 'line ' + seq }) + '\\n');
}
${then}`;
}

describe('LocalTaskRunner', () => {
  let root: string;
  let batches: Array<{ deploymentId: string; records: readonly LogRecord[] }>;
  let exits: TaskStopped[];
  let logs: Array<Record<string, unknown>>;
  let runners: LocalTaskRunner[];

  const runner = (script: string, overrides: Partial<LocalTaskRunnerProps> = {}) => {
    const created = new LocalTaskRunner({
      tableName: 'table-1',
      dynamodb: { endpoint: 'http://127.0.0.1:1', accessKeyId: 'Key1' },
      secrets: secretsOf({}),
      outputDir: join(root, 'builds'),
      workRoot: root,
      builder: { args: ['-e', script] },
      onRecords: async (deploymentId, records) => { batches.push({ deploymentId, records }); },
      onExit: async event => { exits.push(event); },
      log: entry => logs.push(entry),
      ...overrides,
    });
    runners.push(created);
    return created;
  };

  beforeEach(() => {
    root = realpathSync(mkdtempSync(join(tmpdir(), 'trellis-runner-')));
    batches = [];
    exits = [];
    logs = [];
    runners = [];
  });
  afterEach(async () => {
    await Promise.all(runners.map(created => created.close()));
    rmSync(root, { recursive: true, force: true });
  });

  test('the builder gets the build parameters in its environment and the store, its own secrets and local settings on stdin, in an empty workspace', async () => {
    const seen = join(root, 'seen.json');
    const tasks = runner(recorder(seen), {
      gitUrls: { site: 'repos/site', other: 'file:///srv/other' },
      env: { PATH: process.env.PATH, HOME: '/home/someone', AWS_PROFILE: 'mine', TRELLIS_LOG_INGEST_FUNCTION: 'arn:aws:lambda:x', TRELLIS_TEST_SECRETS: '{}' },
      secrets: secretsOf({
        [secretNames.githubToken('local')]: 'ghp_token',
        [secretNames.environment('local', 'site', 'dev')]: '{"API_TOKEN":"dev-value"}',
        [secretNames.environment('local', 'site', 'production')]: '{"API_TOKEN":"production-value"}',
        [secretNames.environment('local', 'other', 'dev')]: '{"API_TOKEN":"other-value"}',
      }),
    });
    const { taskId } = await tasks.run(request(1));
    await tasks.idle();

    const { env, cwd, files, input } = JSON.parse(readFileSync(seen, 'utf8'));
    expect(files).toEqual([]);
    expect(cwd.startsWith(join(root, 'trellis-build-'))).toBe(true);
    expect(existsSync(cwd)).toBe(false); // removed after the build
    // Nothing an app command could read from /proc/<builder>/environ and use: no endpoint, secrets, paths or ingest token.
    expect(env).toEqual({
      PATH: process.env.PATH,
      HOME: '/home/someone',
      AWS_PROFILE: 'mine',
      // Which deployment, and nothing of what it builds: the builder reads that from the record.
      [BUILD_PARAMETERS.deploymentId]: depId(1),
      [BUILD_SETTINGS.tableName]: 'table-1',
      [BUILD_SETTINGS.installation]: 'local',
    });
    // Only this build's environment's secret and the token: not production's, not another app's.
    expect(input).toEqual({
      dynamodb: { endpoint: 'http://127.0.0.1:1', accessKeyId: 'Key1' },
      secrets: {
        [secretNames.githubToken('local')]: 'ghp_token',
        [secretNames.environment('local', 'site', 'dev')]: '{"API_TOKEN":"dev-value"}',
      },
      settings: { [BUILD_SETTINGS.gitUrl]: join(process.cwd(), 'repos/site') },
    });
    expect(exits).toEqual([{ taskId, deploymentId: depId(1), exitCode: 0, stopReason: 'the builder exited with code 0' }]);
    expect(await tasks.describe(taskId)).toMatchObject({ taskId, running: false, exitCode: 0 });
    expect(await tasks.describe('local-1-unknown')).toBeUndefined();
  });

  test('secrets that cannot be read reach the builder as the reason, without values', async () => {
    const seen = join(root, 'seen-error.json');
    const tasks = runner(recorder(seen), {
      secrets: { get: async () => { throw new Error('secrets.json is not JSON'); } },
    });
    await tasks.run(request(1));
    await tasks.idle();
    const { input } = JSON.parse(readFileSync(seen, 'utf8'));
    expect(input).toMatchObject({ secrets: {}, secretsError: 'the secrets could not be read: secrets.json is not JSON' });
  });

  test('the dependency cache and deploy artifact folders reach the builder on stdin when set, not in its environment', async () => {
    const seen = join(root, 'seen-folders.json');
    const tasks = runner(recorder(seen), {
      cacheDir: join(root, 'cache'),
      artifactDir: join(root, 'artifacts'),
      env: { PATH: process.env.PATH },
    });
    await tasks.run(request(1));
    await tasks.idle();
    const { env, input } = JSON.parse(readFileSync(seen, 'utf8'));
    expect(input.settings).toEqual({ [LOCAL_BUILD_SETTINGS.cacheDir]: join(root, 'cache'), [LOCAL_BUILD_SETTINGS.artifactDir]: join(root, 'artifacts') });
    expect(JSON.stringify(env)).not.toContain(root);
  });

  test('records go out in seq order in batches of at most 500, all of them before the exit is reported', async () => {
    const order: string[] = [];
    const tasks = runner(printer(1234, 'process.exitCode = 3;'), {
      onRecords: async (deploymentId, records) => {
        await new Promise(resolve => setTimeout(resolve, 20)); // a slow store: the next batch gathers meanwhile
        batches.push({ deploymentId, records });
        order.push('records');
      },
      onExit: async event => { exits.push(event); order.push('exit'); },
    });
    await tasks.run(request(2));
    await tasks.idle();

    const seqs = batches.flatMap(batch => batch.records.map(record => record.seq));
    expect(seqs).toEqual(Array.from({ length: 1234 }, (_, i) => i));
    expect(batches.every(batch => batch.deploymentId === depId(2) && batch.records.length <= 500)).toBe(true);
    expect(batches[0].records[0]).toEqual({ seq: 0, at: expect.any(String), stream: 'stdout', text: 'line 0' });
    expect(order[order.length - 1]).toBe('exit');
    expect(exits[0]).toMatchObject({ exitCode: 3, stopReason: 'the builder exited with code 3' });
  });

  test('a few lines go out after the flush interval, while the build still runs', async () => {
    const tasks = runner(printer(3, 'setTimeout(() => {}, 1500);'));
    await tasks.run(request(3));
    await eventually('the first batch', async () => batches.length > 0);
    expect(exits).toEqual([]);
    await tasks.idle();
    expect(batches.flatMap(batch => batch.records)).toHaveLength(3);
  });

  test('a failed delivery is retried: nothing is lost and the order holds', async () => {
    let failures = 1;
    const tasks = runner(printer(50), {
      onRecords: async (deploymentId, records) => {
        if (failures-- > 0) throw new Error('the table is busy');
        batches.push({ deploymentId, records });
      },
    });
    await tasks.run(request(4));
    await tasks.idle();
    expect(batches.flatMap(batch => batch.records.map(record => record.seq))).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(logs).toContainEqual(expect.objectContaining({ message: 'log records failed; retrying', error: 'the table is busy' }));
  });

  test('redeliverSince sends again what was delivered since then, in order, and nothing older', async () => {
    const tasks = runner(printer(30, 'setTimeout(() => {}, 60000)'), { flushMs: 10 });
    const { taskId } = await tasks.run(request(9));
    await eventually('the first 30 records to be delivered', async () => batches.flatMap(batch => batch.records).length >= 30, 10_000);
    const first = batches.length;
    const since = Date.now() + 1; // after every delivery so far: nothing goes again
    tasks.redeliverSince(since);
    tasks.redeliverSince(0);
    await eventually('the records sent again', async () => batches.slice(first).flatMap(batch => batch.records).length >= 30, 10_000);
    expect(batches.slice(first).flatMap(batch => batch.records.map(record => record.seq))).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect(logs).toContainEqual(expect.objectContaining({ message: 'log records sent again', task: taskId, first: 0, count: 30 }));
    await tasks.stop(taskId, 'done');
    await tasks.idle();
  });

  test('output that is not a record of this build (a crash, another deployment\'s line) is kept in the task\'s file and logged', async () => {
    const tasks = runner(`
console.log('plain text');
console.log(JSON.stringify({ deployment: ${JSON.stringify(depId(99))}, seq: 0, at: new Date().toISOString(), stream: 'stdout', text: 'forged' }));
console.error('TypeError: boom');
process.exit(1);`);
    const { taskId } = await tasks.run(request(5));
    await tasks.idle();

    expect(batches).toEqual([]);
    const state = await tasks.describe(taskId);
    const output = readFileSync(state!.outputFile, 'utf8');
    expect(output).toContain('stdout: plain text\n');
    expect(output).toContain('forged');
    expect(output).toContain('stderr: TypeError: boom\n');
    expect(readdirSync(join(root, 'builds'))).toEqual([`${taskId}.log`]);
    expect(logs).toContainEqual(expect.objectContaining({ message: 'builder output that is not a log record', stream: 'stderr', text: 'TypeError: boom' }));
    expect(exits[0].exitCode).toBe(1);
  });

  test('a builder that cannot start fails run(), and leaves no workspace', async () => {
    const tasks = runner('', { builder: { command: join(root, 'no-such-builder'), args: [] } });
    await expect(tasks.run(request(6))).rejects.toThrow(/the builder program did not start: .*ENOENT/);
    expect(readdirSync(root).filter(name => name.startsWith('trellis-build-'))).toEqual([]);
    // A failed start is not remembered: a repeated launch tries again.
    await expect(tasks.run(request(6))).rejects.toThrow(/the builder program did not start/);
  });

  test('run() repeated for one deployment (a retried launch), at once or later, gets the same task: one builder, one workspace', async () => {
    const tasks = runner('setInterval(() => {}, 1000)');
    const [first, second] = await Promise.all([tasks.run(request(13)), tasks.run(request(13))]);
    const later = await tasks.run(request(13));
    expect([second.taskId, later.taskId]).toEqual([first.taskId, first.taskId]);
    expect(tasks.running().map(task => task.deploymentId)).toEqual([depId(13)]);
    expect(readdirSync(root).filter(name => name.startsWith('trellis-build-'))).toHaveLength(1);
    const other = await tasks.run(request(14));
    expect(other.taskId).not.toBe(first.taskId);
  });

  test('stop: SIGTERM to the group, SIGKILL after the grace period for a builder that ignores it', async () => {
    const pidFile = join(root, 'grandchild.pid');
    // The builder ignores SIGTERM; its command (a grandchild in the same group) does not.
    const tasks = runner(`
process.on('SIGTERM', () => console.error('builder: SIGTERM ignored'));
const child = require('child_process').spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
require('fs').writeFileSync(${JSON.stringify(pidFile)}, String(child.pid));
setInterval(() => {}, 1000);`, { stopGraceMs: 300 });
    const { taskId } = await tasks.run(request(7));
    await eventually('the grandchild', async () => existsSync(pidFile) && readFileSync(pidFile, 'utf8') !== '');
    const grandchild = Number(readFileSync(pidFile, 'utf8'));
    const builder = (await tasks.describe(taskId))!.pid;

    await tasks.stop(taskId, 'cancelled by ada');
    await eventually('the grandchild to end', async () => !processAlive(grandchild));
    expect(processAlive(builder)).toBe(true); // still in its grace period
    await tasks.idle();

    expect(processAlive(builder)).toBe(false);
    expect(exits).toEqual([{ taskId, deploymentId: depId(7), exitCode: 137, stopReason: 'cancelled by ada' }]);
    await tasks.stop(taskId, 'again'); // a stopped task: nothing happens
    expect((await tasks.describe(taskId))!.stopReason).toBe('cancelled by ada');
  });

  test('close() stops every build and returns when none is left; no new build starts after it', async () => {
    const tasks = runner('setInterval(() => {}, 1000)');
    const started = await Promise.all([tasks.run(request(8)), tasks.run(request(9))]);
    const pids = await Promise.all(started.map(async ({ taskId }) => (await tasks.describe(taskId))!.pid));
    expect(tasks.running()).toHaveLength(2);

    await tasks.close();
    for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
    expect(exits.map(exit => exit.stopReason)).toEqual(['the local server stopped', 'the local server stopped']);
    expect(tasks.running()).toEqual([]);
    await expect(tasks.run(request(10))).rejects.toThrow('shutting down');
  });

  test('close() during run(): the build that was starting is stopped too', async () => {
    const tasks = runner('setInterval(() => {}, 1000)');
    const starting = tasks.run(request(12));
    const closing = tasks.close();
    const { taskId } = await starting;
    const { pid } = (await tasks.describe(taskId))!;
    await closing;
    expect(processAlive(pid)).toBe(false);
    expect(exits.map(exit => exit.taskId)).toEqual([taskId]);
  });

  test('a failing onExit is retried (finalizing is idempotent), and idle() waits for it', async () => {
    let calls = 0;
    const tasks = runner('', {
      onExit: async event => {
        if (calls++ === 0) throw new Error('the table is busy');
        exits.push(event);
      },
    });
    await tasks.run(request(11));
    await tasks.idle();
    expect(calls).toBe(2);
    expect(exits).toHaveLength(1);
  });
});
