import { execFileSync } from 'child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { dirname, join } from 'path';
import { DataDir } from '../../src/local/data-dir';
import { Deployment, isTerminal } from '../../src/runtime/core';
import { gitRepo, processAlive } from '../local/local-fixtures';
import { cleanUp, noteDescendants } from '../local/support/process-cleanup';
import { TrellisProcess, bundleTrellis } from '../local/support/trellis-process';
import { eventually } from '../support/eventually';
import { pushPayload, signedPushHeaders } from '../support/github-webhook';

/**
 * Load in local mode: 50 concurrent pushes on one branch of one app while 9 other
 * apps get pushes at the same moment, against the real `trellis local` process (DynamoDB
 * Local, the server, builds as child processes).
 *
 * Checked per environment: at most one deployment runs at any moment (seen three ways: the
 * deploy command's own start/end log, the deployments' startedAt/finishedAt, and the API
 * polled while the load runs), every deployment ends terminal (succeeded or superseded, none
 * left queued/running, none failed), a superseded deployment never ran, and what is finally
 * deployed is the newest push (the last commit pushed: the lock rule orders pushes of a branch by
 * their before → after chain, not by arrival; in the second test, the push sent after all the
 * others were answered).
 */

const APPS = 10;
/** The app that takes the 50 concurrent pushes. */
const HOT = 'load-0';
const BURST = 50;
/** Pushes to each of the other apps, at the same moment as the burst. */
const OTHERS_PUSHES = 3;
/** Commits per repository: two bursts for the hot app, a few rounds for the others. */
const COMMITS: Record<string, number> = { [HOT]: 2 * BURST + 1 };
const OTHER_COMMITS = 4 * OTHERS_PUSHES + 1;
/** How long each deploy holds between its start and end lines (so builds overlap in time). */
const HOLD_MS = 1000;

interface Accepted { app: string; commit: string; id: string; sentAt: number }

const apps = Array.from({ length: APPS }, (_, i) => `load-${i}`);

let cli: string | undefined;
let root: string | undefined;
let trellis: TrellisProcess | undefined;
let token: string | undefined;
/** Read (made on first use) the way `trellis push` does. */
let webhookSecret: string | undefined;
/** Commits of each app's main, oldest first (index 0 is the initial commit with deploy.js). */
const commits = new Map<string, string[]>();
/** Next unused commit index per app. */
const nextCommit = new Map<string, number>();
const commands = new Map<number, string>();
const logFile = () => join(root!, 'load.log');
const deployDir = () => join(root!, 'deployed');

const DEPLOY_JS = `
const { appendFileSync, mkdirSync, writeFileSync } = require('fs');
const { execFileSync } = require('child_process');
const { join } = require('path');
const sha = execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
const { LOAD_APP: app, LOAD_LOG: log, LOAD_DEPLOY_DIR: dir, LOAD_HOLD_MS: hold, STAGE: stage } = process.env;
appendFileSync(log, app + ' ' + stage + ' ' + sha + ' start ' + Date.now() + '\\n');
setTimeout(() => {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, app), sha);
  appendFileSync(log, app + ' ' + stage + ' ' + sha + ' end ' + Date.now() + '\\n');
}, Number(hold));
`;

/** `count` empty commits on main after the initial one, in one git fast-import; returns every commit of main, oldest first. */
function addCommits(dir: string, count: number): string[] {
  let stream = '';
  for (let i = 1; i <= count; i++) {
    const message = `load commit ${i}`;
    stream += `commit refs/heads/main\ncommitter Test <test@example.invalid> ${1_700_000_000 + i} +0000\ndata ${Buffer.byteLength(message)}\n${message}\n`;
    if (i === 1) stream += 'from refs/heads/main^0\n';
    stream += '\n';
  }
  execFileSync('git', ['-C', dir, 'fast-import', '--quiet'], { input: stream });
  execFileSync('git', ['-C', dir, 'reset', '-q', '--hard', 'main']);
  return execFileSync('git', ['-C', dir, 'rev-list', '--reverse', 'main'], { encoding: 'utf8' }).trim().split('\n');
}

function noteOurs(): void {
  if (trellis) noteDescendants(trellis, commands);
}

