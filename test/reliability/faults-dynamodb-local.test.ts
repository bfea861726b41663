import { mkdtempSync, readFileSync } from 'fs';
import { tmpdir } from 'os';
import { dirname, join } from 'path';
import { LocalApi, dynamoOf, pushed, storeOf } from './support/local-trellis';
import { settled } from './support/settled';
import { INTERRUPTED_REASON } from '../../src/local/interrupted';
import { processAlive } from '../local/local-fixtures';
import { cleanUp, cmdline, noteDescendants } from '../local/support/process-cleanup';
import { TrellisProcess, bundleTrellis } from '../local/support/trellis-process';
import { eventually } from '../support/eventually';

/**
 * Faults in local mode: DynamoDB Local dies mid-run (killed, as the OOM killer or a
 * stray `kill` would). Expected, as a developer would want it: `trellis local` notices, starts
 * DynamoDB Local again on the same port with the same database files, and carries on: the
 * writes that failed meanwhile (log records, the build's end, the next launch) are retried, so
 * the running deployment ends as it would have, the waiting one runs, nothing is lost. When
 * the server dies with it, the next start ends the unfinished deployment as failed with the
 * reason and frees its environment.
 */

const APP = 'sample-app';
const LINES = 60;

let cli: string | undefined;
let dataDir: string | undefined;
let trellis: TrellisProcess;
const started: TrellisProcess[] = [];
const commands = new Map<number, string>();
const api = new LocalApi(() => trellis);
const setVariables = (variables: Record<string, string | null>) => api.call('PUT', `/api/apps/${APP}/environments/dev/settings`, { variables });

beforeAll(async () => {
  cli = bundleTrellis();
  dataDir = mkdtempSync(join(tmpdir(), 'trellis-faults-dynamo-'));
  trellis = await TrellisProcess.start(cli, { dataDir, env: { SAMPLE_DEPLOY_LINES: '3' } });
  started.push(trellis);
  noteDescendants(trellis, commands);
}, 150_000);

afterAll(async () => {
  await cleanUp(started, commands, [dataDir, cli && dirname(dirname(cli))].filter((path): path is string => Boolean(path)));
}, 60_000);

test('DynamoDB Local killed while a build streams its log and another waits: restarted, both deploy, no line lost', async () => {
  const t0 = Date.now();
  await setVariables({ SAMPLE_DEPLOY_LINES: String(LINES), SAMPLE_LINE_MS: '150' });
  const a = await pushed(trellis, APP, 'Streaming deploy');
  await api.logLine(a, new RegExp(`^sample line 5 of ${LINES} `));
  await setVariables({ SAMPLE_DEPLOY_LINES: null, SAMPLE_LINE_MS: null });
  const b = await pushed(trellis, APP, 'Waiting behind it');
  expect((await api.deployment(b)).status).toBe('queued');
  noteDescendants(trellis, commands);

  const before = dynamoOf(trellis);
  const from = trellis.lines.length - 1;
  process.kill(before.pid, 'SIGKILL');
  const killedAt = Date.now();
  await trellis.waitForLine(/DynamoDB Local stopped \(killed by SIGKILL\); restarting it on port \d+ with the same data/, 30_000, from);
  await trellis.waitForLine(/DynamoDB Local is running again \(pid \d+\)/, 60_000, from);
  const backAfterMs = Date.now() - killedAt;
  noteDescendants(trellis, commands);

  // The same endpoint, a new process, recorded in server.json for the next start's leftover check.
  const after = dynamoOf(trellis);
  expect(after.endpoint).toBe(before.endpoint);
  expect(after.pid).not.toBe(before.pid);
  expect(processAlive(before.pid)).toBe(false);
  expect(cmdline(after.pid)).toContain(join(dataDir!, 'dynamodb'));

  // Both end as they would have without the fault, a first and b after it.
  const doneA = await api.terminal(a);
  const doneB = await api.terminal(b);
  expect([doneA.status, doneA.reason]).toEqual(['succeeded', undefined]);
  expect([doneB.status, doneB.reason]).toEqual(['succeeded', undefined]);
  expect(doneB.startedAt! >= doneA.finishedAt!).toBe(true);

  // Nothing lost: every line a printed (some while the table was gone) is stored once, in order.
  const log = await api.log(a);
  expect(log.map(record => record.seq)).toEqual(log.map((_, index) => index));
  const sampleLines = log.map(record => /^sample line (\d+) of /.exec(record.text)?.[1]).filter(Boolean).map(Number);
  expect(sampleLines).toEqual(Array.from({ length: LINES }, (_, i) => i + 1));
  expect(log.some(record => record.text.startsWith(`Deployed ${doneA.commit.slice(0, 7)} to stage dev`))).toBe(true);

  // Every deployment is in the history and terminal; the lock is free; the next push deploys.
  const history = await api.history(APP, 'dev');
  expect(history.map(d => d.id)).toEqual(expect.arrayContaining([a, b]));
  expect(await settled(storeOf(trellis), APP, 'dev')).toMatchObject({ unfinished: [], lockHolder: undefined, pending: undefined, currentDeploymentId: b });
  const c = await pushed(trellis, APP, 'After the outage');
  expect(await api.terminal(c)).toMatchObject({ status: 'succeeded' });
  console.log(`faults-dynamodb-local: DynamoDB Local back ${backAfterMs} ms after the kill; scenario took ${Date.now() - t0} ms`);
}, 240_000);

