import { ChildProcess, spawn } from 'child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { delimiter, dirname, join } from 'path';
import { gitRepo, processAlive } from './local-fixtures';
import { cleanUp, cmdline, noteDescendants, workspacesIn } from './support/process-cleanup';
import { TrellisProcess, bundleTrellis, descendantsOf } from './support/trellis-process';
import { INTERRUPTED_REASON } from '../../src/local/interrupted';
import { signalIfRunning } from '../../src/local/process-group';
import { LocalApi, pushed, storeOf } from '../reliability/support/local-trellis';
import { eventually } from '../support/eventually';

/**
 * `trellis local` stopped at the worst moments, as real processes: killed with SIGKILL while a
 * deploy runs and a newer push waits (the restart fails the one that ran, ends its open
 * phases, stops what is left of its build and deploys the waiting one by itself), and sent
 * SIGINT or SIGTERM while it starts (it stops everything it started and says "Stopped.").
 */

const ROOT = join(__dirname, '..', '..');
let cli: string | undefined;
let scratch: string;
const started: TrellisProcess[] = [];
const commands = new Map<number, string>();
/** Raw `trellis local` processes of the start-up tests, and every descendant seen. */
const raw: Array<{ child: ChildProcess; seen: Set<number> }> = [];

beforeAll(() => {
  cli = bundleTrellis();
  scratch = mkdtempSync(join(tmpdir(), 'trellis-restart-'));
}, 120_000);

afterAll(async () => {
  for (const run of raw) {
    for (const pid of [run.child.pid!, ...run.seen]) {
      if (!processAlive(pid) || (commands.has(pid) && cmdline(pid) !== commands.get(pid))) continue;
      signalIfRunning(pid, 'SIGKILL');
    }
  }
  await cleanUp(started, commands, [scratch, cli && dirname(dirname(cli))].filter((path): path is string => Boolean(path)));
}, 60_000);

/**
 * An app whose deploy waits until a file named after its commit appears in `gates` (the test
 * opens the gate), then writes that file in `deployed`: a deploy as slow as the test wants.
 */
function gatedApp(name: string): { config: string; gates: string; deployed: string } {
  const repo = join(scratch, name, 'repo');
  const gates = join(scratch, name, 'gates');
  const deployed = join(scratch, name, 'deployed');
  mkdirSync(gates, { recursive: true });
  cpSync(join(ROOT, 'examples', 'sample-app'), repo, { recursive: true, filter: source => !source.includes('node_modules') });
  gitRepo(repo, {
    'scripts/gated-deploy.js': `'use strict';
const fs = require('node:fs');
const path = require('node:path');
const commit = process.env.TRELLIS_COMMIT;
const gate = path.join(process.env.GATE_DIR, commit);
console.log('Waiting for the gate ' + gate);
const pause = new Int32Array(new SharedArrayBuffer(4));
while (!fs.existsSync(gate)) Atomics.wait(pause, 0, 0, 50);
fs.mkdirSync(process.env.DEPLOYED_DIR, { recursive: true });
fs.writeFileSync(path.join(process.env.DEPLOYED_DIR, commit), 'deployed\\n');
console.log('Deployed ' + commit);
`,
  });
  const config = join(scratch, name, 'config.json');
  const framework = { kind: 'custom', deploy: ['node', 'scripts/gated-deploy.js'], remove: ['node', 'scripts/remove.js'] };
  writeFileSync(config, JSON.stringify({
    applications: [{
      name,
      repository: `acme/${name}`,
      source: './repo',
      environments: [{ kind: 'development', framework, variables: { GATE_DIR: gates, DEPLOYED_DIR: deployed } }],
    }],
  }));
  return { config, gates, deployed };
}

