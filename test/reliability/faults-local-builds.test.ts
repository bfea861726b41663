import { mkdtempSync } from 'fs';
import { tmpdir } from 'os';
import { dirname, join } from 'path';
import { LocalApi, pushed, storeOf, storedConnections } from './support/local-trellis';
import { settled } from './support/settled';
import { cleanUp, cmdline, noteDescendants } from '../local/support/process-cleanup';
import { TrellisProcess, bundleTrellis, descendantsOf } from '../local/support/trellis-process';
import { TestClient } from '../logs/socket-client';
import { eventually } from '../support/eventually';

/**
 * Faults in local mode against the real `trellis local` process: the builder (or
 * the app's deploy command under it) killed mid-deploy, and live-log WebSocket clients that
 * vanish mid-stream without a close frame (or after sending a broken frame). After each:
 * the deployment ends terminal with a reason, the next one deploys, the server keeps
 * serving, the remaining clients get every line, and no dropped connection is left stored.
 */

const APP = 'sample-app';
const HOLD = 'SAMPLE_DEPLOY_HOLD_MS';

let cli: string | undefined;
let dataDir: string | undefined;
let trellis: TrellisProcess;
const commands = new Map<number, string>();
const api = new LocalApi(() => trellis);
const setVariables = (variables: Record<string, string | null>) => api.call('PUT', `/api/apps/${APP}/environments/dev/settings`, { variables });

beforeAll(async () => {
  cli = bundleTrellis();
  dataDir = mkdtempSync(join(tmpdir(), 'trellis-faults-builds-'));
  trellis = await TrellisProcess.start(cli, { dataDir, env: { SAMPLE_DEPLOY_LINES: '3' } });
  noteDescendants(trellis, commands);
}, 150_000);

afterAll(async () => {
  await cleanUp([trellis], commands, [dataDir, cli && dirname(dirname(cli))].filter((path): path is string => Boolean(path)));
}, 60_000);

/** A deployment holding in its deploy command, one more waiting behind it, and the held build's processes. */
async function heldWithWaiting(message: string): Promise<{ held: string; next: string; builder: number; deploy: number }> {
  await setVariables({ [HOLD]: '60000' });
  const held = await pushed(trellis, APP, message);
  await api.logLine(held, /^Holding 60000 ms before writing/);
  await setVariables({ [HOLD]: null });
  const next = await pushed(trellis, APP, `${message}: the next one`);
  const pids = noteDescendants(trellis, commands);
  const builders = pids.filter(pid => /\bbuilder\.js\b/.test(cmdline(pid) ?? ''));
  expect(builders).toHaveLength(1);
  // The node process itself (npm runs it through `sh -c`, whose command line names the script too).
  const deploy = descendantsOf(builders[0]).find(pid => /^\S*node scripts\/deploy\.js$/.test(cmdline(pid) ?? ''));
  expect(deploy).toBeDefined();
  expect((await api.deployment(next)).status).toBe('queued');
  return { held, next, builder: builders[0], deploy: deploy! };
}

async function expectNextDeploysAndLockFree(failed: string, next: string): Promise<void> {
  const done = await api.terminal(next);
  expect(done).toMatchObject({ status: 'succeeded' });
  expect(done.startedAt! >= (await api.deployment(failed)).finishedAt!).toBe(true);
  const state = await settled(storeOf(trellis), APP, 'dev');
  expect(state).toMatchObject({ unfinished: [], lockHolder: undefined, pending: undefined, currentDeploymentId: next });
  expect(state.deployments.map(d => d.id)).toEqual(expect.arrayContaining([failed, next]));
}

describe('the builder killed', () => {
  test('SIGKILL to the builder mid-deploy: failed with the signal as reason, the waiting one deploys', async () => {
    const { held, next, builder } = await heldWithWaiting('Builder killed');
    process.kill(builder, 'SIGKILL');
    const failed = await api.terminal(held, 30_000);
    expect(failed.status).toBe('failed');
    expect(failed.reason).toMatch(/code 137|SIGKILL/);
    await expectNextDeploysAndLockFree(held, next);
  }, 180_000);

  test('SIGKILL to the app\'s deploy command under the builder: failed naming the phase, the waiting one deploys', async () => {
    const { held, next, deploy } = await heldWithWaiting('Deploy command killed');
    process.kill(deploy, 'SIGKILL');
    const failed = await api.terminal(held, 30_000);
    expect(failed.status).toBe('failed');
    expect(failed.reason).toMatch(/^deploy failed/);
    await expectNextDeploysAndLockFree(held, next);
  }, 180_000);
});