test('the server and DynamoDB Local killed together mid-deploy: the next start fails it with the reason, deploys the waiting push, keeps the history', async () => {
  await setVariables({ SAMPLE_DEPLOY_HOLD_MS: '60000' });
  const held = await pushed(trellis, APP, 'Held when the machine dies');
  await api.logLine(held, /^Holding 60000 ms before writing/);
  await setVariables({ SAMPLE_DEPLOY_HOLD_MS: null });
  const waiting = await pushed(trellis, APP, 'Waiting when the machine dies');
  const historyBefore = (await api.history(APP, 'dev')).map(d => d.id);
  noteDescendants(trellis, commands);

  const { pid: java } = dynamoOf(trellis);
  trellis.child.kill('SIGKILL');
  process.kill(java, 'SIGKILL');
  await eventually('the server and DynamoDB Local to end', async () => !processAlive(trellis.child.pid!) && !processAlive(java), 10_000);

  trellis = await TrellisProcess.start(cli!, { dataDir: dataDir!, env: { SAMPLE_DEPLOY_LINES: '3' } });
  started.push(trellis);
  noteDescendants(trellis, commands);
  // The running one failed with the reason; the waiting one was put back on the queue and deploys by itself.
  expect(await api.deployment(held)).toMatchObject({ status: 'failed', reason: INTERRUPTED_REASON });
  expect(await api.terminal(waiting)).toMatchObject({ status: 'succeeded' });
  expect((await api.history(APP, 'dev')).map(d => d.id)).toEqual(historyBefore);
  expect(await settled(storeOf(trellis), APP, 'dev')).toMatchObject({ unfinished: [], lockHolder: undefined, pending: undefined, currentDeploymentId: waiting });
  const next = await pushed(trellis, APP, 'After the restart');
  expect(await api.terminal(next)).toMatchObject({ status: 'succeeded' });
  // The old server's files are not reused by accident: the new DynamoDB Local is a new process.
  expect(dynamoOf(trellis).pid).not.toBe(java);
  expect(readFileSync(join(dataDir!, 'server.json'), 'utf8')).toContain(`"pid": ${trellis.child.pid}`);
}, 240_000);

test('a clean stop after another restart leaves no process of this server behind, the replacement DynamoDB Local included', async () => {
  const from = trellis.lines.length - 1;
  const { pid: java } = dynamoOf(trellis);
  process.kill(java, 'SIGKILL');
  const announced = await trellis.waitForLine(/DynamoDB Local is running again \(pid \d+\)/, 60_000, from);
  const replacement = dynamoOf(trellis).pid;
  // server.json names the replacement by the time the server says it is running.
  expect(announced).toContain(`(pid ${replacement})`);
  noteDescendants(trellis, commands);
  expect(trellis.seen.has(replacement)).toBe(true);

  // Only this server's processes: builds of the server killed above outlive it (a documented limit of kill -9).
  const seen = [...trellis.seen];
  expect(await trellis.stop('SIGINT')).toBe(0);
  await eventually('every process this server started to end', async () => seen.every(pid => !processAlive(pid)), 20_000).catch(() => {
    throw new Error(`still alive: ${seen.filter(pid => processAlive(pid)).map(pid => `${pid} ${commands.get(pid)}`).join('; ')}`);
  });
  expect(trellis.output).toContain('Stopped.');
}, 120_000);