describe('kill -9 with a deploy running and a push waiting', () => {
  test('the restart fails the interrupted one (no phase left running), leaves no process of the old run, and deploys the waiting push by itself', async () => {
    const app = 'gated';
    const { config, gates, deployed } = gatedApp(app);
    const dataDir = join(scratch, 'killed-data');
    let trellis = await TrellisProcess.start(cli!, { dataDir, config });
    started.push(trellis);
    const api = new LocalApi(() => trellis);

    const held = await pushed(trellis, app, 'Held in its deploy');
    await api.logLine(held, /^Waiting for the gate /, 120_000);
    const waiting = await pushed(trellis, app, 'Waiting behind it');
    expect((await api.deployment(waiting)).status).toBe('queued');
    const heldCommit = (await api.deployment(held)).commit;
    const waitingCommit = (await api.deployment(waiting)).commit;
    expect((await storeOf(trellis).deployments.get(held))!.phases!.find(phase => phase.phase === 'deploy')).toMatchObject({ outcome: 'running' });

    // Every process of this run (DynamoDB Local, the builder, the deploy command), by pid and command line.
    const oldRun = noteDescendants(trellis, commands);
    const deploy = oldRun.find(pid => /scripts\/gated-deploy\.js/.test(cmdline(pid) ?? ''));
    expect(deploy).toBeDefined();
    const workspaces = workspacesIn(join(dataDir, 'server.log'));
    expect(workspaces).toHaveLength(1);
    // A sign-in of this run (a browser's, a terminal's `trellis login`) must outlive the restart.
    const signIn = await fetch(`${trellis.info.url}/auth/local/sign-in`, {
      method: 'POST', body: JSON.stringify({ user: 'admin', password: trellis.adminPassword }),
    });
    const { token: signedIn } = await signIn.json() as { token: string };
    await trellis.stop('SIGKILL');

    // The gate of the waiting commit is open: once re-queued, it deploys without a new push.
    writeFileSync(join(gates, waitingCommit), '');
    trellis = await TrellisProcess.start(cli!, { dataDir, config });
    started.push(trellis);
    noteDescendants(trellis, commands);

    const me = await fetch(`${trellis.info.url}/api/me`, { headers: { authorization: `Bearer ${signedIn}` } });
    expect([me.status, (await me.json() as { name: string }).name]).toEqual([200, 'admin']);

    const done = await api.terminal(waiting, 120_000);
    expect(done.status).toBe('succeeded');
    expect(existsSync(join(deployed, waitingCommit))).toBe(true);
    expect(existsSync(join(deployed, heldCommit))).toBe(false);
    const failed = await storeOf(trellis).deployments.get(held);
    expect(failed).toMatchObject({ status: 'failed', reason: INTERRUPTED_REASON });
    expect(failed!.phases!.filter(phase => phase.outcome === 'running')).toEqual([]);
    expect(failed!.phases!.find(phase => phase.phase === 'deploy')).toMatchObject({ outcome: 'failed', detail: INTERRUPTED_REASON });
    expect((await storeOf(trellis).deployments.get(waiting))!.phases!.filter(phase => phase.outcome === 'running')).toEqual([]);

    // Nothing of the old run is left: each of its processes is gone, or its pid now names another program.
    const left = oldRun.filter(pid => processAlive(pid) && cmdline(pid) === commands.get(pid));
    expect(left.map(pid => `${pid} ${cmdline(pid)}`)).toEqual([]);
    for (const workspace of workspaces) expect(existsSync(workspace)).toBe(false);
    // Opening the interrupted commit's gate now changes nothing: its deploy is not running anywhere.
    writeFileSync(join(gates, heldCommit), '');
    expect(await trellis.stop()).toBe(0);
    expect(existsSync(join(deployed, heldCommit))).toBe(false);
    expect(trellis.output).toContain('Stopped.');
  }, 400_000);
});

describe('a signal while trellis local starts', () => {
  /** Start `trellis local` without waiting for it, noting every descendant it starts while it runs. */
  function launch(dataDir: string): { child: ChildProcess; seen: Set<number>; output: () => string; exited: Promise<number | null> } {
    const child = spawn(process.execPath, [cli!, 'local', '--data-dir', dataDir, '--port', '0'], {
      env: { ...process.env, NODE_PATH: [join(ROOT, 'node_modules'), process.env.NODE_PATH].filter(Boolean).join(delimiter) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const run = { child, seen: new Set<number>() };
    raw.push(run);
    let output = '';
    child.stdout!.on('data', data => { output += data; });
    child.stderr!.on('data', data => { output += data; });
    const watch = setInterval(() => {
      for (const pid of descendantsOf(child.pid!)) {
        run.seen.add(pid);
        if (!commands.has(pid)) {
          const line = cmdline(pid);
          if (line) commands.set(pid, line);
        }
      }
    }, 20);
    const exited = new Promise<number | null>(resolve => child.once('exit', code => { clearInterval(watch); resolve(code); }));
    return { ...run, output: () => output, exited };
  }

  const dynamoRecord = (dataDir: string) => join(dataDir, 'processes', 'dynamodb.json');
  type Moment = (run: { seen: Set<number>; output: () => string }, startedAt: number) => boolean;
  const points: Array<[string, NodeJS.Signals, Moment]> = [
    ['as soon as it says it is starting', 'SIGINT', run => run.output().includes('Starting Trellis locally')],
    ['once its DynamoDB Local Java process runs (not ready yet)', 'SIGTERM', run => [...run.seen].some(pid => /DynamoDBLocal/.test(commands.get(pid) ?? ''))],
    ['1.5 s after launch', 'SIGINT', (_, startedAt) => Date.now() - startedAt >= 1500],
    ['3 s after launch', 'SIGTERM', (_, startedAt) => Date.now() - startedAt >= 3000],
  ];

  test.each(points)('%s (%s): every process of the run ends, nothing is left recorded, and it says "Stopped."', async (name, signal, ready) => {
    const dataDir = join(scratch, `starting-${name.replace(/\W+/g, '-')}`);
    const startedAt = Date.now();
    const run = launch(dataDir);
    await eventually(`the moment ${name}`, async () => ready(run, startedAt), 60_000);
    const java = existsSync(dynamoRecord(dataDir)) ? JSON.parse(readFileSync(dynamoRecord(dataDir), 'utf8')).pid as number : undefined;
    run.child.kill(signal);
    const code = await Promise.race([run.exited, new Promise<string>(resolve => setTimeout(() => resolve('still running'), 30_000).unref())]);
    expect(run.output()).toContain('Stopped.');
    expect(code).toBe(0);
    // No process the run started is alive (each seen one is gone, or its pid now names another program).
    const left = [...run.seen].filter(pid => processAlive(pid) && cmdline(pid) === commands.get(pid));
    expect(left.map(pid => `${pid} ${cmdline(pid)}`)).toEqual([]);
    if (java !== undefined) expect(processAlive(java) && /DynamoDBLocal/.test(cmdline(java) ?? '')).toBe(false);
    expect(existsSync(join(dataDir, 'server.json'))).toBe(false);
    expect(existsSync(join(dataDir, 'run.json'))).toBe(false);
    expect(existsSync(dynamoRecord(dataDir))).toBe(false);
  }, 90_000);
});
