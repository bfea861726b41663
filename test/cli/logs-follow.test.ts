import { ChildProcess, spawn } from 'child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { dirname, join } from 'path';
import { CuttingProxy } from './support/cutting-proxy';
import { recordLine } from '../../src/cli/log-lines';
import { Deployment, LogRecord, isTerminal } from '../../src/runtime/core';
import { cleanUp, noteDescendants } from '../local/support/process-cleanup';
import { TrellisProcess, bundleTrellis } from '../local/support/trellis-process';
import { eventually } from '../support/eventually';

/**
 * `trellis logs` end to end: the bundled command as a real process against a real
 * `trellis local`, through a proxy that forwards HTTP and the WebSocket, answers config.json with
 * its own address, and cuts the WebSocket while the build writes its log. What the command
 * prints is compared with the log the API stores: every line, in order, exactly once.
 */

const APP = 'sample-app';
/** The sample deploy writes these lines, one every LINE_MS, so the log is still being written when the socket is cut. */
const LINES = 600;
const LINE_MS = 10;

let cli: string | undefined;
let dataDir: string | undefined;
let configDir: string | undefined;
let trellis: TrellisProcess;
let proxy: CuttingProxy;
let token: string;
const started: TrellisProcess[] = [];
const commands = new Map<number, string>();
const running: ChildProcess[] = [];

beforeAll(async () => {
  cli = bundleTrellis();
  dataDir = mkdtempSync(join(tmpdir(), 'trellis-logs-e2e-'));
  configDir = mkdtempSync(join(tmpdir(), 'trellis-logs-config-'));
  trellis = await TrellisProcess.start(cli, { dataDir, env: { SAMPLE_DEPLOY_LINES: String(LINES), SAMPLE_LINE_MS: String(LINE_MS) } });
  started.push(trellis);
  noteDescendants(trellis, commands);
  proxy = await CuttingProxy.start(trellis.info.url);
  const signIn = await fetch(`${trellis.info.url}/auth/local/sign-in`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user: 'admin', password: trellis.adminPassword }),
  });
  ({ token } = await signIn.json() as { token: string });
}, 150_000);

afterAll(async () => {
  for (const child of running) if (child.exitCode === null) child.kill('SIGKILL');
  await proxy?.close();
  await cleanUp(started, commands, [dataDir, configDir, cli && dirname(dirname(cli))].filter((path): path is string => path !== undefined));
}, 60_000);

/** `trellis logs …` as a process, signed in to the proxy with TRELLIS_URL and TRELLIS_TOKEN, its output as it comes. */
function logs(...args: string[]) {
  return logsWith(token, ...args);
}

