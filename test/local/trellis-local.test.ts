import { execFileSync } from 'child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { dirname, join } from 'path';
import { processAlive } from './local-fixtures';
import { cleanUp, cmdline, noteDescendants } from './support/process-cleanup';
import { TrellisProcess, bundleTrellis, descendantsOf } from './support/trellis-process';
import { Deployment, LogRecord, isTerminal } from '../../src/runtime/core';
import { BUILD_PHASES } from '../../src/runtime/core/phase-markers';
import { eventually } from '../support/eventually';

/**
 * `trellis local` end to end, as a person runs it: the bundled command as a real process
 * (DynamoDB Local, the server, builds as child processes), the sample app pushed with
 * `trellis push`, the environment actions through the control API as the dashboard calls
 * them, the terminal's lines, the deployed folder, a killed builder, a restart on the same
 * data directory, and no process left behind.
 *
 * The tests share one local server and run in order; each leaves the state the next needs.
 */

const APP = 'sample-app';
/** Lines the sample deploy prints, given to the trellis process's own environment (not a configured variable). */
const PROCESS_ENV = { SAMPLE_DEPLOY_LINES: '3' };
const HOLD = 'SAMPLE_DEPLOY_HOLD_MS';

let cli: string | undefined;
let dataDir: string | undefined;
let trellis: TrellisProcess;
const started: TrellisProcess[] = [];
/** Command line of every descendant seen, by pid (to know what `.seen` covered, and to kill only ours in afterAll). */
const commands = new Map<number, string>();

const short = (sha: string) => sha.slice(0, 7);
const repo = () => trellis.info.applications[APP].path;
const pricingFile = () => join(repo(), 'src', 'pricing.js');
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** The process group of `pid` (from /proc). */
function processGroup(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
  } catch {
    return undefined;
  }
}

/** Note the running trellis's descendants and their command lines. */
const noteOurs = (): number[] => noteDescendants(trellis, commands);

/** `probe`, noting the running trellis's descendants each time it is asked (they are killed in afterAll). */
const noting = <T>(probe: () => Promise<T>) => async (): Promise<T> => {
  noteOurs();
  return probe();
};
/** How often the API is asked while waiting. */
const POLL_MS = 150;

async function api(method: string, path: string, body?: unknown, expected = 200): Promise<any> {
  const response = await trellis.api(method, path, body);
  if (response.status !== expected) throw new Error(`${method} ${path} answered ${response.status}, not ${expected}: ${JSON.stringify(response.body)}`);
  return response.body;
}

const deployment = (id: string): Promise<Deployment> => api('GET', `/api/deployments/${encodeURIComponent(id)}`);
const history = async (env: string): Promise<Deployment[]> => (await api('GET', `/api/apps/${APP}/environments/${env}/deployments?limit=100`)).items;
const environmentView = async (env: string) => (await api('GET', `/api/apps/${APP}`)).environments.find((candidate: { name: string }) => candidate.name === env);
const setVariables = (env: string, variables: Record<string, string | null>) =>
  api('PUT', `/api/apps/${APP}/environments/${env}/settings`, { variables });

/** Every record of a deployment's log, page by page. */
async function logOf(id: string): Promise<LogRecord[]> {
  const records: LogRecord[] = [];
  let from = 0;
  for (let page = 0; page < 100; page++) {
    const body = await api('GET', `/api/deployments/${encodeURIComponent(id)}/logs?from=${from}&limit=5000`);
    records.push(...body.records);
    if (body.end) return records;
    from = body.next;
  }
  throw new Error(`the log of ${id} did not end`);
}

/** Wait for the deployment to reach `status`; fail at once when it ends otherwise. */
async function waitForStatus(id: string, status: string, timeoutMs = 60_000): Promise<Deployment> {
  return eventually(`deployment ${id} to be ${status}`, noting(async () => {
    const current = await deployment(id);
    if (current.status === status) return current;
    if (isTerminal(current.status)) {
      throw new Error(`deployment ${id} ended ${current.status}, not ${status}: ${JSON.stringify(current)}\n${trellis.output}`);
    }
    return undefined;
  }), timeoutMs, POLL_MS);
}