describe('live-log WebSocket clients dropping', () => {
  const LINES = 150;

  test('clients vanish mid-stream: the server keeps serving, the others get every line, no connection is left stored', async () => {
    const { token } = await (await fetch(`${trellis.info.url}/auth/local/sign-in`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: 'admin', password: trellis.adminPassword }),
    })).json() as { token: string };
    const url = `${trellis.info.webSocketUrl}?token=${token}`;
    expect(await storedConnections(trellis)).toEqual([]);

    await setVariables({ SAMPLE_DEPLOY_LINES: String(LINES), SAMPLE_LINE_MS: '40' });
    const id = await pushed(trellis, APP, 'Streaming to many clients');
    const clients = await Promise.all(Array.from({ length: 6 }, () => TestClient.connect(url)));
    const idle = await TestClient.connect(url); // connected, never subscribes
    for (const client of clients) client.subscribe(id);
    noteDescendants(trellis, commands); // the build's processes, for cleanUp if the server dies
    await Promise.all(clients.map(client => client.until(() => client.assembled.some(record => /^sample line 20 of /.test(record.text)), 60_000)));
    await setVariables({ SAMPLE_DEPLOY_LINES: null, SAMPLE_LINE_MS: null });

    // Three ways to vanish: TCP gone without a close frame, the same on an idle one, a broken frame then gone.
    const [dropped, destroyed, broken, ...kept] = clients;
    dropped.socket.terminate();
    (idle.socket as unknown as { _socket: { destroy(): void } })._socket.destroy();
    (destroyed.socket as unknown as { _socket: { destroy(): void } })._socket.destroy();
    const raw = (broken.socket as unknown as { _socket: { write(data: Buffer): void; destroy(): void } })._socket;
    raw.write(Buffer.from([0x8f, 0x80, 0, 0, 0, 0])); // FIN + reserved opcode 0xF, masked, empty: a protocol error
    setTimeout(() => raw.destroy(), 50);

    const done = await api.terminal(id);
    expect(done.status).toBe('succeeded');
    const stored = await api.log(id);
    expect(stored.filter(record => /^sample line \d+ of /.test(record.text))).toHaveLength(LINES);
    for (const client of kept) {
      await client.until(() => client.next >= stored.length, 30_000);
      expect(client.assembled.map(record => [record.seq, record.text])).toEqual(stored.map(record => [record.seq, record.text]));
    }

    // The server is still the same process and answers; a new client can subscribe and gets the backlog.
    expect(trellis.child.exitCode).toBeNull();
    expect(trellis.child.signalCode).toBeNull();
    const late = await TestClient.connect(url);
    late.subscribe(id);
    await late.until(() => late.messages.some(message => message.type === 'subscribed'), 30_000);
    expect(late.assembled).toHaveLength(stored.length);

    // The dropped connections are gone from the table: only the kept and the late one remain, then none.
    await eventually('the dropped connections to be removed', async () => (await storedConnections(trellis)).length === kept.length + 1, 20_000)
      .catch(async error => { throw new Error(`${(error as Error).message}: ${JSON.stringify(await storedConnections(trellis))}`); });
    expect(await storeOf(trellis).connections.subscribers(id)).toHaveLength(kept.length + 1);
    await Promise.all([...kept, late].map(client => client.close()));
    await eventually('every connection to be removed', async () => (await storedConnections(trellis)).length === 0, 20_000);
    expect(await storeOf(trellis).connections.subscribers(id)).toEqual([]);

    // The environment is free for the next push.
    const next = await pushed(trellis, APP, 'After the clients dropped');
    expect(await api.terminal(next)).toMatchObject({ status: 'succeeded' });
  }, 180_000);
});