function logsWith(bearer: string, ...args: string[]) {
  const child = spawn(process.execPath, [cli!, 'logs', ...args], {
    env: { ...process.env, TRELLIS_URL: proxy.url, TRELLIS_TOKEN: bearer, TRELLIS_CONFIG_DIR: configDir! },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.push(child);
  const run = { stdout: '', stderr: '', exited: new Promise<number | null>(resolve => child.once('exit', code => resolve(code))) };
  child.stdout!.on('data', data => { run.stdout += data; });
  child.stderr!.on('data', data => { run.stderr += data; });
  return run;
}

async function api(path: string): Promise<any> {
  const response = await trellis.api('GET', path);
  if (response.status !== 200) throw new Error(`GET ${path} answered ${response.status}: ${JSON.stringify(response.body)}`);
  return response.body;
}

/** Every record of a deployment's stored log, page by page. */
async function storedLog(id: string): Promise<LogRecord[]> {
  const records: LogRecord[] = [];
  for (let from = 0; ;) {
    const page = await api(`/api/deployments/${encodeURIComponent(id)}/logs?from=${from}&limit=5000`);
    records.push(...page.records);
    if (page.end) return records;
    from = page.next;
  }
}

/** `trellis push` to main: the dev deployment it queued. */
async function push(message: string): Promise<string> {
  const output = await trellis.push(APP, 'main', message);
  const queued = /queued \S+\/dev\s+\S+#\/deployments\/(\S+)/.exec(output);
  if (!queued) throw new Error(`no dev deployment queued: ${output}`);
  return decodeURIComponent(queued[1]);
}

const jsonRecords = (stdout: string): LogRecord[] => stdout.split('\n').filter(Boolean).map(line => JSON.parse(line));
const sampleLines = (stdout: string) => [...stdout.matchAll(/sample line (\d+) of/g)].map(match => Number(match[1]));
const highest = (stdout: string) => Math.max(0, ...sampleLines(stdout));
const repo = () => trellis.info.applications[APP].path;

describe('trellis logs against a real trellis local', () => {
  let followed: string;

  test('--follow prints every line once, in order, across two dropped connections, and exits 0 when the deployment succeeded', async () => {
    writeFileSync(join(repo(), 'FOLLOW.md'), 'followed from a terminal\n');
    const id = await push('Follow me');
    followed = id;
    // Two at once: the API's records as JSON, and what a person reads.
    const json = logs(id, '--follow', '--json');
    const human = logs(`${APP}/dev`, '--follow');
    const both = () => `json stderr: ${json.stderr}\nhuman stderr: ${human.stderr}\nserver:\n${trellis.output.slice(-2000)}`;

    // First cut: while the deploy writes its lines.
    await eventually(() => `both to print sample lines (${both()})`, () => highest(json.stdout) >= 100 && highest(human.stdout) >= 100, 90_000);
    expect(proxy.cut()).toBe(2);
    await eventually(() => `both connected again (${both()})`, () => [json, human].every(run => /connected again, from line [1-9]\d*/.test(run.stderr)), 20_000);
    // Second cut, once the new connections brought live lines.
    const afterFirst = highest(json.stdout);
    await eventually(() => `live lines after the first cut (${both()})`, () => highest(json.stdout) > afterFirst + 50 && highest(human.stdout) > afterFirst + 50, 20_000);
    expect(proxy.cut()).toBe(2);
    const cutAt = highest(json.stdout);
    // The third connections carry the log on while the build is still running: not only the stored log read at the end.
    await eventually(() => `live lines after the second cut while the deployment runs (${both()})`, async () => {
      if (highest(json.stdout) > cutAt + 50) return true;
      const now: Deployment = await api(`/api/deployments/${encodeURIComponent(id)}`);
      if (isTerminal(now.status)) throw new Error(`the deployment ended (${now.status}) before live lines came after the second cut`);
      return false;
    }, 20_000, 100);

    expect(await json.exited).toBe(0);
    expect(await human.exited).toBe(0);
    expect(proxy.upgrades).toBeGreaterThanOrEqual(6);
    expect(json.stderr.match(/connecting again/g)).toHaveLength(2);

    const stored = await storedLog(id);
    expect(stored.length).toBeGreaterThan(LINES);
    expect(jsonRecords(json.stdout)).toEqual(stored);
    // Each sample line once (stdout and stderr are two pipes: their lines may swap, as stored).
    expect(sampleLines(json.stdout).sort((a, b) => a - b)).toEqual(Array.from({ length: LINES }, (_, i) => i + 1));

    // The person's view: the same lines, phases as they start and end, the outcome last.
    const final: Deployment = await api(`/api/deployments/${encodeURIComponent(id)}`);
    const lines = human.stdout.split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.pop()).toMatch(new RegExp(`^==> ${APP}/dev deploy ${final.commit.slice(0, 7)} succeeded in \\d`));
    expect(lines).toEqual(stored.map(record => recordLine(record, { colour: false })));
    expect(lines).toEqual(expect.arrayContaining(['==> test', expect.stringMatching(/^==> test succeeded in /), '==> deploy']));
    expect(`${json.stderr}${human.stderr}`).not.toContain(token);
  }, 180_000);

  test('without --follow: the stored log as it is; --json the API\'s records', async () => {
    const json = logs(followed, '--json');
    expect(await json.exited).toBe(0);
    expect(jsonRecords(json.stdout)).toEqual(await storedLog(followed));
  }, 30_000);

  test('--follow exits 1 with the reason when the deployment fails (with a viewer\'s API token, as in CI)', async () => {
    const created = await trellis.api('POST', '/api/tokens', { name: 'ci-logs', role: 'viewer', application: APP, expiresInDays: 1 });
    expect(created.status).toBe(201);
    const apiToken: string = created.body.token;
    const pricing = join(repo(), 'src', 'pricing.js');
    const original = readFileSync(pricing, 'utf8');
    writeFileSync(pricing, original.replace('const DISCOUNT_RATE = 0.1;', 'const DISCOUNT_RATE = 0.2;'));
    try {
      const id = await push('Bigger bulk discount');
      const upgrades = proxy.upgrades;
      const run = logsWith(apiToken, id, '--follow');
      expect(await run.exited).toBe(1);
      expect(proxy.upgrades).toBeGreaterThan(upgrades);
      expect(`${run.stdout}${run.stderr}`).not.toContain(apiToken);
      const failed: Deployment = await api(`/api/deployments/${encodeURIComponent(id)}`);
      expect(failed.status).toBe('failed');
      expect(run.stderr).toContain(`trellis: ${APP}/dev deploy ${failed.commit.slice(0, 7)} failed in`);
      expect(run.stderr).toContain(failed.reason);
      expect(run.stdout).toMatch(/^==> test failed in .+$/m);
      expect(run.stdout).toBe((await storedLog(id)).map(record => `${recordLine(record, { colour: false })}\n`).join(''));
    } finally {
      writeFileSync(pricing, original);
    }
  }, 120_000);
});