/** Wait until the deployment's log has a line matching `pattern` (e.g. the deploy holding). */
async function waitForLogLine(id: string, pattern: RegExp, timeoutMs = 60_000): Promise<LogRecord> {
  return eventually(`a log line ${pattern} of ${id}`, noting(async () => (await logOf(id)).find(record => pattern.test(record.text))), timeoutMs, POLL_MS);
}

/** `trellis push sample-app main`: the commit it made and the dev deployment it queued. */
async function push(message: string): Promise<{ commit: string; id: string }> {
  const output = await trellis.push(APP, 'main', message);
  const commit = execFileSync('git', ['-C', repo(), 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
  expect(output).toContain(`pushed ${short(commit)} to ${APP} main`);
  const queued = [...output.matchAll(/queued (\S+)\s+\S+#\/deployments\/(\S+)/g)];
  expect(queued.map(match => match[1])).toEqual([`${APP}/dev`]); // only dev tracks main
  return { commit, id: decodeURIComponent(queued[0][2]) };
}

/** `<dataDir>/deployed/<stage>/version.json`, or undefined when nothing is deployed there. */
function deployed(stage: string): { commit: string; stage: string; deployedAt: string } | undefined {
  const file = join(dataDir!, 'deployed', stage, 'version.json');
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : undefined;
}

/** Where the next terminal line will be (the last element of `lines` is the line still being written, or ''). */
const mark = () => Math.max(0, trellis.lines.length - 1);

/** Index of the first terminal line (from `from`) matching `pattern`, or -1. */
function lineIndex(pattern: RegExp, from = 0): number {
  const index = trellis.lines.slice(from).findIndex(line => pattern.test(line));
  return index < 0 ? -1 : from + index;
}

const line = (env: string, status: string, action: string, commit: string) =>
  new RegExp(`\\s${escape(`${APP}/${env}`)}\\s+${status}\\s+${action} ${short(commit)}\\b`);

/** Each phase of a deployment, with its outcome. */
const phaseOutcomes = (d: Deployment) => Object.fromEntries((d.phases ?? []).map(phase => [phase.phase, phase.outcome]));

beforeAll(async () => {
  cli = bundleTrellis();
  dataDir = mkdtempSync(join(tmpdir(), 'trellis-local-e2e-'));
  trellis = await TrellisProcess.start(cli, { dataDir, env: PROCESS_ENV });
  started.push(trellis);
  noteOurs();
}, 150_000);

afterAll(async () => {
  // For a failed run: TRELLIS_E2E_OUTPUT=<file> keeps what each trellis process printed.
  if (process.env.TRELLIS_E2E_OUTPUT) writeFileSync(process.env.TRELLIS_E2E_OUTPUT, started.map(proc => proc.output).join('\n=====\n'));
  // Whatever a failed test left: the servers, their processes, build workspaces, the data directory.
  await cleanUp(started, commands, [dataDir, cli && dirname(dirname(cli))].filter((path): path is string => path !== undefined));
}, 60_000);

describe('trellis local as a real process', () => {
  let first: { commit: string; id: string };
  /** The dev deployments of the push race: A (held), B (superseded), C (deployed). */
  let a: { commit: string; id: string };
  let b: { commit: string; id: string };
  let c: { commit: string; id: string };
  /** staging's promotion of C, and of the fix after the failing test. */
  let stagingC: Deployment;
  let fix: { commit: string; id: string };
  let historyBeforeRestart: Record<string, Deployment[]>;
  let firstLog: LogRecord[];

  test('a push to main deploys dev, with its tests run', async () => {
    expect(trellis.info.applications[APP]).toBeDefined();
    expect(deployed('dev')).toBeUndefined();
    const from = mark();
    first = await push('First change');

    const done = await waitForStatus(first.id, 'succeeded');
    expect(done).toMatchObject({ application: APP, environment: 'dev', action: 'deploy', commit: first.commit, trigger: { kind: 'push' } });
    await trellis.waitForLine(line('dev', 'succeeded', 'deploy', first.commit), 10_000, from);
    expect(lineIndex(line('dev', 'queued', 'deploy', first.commit), from)).toBeGreaterThanOrEqual(from);
    expect(lineIndex(line('dev', 'running', 'deploy', first.commit), from)).toBeGreaterThan(lineIndex(line('dev', 'queued', 'deploy', first.commit), from));

    // Phases in build order; the tests ran and passed before the deploy.
    const names = (done.phases ?? []).map(phase => phase.phase);
    expect(names).toEqual(BUILD_PHASES.filter(phase => names.includes(phase)));
    expect(names).toEqual(expect.arrayContaining(['clone', 'install', 'test', 'deploy']));
    expect(phaseOutcomes(done)).toMatchObject({ clone: 'succeeded', install: 'succeeded', test: 'succeeded', deploy: 'succeeded' });
    expect(done.phases!.find(phase => phase.phase === 'test')!.detail).toContain('npm');
    // The seeded sample config health-checks dev on the local server, which runs the deployed app.
    expect(done.phases!.find(phase => phase.phase === 'health')).toMatchObject({ outcome: 'succeeded', detail: expect.stringContaining(`${trellis.info.url}/apps/dev/health answered 200`) });
    const log = (await logOf(first.id)).map(record => record.text).join('\n');
    expect(log).toContain('subtotal multiplies unit price by quantity'); // the sample app's own test ran
    expect(log).toContain(`Deployed ${short(first.commit)} to stage dev`);

    expect(deployed('dev')).toMatchObject({ commit: first.commit, stage: 'dev' });
    expect(await environmentView('dev')).toMatchObject({ currentCommit: first.commit, currentDeploymentId: first.id });
  }, 90_000);

  test('pushes while a build runs: the running one finishes, the middle one is superseded, the newest deploys', async () => {
    const from = mark();
    // Hold dev's deploy (a configured variable, read when A's build prepares), so A still runs while B and C arrive.
    await setVariables('dev', { [HOLD]: '8000' });
    a = await push('Change A');
    await waitForLogLine(a.id, /^Holding 8000 ms before writing/);
    await setVariables('dev', { [HOLD]: null }); // B and C (not yet prepared) deploy without the hold
    b = await push('Change B');
    expect((await deployment(b.id)).status).toBe('queued');
    c = await push('Change C');

    // B gives way to C (when C's launch is handled, just after the webhook answered) while A still runs and C waits.
    const supersededB = await eventually('B to be superseded', noting(async () => {
      const current = await deployment(b.id);
      return current.status !== 'queued' && current;
    }), 10_000, POLL_MS);
    expect(supersededB.status).toBe('superseded');
    expect(supersededB.reason).toContain(c.id);
    const [runningA, waitingC] = await Promise.all([deployment(a.id), deployment(c.id)]);
    expect(runningA.status).toBe('running');
    expect(waitingC.status).toBe('queued');

    expect((await waitForStatus(a.id, 'succeeded', 60_000)).commit).toBe(a.commit);
    const doneC = await waitForStatus(c.id, 'succeeded', 60_000);
    expect(phaseOutcomes(doneC)).toMatchObject({ test: 'succeeded', deploy: 'succeeded' });
    expect(deployed('dev')).toMatchObject({ commit: c.commit, stage: 'dev' });

    // B never ran.
    const finalB = await deployment(b.id);
    expect(finalB).toMatchObject({ status: 'superseded', commit: b.commit });
    expect(finalB.startedAt).toBeUndefined();
    expect(finalB.taskId).toBeUndefined();
    expect(await logOf(b.id)).toEqual([]);

    // The terminal told it in that order.
    await trellis.waitForLine(line('dev', 'succeeded', 'deploy', c.commit), 10_000, from);
    const order = [
      line('dev', 'running', 'deploy', a.commit),
      line('dev', 'queued', 'deploy', b.commit),
      line('dev', 'superseded', 'deploy', b.commit),
      line('dev', 'succeeded', 'deploy', a.commit),
      line('dev', 'running', 'deploy', c.commit),
      line('dev', 'succeeded', 'deploy', c.commit),
    ].map(pattern => lineIndex(pattern, from));
    expect(order.every(index => index >= from)).toBe(true);
    expect([...order].sort((x, y) => x - y)).toEqual(order);
    expect(lineIndex(line('dev', 'running', 'deploy', b.commit), from)).toBe(-1);
    expect(trellis.lines[order[2]]).toContain(`superseded by ${c.id}`);

    // The API's history, newest first.
    const recent = (await history('dev')).slice(0, 4);
    expect(recent.map(item => [item.id, item.status])).toEqual([
      [c.id, 'succeeded'], [b.id, 'superseded'], [a.id, 'succeeded'], [first.id, 'succeeded'],
    ]);
  }, 120_000);

  test('promote dev → staging through the control API', async () => {
    expect(deployed('staging')).toBeUndefined();
    const from = mark();
    stagingC = await api('POST', `/api/apps/${APP}/environments/dev/promote`, {}, 202);
    expect(stagingC).toMatchObject({ environment: 'staging', action: 'promote', commit: c.commit, trigger: { kind: 'promotion', sourceDeploymentId: c.id } });
    const done = await waitForStatus(stagingC.id, 'succeeded');
    expect(phaseOutcomes(done)).toMatchObject({ test: 'succeeded', deploy: 'succeeded' });
    await trellis.waitForLine(line('staging', 'succeeded', 'promote', c.commit), 10_000, from);
    expect(deployed('staging')).toMatchObject({ commit: c.commit, stage: 'staging' });
    expect(deployed('dev')).toMatchObject({ commit: c.commit });
    expect(await environmentView('staging')).toMatchObject({ currentCommit: c.commit, currentDeploymentId: stagingC.id });
    expect(deployed('production')).toBeUndefined();
  }, 90_000);

  test('a commit whose tests fail does not deploy; dev keeps the version it had', async () => {
    const original = readFileSync(pricingFile(), 'utf8');
    const broken = original.replace('const DISCOUNT_RATE = 0.1;', 'const DISCOUNT_RATE = 0.2;');
    expect(broken).not.toBe(original);
    writeFileSync(pricingFile(), broken);
    const from = mark();
    const bad = await push('Bigger bulk discount');

    const failed = await waitForStatus(bad.id, 'failed');
    expect(failed.commit).toBe(bad.commit);
    // The cause is the test runner's summary (node --test: TAP or spec, by Node version).
    expect(failed.reason).toMatch(/^test failed: npm run test exited with code 1: 2 failed, 6 passed(; first: .+)?$/);
    expect(phaseOutcomes(failed)).toMatchObject({ install: 'succeeded', test: 'failed' });
    expect(phaseOutcomes(failed).deploy).toBeUndefined();
    const failedLine = await trellis.waitForLine(line('dev', 'failed', 'deploy', bad.commit), 10_000, from);
    expect(failedLine).toContain(failed.reason);
    const log = (await logOf(bad.id)).map(record => record.text).join('\n');
    expect(log).toContain('orders of 100.00 or more get 10% off');
    expect(log).not.toContain(`Deployed ${short(bad.commit)}`);

    expect(deployed('dev')).toMatchObject({ commit: c.commit });
    expect(await environmentView('dev')).toMatchObject({ currentCommit: c.commit, currentDeploymentId: c.id });

    // The fix: dev is green again.
    writeFileSync(pricingFile(), original);
    fix = await push('Restore the 10% discount');
    expect(phaseOutcomes(await waitForStatus(fix.id, 'succeeded'))).toMatchObject({ test: 'succeeded', deploy: 'succeeded' });
    expect(deployed('dev')).toMatchObject({ commit: fix.commit });
  }, 120_000);

  test('roll staging back to an earlier version', async () => {
    const promoted = await api('POST', `/api/apps/${APP}/environments/dev/promote`, {}, 202);
    expect(promoted.commit).toBe(fix.commit);
    await waitForStatus(promoted.id, 'succeeded');
    expect(deployed('staging')).toMatchObject({ commit: fix.commit });

    const from = mark();
    const rollback: Deployment = await api('POST', `/api/apps/${APP}/environments/staging/rollback`, { deploymentId: stagingC.id }, 202);
    expect(rollback).toMatchObject({ environment: 'staging', action: 'rollback', commit: c.commit, trigger: { kind: 'rollback', sourceDeploymentId: stagingC.id } });
    await waitForStatus(rollback.id, 'succeeded');
    await trellis.waitForLine(line('staging', 'succeeded', 'rollback', c.commit), 10_000, from);
    expect(deployed('staging')).toMatchObject({ commit: c.commit, stage: 'staging' });
    expect(await environmentView('staging')).toMatchObject({ currentCommit: c.commit, currentDeploymentId: rollback.id });
  }, 90_000);

  test('tear down staging', async () => {
    expect(existsSync(join(dataDir!, 'deployed', 'staging'))).toBe(true);
    const teardown: Deployment = await api('POST', `/api/apps/${APP}/environments/staging/teardown`, { confirm: 'staging' }, 202);
    expect(teardown).toMatchObject({ environment: 'staging', action: 'teardown', commit: c.commit });
    const done = await waitForStatus(teardown.id, 'succeeded');
    expect(phaseOutcomes(done)).toMatchObject({ test: 'skipped', remove: 'succeeded' });
    expect(existsSync(join(dataDir!, 'deployed', 'staging'))).toBe(false);
    const view = await environmentView('staging');
    expect(view.currentCommit).toBeUndefined();
    expect(view.currentDeploymentId).toBeUndefined();
    expect(view.lastDeployment).toMatchObject({ id: teardown.id, action: 'teardown', status: 'succeeded' });
    expect(deployed('dev')).toMatchObject({ commit: fix.commit }); // only staging went
  }, 90_000);

  test('a builder killed mid-deploy fails its deployment, and the queued one runs', async () => {
    await setVariables('dev', { [HOLD]: '60000' });
    const from = mark();
    const held = await push('Slow deploy');
    await waitForLogLine(held.id, /^Holding 60000 ms before writing/);
    const running = await deployment(held.id);
    expect(running.status).toBe('running');

    // The builder: trellis's descendant running builder.js, in a process group of its own with the commands it runs.
    const builders = noteOurs().filter(pid => /\bbuilder\.js\b/.test(cmdline(pid) ?? ''));
    expect(builders).toHaveLength(1);
    const builder = builders[0];
    expect(running.taskId).toMatch(new RegExp(`^local-${builder}-`));
    expect(processGroup(builder)).toBe(builder);
    const group = descendantsOf(builder);
    expect(group.some(pid => /scripts\/deploy\.js/.test(cmdline(pid) ?? ''))).toBe(true);
    expect(group.every(pid => processGroup(pid) === builder)).toBe(true);

    await setVariables('dev', { [HOLD]: null });
    const next = await push('After the slow one');
    expect((await deployment(next.id)).status).toBe('queued');
    expect((await deployment(held.id)).status).toBe('running');

    process.kill(builder, 'SIGKILL');
    const failed = await waitForStatus(held.id, 'failed', 30_000);
    expect(failed.reason).toMatch(/137|SIGKILL/);
    expect(failed.finishedAt).toBeDefined();
    const failedLine = await trellis.waitForLine(line('dev', 'failed', 'deploy', held.commit), 10_000, from);
    expect(failedLine).toContain(failed.reason);
    // Nothing of the killed build is left (the deploy command it ran included).
    await eventually('the killed build\'s processes to end', async () => group.every(pid => !processAlive(pid)), 15_000);

    const done = await waitForStatus(next.id, 'succeeded');
    expect(done.commit).toBe(next.commit);
    expect(deployed('dev')).toMatchObject({ commit: next.commit, stage: 'dev' });
    expect(lineIndex(line('dev', 'running', 'deploy', next.commit), from)).toBeGreaterThan(lineIndex(line('dev', 'failed', 'deploy', held.commit), from));
    expect(await environmentView('dev')).toMatchObject({ currentCommit: next.commit, currentDeploymentId: next.id });
  }, 120_000);

  test('a restart on the same data directory keeps history and logs', async () => {
    historyBeforeRestart = { dev: await history('dev'), staging: await history('staging'), production: await history('production') };
    expect(historyBeforeRestart.dev).toHaveLength(8); // first, A, B, C, the failing one, the fix, the killed one, the one after it
    expect(historyBeforeRestart.staging.map(item => item.action)).toEqual(['teardown', 'rollback', 'promote', 'promote']);
    expect(historyBeforeRestart.production).toEqual([]);
    firstLog = await logOf(first.id);
    expect(firstLog.length).toBeGreaterThan(10);
    const password = trellis.adminPassword;

    const pid = trellis.child.pid!;
    expect(await trellis.stop('SIGINT')).toBe(0);
    expect(trellis.output).toContain('Stopped.');
    expect(existsSync(join(dataDir!, 'server.json'))).toBe(false);
    expect(processAlive(pid)).toBe(false);

    trellis = await TrellisProcess.start(cli!, { dataDir: dataDir!, env: PROCESS_ENV });
    started.push(trellis);
    noteOurs();
    expect(trellis.info.pid).not.toBe(pid);
    expect(trellis.adminPassword).toBe(password);

    for (const env of ['dev', 'staging', 'production']) expect(await history(env)).toEqual(historyBeforeRestart[env]);
    const log = await logOf(first.id);
    expect(log).toEqual(firstLog);
    expect(log.map(record => record.seq)).toEqual(log.map((_, index) => index));
    const text = log.map(record => record.text);
    expect(text).toContain(`Deployed ${short(first.commit)} to stage dev`);
    // The trellis process's own environment reached the deploy command (through the builder).
    expect(text.some(entry => /^sample line 3 of 3 /.test(entry))).toBe(true);
    expect(text.some(entry => /^sample line 4 of /.test(entry))).toBe(false);
    expect(deployed('dev')).toMatchObject({ commit: historyBeforeRestart.dev[0].commit });
  }, 150_000);

  test('after the last stop no process of it is left, and no server.json', async () => {
    noteOurs();
    // The check covers what it must: DynamoDB Local's Java, builders, npm and the deploy commands.
    const seenCommands = [...new Set(started.flatMap(proc => [...proc.seen]))].map(pid => commands.get(pid) ?? '');
    for (const what of [/java/, /builder\.js/, /\bnpm\b|npm-cli/, /scripts\/deploy\.js/]) {
      expect(seenCommands.some(entry => what.test(entry))).toBe(true);
    }
    expect(seenCommands.filter(entry => /java/.test(entry)).length).toBeGreaterThanOrEqual(2); // one per run

    expect(await trellis.stop('SIGINT')).toBe(0);
    const seen = [...new Set(started.flatMap(proc => [...proc.seen]))]; // with what was alive when it was told to stop
    expect(existsSync(join(dataDir!, 'server.json'))).toBe(false);
    await eventually('every process trellis started to end', async () => seen.every(pid => !processAlive(pid)), 15_000)
      .catch(error => {
        const alive = seen.filter(pid => processAlive(pid)).map(pid => `${pid} ${commands.get(pid)}`);
        throw new Error(`${(error as Error).message}; still alive:\n${alive.join('\n')}`);
      });
    expect(started.every(proc => proc.child.exitCode === 0)).toBe(true);
  }, 90_000);
});