async function api(path: string): Promise<any> {
  if (!token) {
    const signIn = await fetch(`${trellis!.info.url}/auth/local/sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user: 'admin', password: trellis!.adminPassword }),
    });
    token = (await signIn.json() as { token: string }).token;
  }
  const response = await fetch(`${trellis!.info.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
  const body = await response.json().catch(() => undefined);
  if (response.status !== 200) throw new Error(`GET ${path} answered ${response.status}: ${JSON.stringify(body)}`);
  return body;
}

/** Every deployment of `app`'s dev environment, page by page (newest first). */
async function history(app: string): Promise<Deployment[]> {
  const all: Deployment[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 50; page++) {
    const body = await api(`/api/apps/${app}/environments/dev/deployments?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    all.push(...body.items);
    cursor = body.cursor;
    if (!cursor) return all;
  }
  throw new Error(`the history of ${app} did not end`);
}

/** When the first pushed commit of every app was made (whole seconds). */
const COMMITS_FROM = Math.floor(Date.now() / 1000) * 1000;

/** A GitHub-shaped push of `app`'s next commit, signed with the local webhook secret, sent with fetch. */
async function push(app: string): Promise<Accepted> {
  const index = nextCommit.get(app)!;
  nextCommit.set(app, index + 1);
  const list = commits.get(app)!;
  if (index >= list.length) throw new Error(`${app} has no commit left to push`);
  const [before, after] = [list[index - 1], list[index]];
  const { repository } = trellis!.info.applications[app];
  // Successive commits a second apart, as GitHub states them (whole seconds): pushes sent at once
  // with equal commit times and no before → after link between them are ordered by arrival, a
  // documented limit of the lock rule, not what this test measures.
  const timestamp = new Date(COMMITS_FROM + index * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const body = JSON.stringify(pushPayload({ app, repository, before, after, message: `load commit ${index}`, timestamp }));
  const secret = webhookSecret!;
  const sentAt = Date.now();
  const response = await fetch(trellis!.info.webhookUrl, {
    method: 'POST',
    headers: signedPushHeaders(secret, body),
    body,
  });
  const answer = await response.json().catch(() => undefined) as any;
  if (response.status !== 202 || answer?.deployments?.length !== 1) {
    throw new Error(`push of ${app} ${after} answered ${response.status}: ${JSON.stringify(answer)}`);
  }
  expect(answer.deployments[0]).toMatchObject({ application: app, environment: 'dev', commit: after });
  return { app, commit: after, id: answer.deployments[0].id, sentAt };
}

interface Watched { maxRunning: Map<string, number>; polls: { count: number; slowestMs: number } }

/**
 * Poll every app's history while `work` runs and until the pushed deployments are all terminal:
 * the most deployments seen running at once per app.
 */
async function watch(pushed: () => Accepted[], work: Promise<unknown>, timeoutMs = 75_000): Promise<Watched> {
  const maxRunning = new Map(apps.map(app => [app, 0]));
  const polls = { count: 0, slowestMs: 0 };
  let done = false;
  let failure: unknown;
  void work.then(() => { done = true; }, error => { done = true; failure = error; });
  let open: string[] = [];
  return eventually(() => `the pushed deployments to be terminal; still open: ${open.join(', ')}\n${trellis!.output}`, async () => {
    noteOurs();
    open = [];
    const started = Date.now();
    // One page per app, all apps at once (a round's deployments and any running one are among the newest 100).
    await Promise.all(apps.map(async app => {
      const items: Deployment[] = (await api(`/api/apps/${app}/environments/dev/deployments?limit=100`)).items;
      const running = items.filter(d => d.status === 'running').length;
      maxRunning.set(app, Math.max(maxRunning.get(app)!, running));
      const ids = new Set(pushed().filter(p => p.app === app).map(p => p.id));
      const byId = new Map(items.map(d => [d.id, d]));
      for (const id of ids) if (!byId.has(id) || !isTerminal(byId.get(id)!.status)) open.push(`${id} (${byId.get(id)?.status})`);
    }));
    polls.count++;
    polls.slowestMs = Math.max(polls.slowestMs, Date.now() - started);
    if (failure) throw failure;
    return done && open.length === 0 && { maxRunning, polls };
  }, timeoutMs, 100);
}

interface LogEntry { app: string; stage: string; sha: string; event: 'start' | 'end'; at: number }

function readLog(): LogEntry[] {
  if (!existsSync(logFile())) return [];
  return readFileSync(logFile(), 'utf8').split('\n').filter(Boolean).map(line => {
    const [app, stage, sha, event, at] = line.split(' ');
    return { app, stage, sha, event: event as 'start' | 'end', at: Number(at) };
  });
}

/**
 * Everything checked after a round: `pushed` are this round's accepted pushes, `expected` the
 * commit each app must end on; `logFrom` the log entries before the round.
 */
async function checkRound(pushed: Accepted[], expected: Map<string, string>, { maxRunning, polls }: Watched, logFrom: number) {
  const log = readLog().slice(logFrom);
  const summary: string[] = [];
  // The polling saw builds running (so "never two at once" was checked on live states, not only on idle ones).
  expect({ mostRunning: Math.max(...maxRunning.values()), polls }).toEqual({ mostRunning: 1, polls });
  for (const app of apps) {
    const mine = pushed.filter(p => p.app === app);
    if (mine.length === 0) continue;
    // The API, polled while it ran: never two running at once.
    expect({ app, maxRunning: maxRunning.get(app)! <= 1 }).toEqual({ app, maxRunning: true });

    const all = await history(app);
    const byId = new Map(all.map(d => [d.id, d]));
    const round = mine.map(p => byId.get(p.id)!);
    expect(round.every(Boolean)).toBe(true);
    // Every deployment of this environment ends terminal, and in this round only succeeded or superseded.
    expect(all.filter(d => !isTerminal(d.status)).map(d => `${d.id} ${d.status}`)).toEqual([]);
    expect(round.filter(d => d.status !== 'succeeded' && d.status !== 'superseded').map(d => `${d.id} ${d.status} ${d.reason}`)).toEqual([]);
    const succeeded = round.filter(d => d.status === 'succeeded');
    const superseded = round.filter(d => d.status === 'superseded');
    expect(succeeded.length + superseded.length).toBe(mine.length);
    expect(succeeded.length).toBeGreaterThanOrEqual(1);

    // A superseded deployment never ran: no start, no task, its commit never deployed.
    for (const d of superseded) {
      expect({ id: d.id, startedAt: d.startedAt, taskId: d.taskId, reason: d.reason?.startsWith('superseded by ') }).toEqual({ id: d.id, startedAt: undefined, taskId: undefined, reason: true });
    }
    const entries = log.filter(entry => entry.app === app);
    const supersededCommits = new Set(superseded.map(d => d.commit));
    expect(entries.filter(entry => supersededCommits.has(entry.sha)).map(entry => entry.sha)).toEqual([]);

    // The deploy command's own log: start/end strictly alternate, each end for the commit just started
    // (two overlapping deploys would put two starts in a row), one pair per succeeded deployment.
    const pairs: string[] = [];
    for (let i = 0; i < entries.length; i += 2) {
      expect([entries[i]?.event, entries[i + 1]?.event, entries[i + 1]?.sha]).toEqual(['start', 'end', entries[i].sha]);
      expect(entries[i].at).toBeLessThanOrEqual(entries[i + 1].at);
      pairs.push(entries[i].sha);
    }
    expect(entries.every(entry => entry.stage === 'dev')).toBe(true);
    expect([...pairs].sort()).toEqual(succeeded.map(d => d.commit).sort());

    // The store's own times: sorted by start, each succeeded deployment starts after the previous one finished.
    const ran = [...succeeded].sort((a, b) => a.startedAt!.localeCompare(b.startedAt!));
    for (let i = 1; i < ran.length; i++) {
      expect({ next: ran[i].id, startedAt: ran[i].startedAt! >= ran[i - 1].finishedAt! }).toEqual({ next: ran[i].id, startedAt: true });
    }

    // The final deployed commit is the expected one: the newest push's deployment ran last and is current.
    const want = expected.get(app)!;
    const newest = round.find(d => d.commit === want);
    expect(newest).toMatchObject({ commit: want, status: 'succeeded' });
    expect(pairs[pairs.length - 1]).toBe(want);
    expect(readFileSync(join(deployDir(), app), 'utf8')).toBe(want);
    const view = (await api(`/api/apps/${app}`)).environments.find((env: { name: string }) => env.name === 'dev');
    expect({ app, current: view.currentCommit }).toEqual({ app, current: want });
    summary.push(`${app}: ${mine.length} pushed, ${succeeded.length} ran, ${superseded.length} superseded`);
  }
  return summary;
}

beforeAll(async () => {
  cli = bundleTrellis();
  root = mkdtempSync(join(tmpdir(), 'trellis-load-'));
  const started = Date.now();
  for (const app of apps) {
    const dir = join(root, 'repos', app);
    gitRepo(dir, { 'deploy.js': DEPLOY_JS });
    commits.set(app, addCommits(dir, COMMITS[app] ?? OTHER_COMMITS));
    nextCommit.set(app, 1);
  }
  const config = join(root, 'config.json');
  writeFileSync(config, JSON.stringify({
    applications: apps.map(app => ({
      name: app,
      repository: join(root!, 'repos', app),
      environments: [{
        kind: 'development',
        runTests: false,
        variables: { LOAD_APP: app, LOAD_LOG: logFile(), LOAD_DEPLOY_DIR: deployDir(), LOAD_HOLD_MS: String(HOLD_MS) },
        framework: { kind: 'custom', deploy: ['node', 'deploy.js'], remove: ['node', '-e', '0'] },
      }],
    })),
  }));
  mkdirSync(join(root, 'data'));
  const repos = Date.now() - started;
  trellis = await TrellisProcess.start(cli, { dataDir: join(root, 'data'), config });
  console.log(`local-load: ${APPS} repos in ${repos} ms, trellis started in ${Date.now() - started - repos} ms`);
  webhookSecret = new DataDir(trellis.dataDir).webhookSecret();
  noteOurs();
}, 150_000);

afterAll(() => cleanUp(trellis ? [trellis] : [], commands, [root, cli && dirname(dirname(cli))]), 60_000);

test(`${BURST} concurrent pushes on main of one app, and pushes to ${APPS} apps at once`, async () => {
  const started = Date.now();
  const pushed: Accepted[] = [];
  const logFrom = readLog().length;
  // Every request fired at once: the burst on the hot app interleaved with the other apps' pushes.
  const sends: Array<Promise<Accepted>> = [];
  for (let i = 0; i < BURST; i++) {
    sends.push(push(HOT));
    if (i < OTHERS_PUSHES) for (const app of apps.slice(1)) sends.push(push(app));
  }
  const work = Promise.all(sends.map(send => send.then(accepted => { pushed.push(accepted); })));
  const watched = await watch(() => pushed, work);
  expect(pushed).toHaveLength(BURST + OTHERS_PUSHES * (APPS - 1));

  // The newest push of each branch wins, whatever order the server recorded them in: the last
  // commit pushed (each push's before is the previous push's after).
  const expected = new Map(apps.map(app => [app, commits.get(app)![nextCommit.get(app)! - 1]]));
  const summary = await checkRound(pushed, expected, watched, logFrom);
  console.log(`local-load round 1 (${pushed.length} pushes at once) settled in ${Date.now() - started} ms (${watched.polls.count} polls of the API, the slowest ${watched.polls.slowestMs} ms)\n${summary.join('\n')}`);
}, 120_000);

test(`${BURST - 1} concurrent pushes, then one more after they were answered: the last one is deployed`, async () => {
  const started = Date.now();
  const pushed: Accepted[] = [];
  const logFrom = readLog().length;
  const others = apps.slice(1, 4);
  const work = (async () => {
    const first = [
      ...Array.from({ length: BURST - 1 }, () => push(HOT)),
      ...others.flatMap(app => Array.from({ length: OTHERS_PUSHES - 1 }, () => push(app))),
    ];
    pushed.push(...await Promise.all(first));
    const last = await Promise.all([HOT, ...others].map(app => push(app)));
    pushed.push(...last);
    return last;
  })();
  const watched = await watch(() => pushed, work);
  const last = await work;
  expect(pushed).toHaveLength(BURST + OTHERS_PUSHES * others.length);
  // The push sent last names the newest commit of each branch; that commit is what ends deployed.
  const expected = new Map(last.map(p => [p.app, p.commit]));
  for (const p of last) expect(p.commit).toBe(commits.get(p.app)![nextCommit.get(p.app)! - 1]);
  const summary = await checkRound(pushed, expected, watched, logFrom);
  console.log(`local-load round 2 (${pushed.length} pushes, the last sent after the rest) settled in ${Date.now() - started} ms (${watched.polls.count} polls of the API, the slowest ${watched.polls.slowestMs} ms)\n${summary.join('\n')}`);
}, 120_000);

test('stopping leaves no process behind', async () => {
  noteOurs();
  const seen = [...trellis!.seen];
  expect(seen.length).toBeGreaterThan(0);
  expect(await trellis!.stop()).toBe(0);
  await eventually('every process trellis started to end', async () => seen.every(pid => !processAlive(pid)), 15_000)
    .catch(() => {
      throw new Error(`still alive: ${seen.filter(pid => processAlive(pid)).map(pid => `${pid} ${commands.get(pid)}`).join('; ')}`);
    });
}, 60_000);
