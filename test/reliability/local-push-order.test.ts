import { execFileSync } from 'child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { dirname, join } from 'path';
import { DataDir } from '../../src/local/data-dir';
import { Deployment, isTerminal } from '../../src/runtime/core';
import { gitRepo } from '../local/local-fixtures';
import { cleanUp, noteDescendants } from '../local/support/process-cleanup';
import { TrellisProcess, bundleTrellis } from '../local/support/trellis-process';
import { eventually } from '../support/eventually';
import { pushPayload, signedPushHeaders } from '../support/github-webhook';

/**
 * Pushes are ordered by the push, not by when their webhook reaches the server: 30 signed
 * pushes of successive commits to one branch, 15 ms apart, against the real `trellis local`
 * (DynamoDB Local, the server, builds as child processes). First sent in push order, then a
 * second series sent in a shuffled arrival order, then a third one of commits made and pushed
 * within one second (so only the before → after chain orders them) in a shuffled order. Each
 * time the environment ends on the newest commit, every deployment that did not run is
 * `superseded`, and the ones that ran started in push order (none started after a newer one had started).
 */

const PUSHES = 30;
const SPACING_MS = 15;
/** How long each deploy holds between its start and end lines, so pushes arrive while one runs. */
const HOLD_MS = 800;
const APP = 'order';
let cli: string | undefined;
let root: string | undefined;
let trellis: TrellisProcess | undefined;
let webhookSecret: string | undefined;
/** Commits of main, oldest first (index 0 is the initial commit with deploy.js), and their times (Unix seconds). */
let commits: string[] = [];
const commitTimes = new Map<string, number>();
const commands = new Map<number, string>();
const logFile = () => join(root!, 'deploy.log');

const DEPLOY_JS = `
const { appendFileSync } = require('fs');
const { execFileSync } = require('child_process');
const sha = execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
const { ORDER_LOG: log, ORDER_HOLD_MS: hold } = process.env;
appendFileSync(log, sha + ' start ' + Date.now() + '\\n');
setTimeout(() => appendFileSync(log, sha + ' end ' + Date.now() + '\\n'), Number(hold));
`;

/** `count` empty commits on main, `spacing` seconds apart (1: a team's successive commits; 0: a script's), in one fast-import. */
function addCommits(dir: string, count: number, firstTime: number, spacing: number): string[] {
  let stream = '';
  for (let i = 1; i <= count; i++) {
    const message = `order commit ${i}`;
    const who = `Test <test@example.invalid> ${firstTime + i * spacing} +0000`;
    stream += `commit refs/heads/main\nauthor ${who}\ncommitter ${who}\ndata ${Buffer.byteLength(message)}\n${message}\n`;
    if (i === 1) stream += 'from refs/heads/main^0\n';
    stream += '\n';
  }
  execFileSync('git', ['-C', dir, 'fast-import', '--quiet'], { input: stream });
  execFileSync('git', ['-C', dir, 'reset', '-q', '--hard', 'main']);
  const all = execFileSync('git', ['-C', dir, 'rev-list', '--reverse', 'main'], { encoding: 'utf8' }).trim().split('\n');
  all.slice(-count).forEach((sha, i) => commitTimes.set(sha, firstTime + (i + 1) * spacing));
  return all;
}

/**
 * The push of commit `index` as GitHub sends it (before → after, `forced`, `head_commit.timestamp`,
 * `repository.pushed_at` in seconds), signed with the local webhook secret.
 */
async function push(index: number, pushedAt: number): Promise<{ index: number; id: string }> {
  const [before, after] = [commits[index - 1], commits[index]];
  const { repository } = trellis!.info.applications[APP];
  const body = JSON.stringify(pushPayload({
    app: APP,
    repository,
    before,
    after,
    message: `order commit ${index}`,
    timestamp: new Date(commitTimes.get(after)! * 1000).toISOString().replace('.000Z', '+00:00'),
    pushedAt,
  }));
  const response = await fetch(trellis!.info.webhookUrl, {
    method: 'POST',
    headers: signedPushHeaders(webhookSecret!, body),
    body,
  });
  const answer = await response.json().catch(() => undefined) as any;
  if (response.status !== 202 || answer?.deployments?.length !== 1) {
    throw new Error(`push of commit ${index} answered ${response.status}: ${JSON.stringify(answer)}`);
  }
  return { index, id: answer.deployments[0].id };
}

/**
 * Pushes `first..first+PUSHES-1`, made in that order 15 ms apart (their pushed_at from that
 * time, or all in one second when `oneSecond`), delivered in `arrival` order 15 ms apart
 * without waiting for answers.
 */
async function sendRound(first: number, arrival: number[], oneSecond = false): Promise<Map<string, number>> {
  const madeAt = Date.now();
  const pushedAt = (index: number) => Math.floor((oneSecond ? madeAt : madeAt + (index - first) * SPACING_MS) / 1000);
  const sends = arrival.map((index, slot) => new Promise<{ index: number; id: string }>((resolve, reject) => {
    setTimeout(() => push(index, pushedAt(index)).then(resolve, reject), slot * SPACING_MS);
  }));
  const answers = await Promise.all(sends);
  return new Map(answers.map(answer => [answer.id, answer.index]));
}

async function history(): Promise<Deployment[]> {
  const { status, body } = await trellis!.api('GET', `/api/apps/${APP}/environments/dev/deployments?limit=100`);
  if (status !== 200) throw new Error(`history answered ${status}: ${JSON.stringify(body)}`);
  return body.items;
}

function deployLog(): Array<{ sha: string; event: string; at: number }> {
  if (!existsSync(logFile())) return [];
  return readFileSync(logFile(), 'utf8').split('\n').filter(Boolean).map(line => {
    const [sha, event, at] = line.split(' ');
    return { sha, event, at: Number(at) };
  });
}

/** Wait for the round to settle, then check what the issue asks: the newest commit wins, in push order. */
async function checkRound(round: Map<string, number>, newest: number): Promise<string> {
  const settled = await eventually('every pushed deployment to end', async () => {
    noteDescendants(trellis!, commands);
    const items = (await history()).filter(d => round.has(d.id));
    return items.length === round.size && items.every(d => isTerminal(d.status)) ? items : undefined;
  }, 90_000).catch(async error => {
    throw new Error(`${error.message}: ${JSON.stringify((await history()).map(d => [round.get(d.id), d.status]))}\n${trellis!.output}`);
  });
  const indexOf = (d: Deployment) => round.get(d.id)!;
  const describe = (d: Deployment) => `commit ${indexOf(d)} ${d.status}${d.reason ? ` (${d.reason})` : ''}`;
  const byIndex = [...settled].sort((a, b) => indexOf(a) - indexOf(b));

  // The newest commit is deployed and current.
  const view = (await trellis!.api('GET', `/api/apps/${APP}`)).body.environments.find((env: { name: string }) => env.name === 'dev');
  expect({ current: commits.indexOf(view.currentCommit), newest: describe(byIndex[byIndex.length - 1]) })
    .toEqual({ current: newest, newest: `commit ${newest} succeeded` });

  // Every deployment either ran to success or was superseded; a superseded one never started,
  // and was superseded by a rule about the pushes (`superseded by <id>: <why>`), never by arrival.
  expect(byIndex.filter(d => d.status !== 'succeeded' && d.status !== 'superseded').map(describe)).toEqual([]);
  expect(byIndex.filter(d => d.status === 'superseded' && (d.startedAt !== undefined || !/^superseded by \S+: ./.test(d.reason ?? ''))).map(describe)).toEqual([]);

  // The ones that ran started in push order: none started after a newer one had started.
  const ran = byIndex.filter(d => d.status === 'succeeded').sort((a, b) => a.startedAt!.localeCompare(b.startedAt!));
  expect(ran.map(indexOf)).toEqual([...ran.map(indexOf)].sort((a, b) => a - b));
  // The deploy command's own log agrees: the commits it deployed, in the order it deployed them.
  const shas = new Set(byIndex.map(d => d.commit));
  const starts = deployLog().filter(entry => entry.event === 'start' && shas.has(entry.sha)).map(entry => commits.indexOf(entry.sha));
  expect(starts).toEqual(ran.map(indexOf));
  return `${round.size} pushes: ran ${ran.map(indexOf).join(', ')}; ${byIndex.length - ran.length} superseded`;
}

/** A fixed shuffle (so a failure can be replayed), with the newest push never last to arrive. */
function shuffled(indexes: number[], seed = 20261205): number[] {
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const out = [...indexes];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  if (out[out.length - 1] === Math.max(...indexes)) [out[0], out[out.length - 1]] = [out[out.length - 1], out[0]];
  return out;
}

beforeAll(async () => {
  cli = bundleTrellis();
  root = mkdtempSync(join(tmpdir(), 'trellis-order-'));
  const dir = join(root, 'repo');
  gitRepo(dir, { 'deploy.js': DEPLOY_JS });
  const now = Math.floor(Date.now() / 1000);
  addCommits(dir, 2 * PUSHES, now - 3 * PUSHES, 1);
  commits = addCommits(dir, PUSHES, now - PUSHES / 2, 0);
  const config = join(root, 'config.json');
  writeFileSync(config, JSON.stringify({
    applications: [{
      name: APP,
      repository: dir,
      environments: [{
        kind: 'development',
        runTests: false,
        variables: { ORDER_LOG: logFile(), ORDER_HOLD_MS: String(HOLD_MS) },
        framework: { kind: 'custom', deploy: ['node', 'deploy.js'], remove: ['node', '-e', '0'] },
      }],
    }],
  }));
  mkdirSync(join(root, 'data'));
  trellis = await TrellisProcess.start(cli, { dataDir: join(root, 'data'), config });
  webhookSecret = new DataDir(trellis.dataDir).webhookSecret();
  noteDescendants(trellis, commands);
}, 150_000);

afterAll(() => cleanUp(trellis ? [trellis] : [], commands, [root, cli && dirname(dirname(cli))]), 60_000);

test(`${PUSHES} pushes of successive commits sent in order ${SPACING_MS} ms apart: the newest commit is deployed`, async () => {
  const indexes = Array.from({ length: PUSHES }, (_, i) => i + 1);
  const round = await sendRound(1, indexes);
  console.log(`push order, in order: ${await checkRound(round, PUSHES)}`);
}, 150_000);

test(`the next ${PUSHES} pushes delivered in a shuffled order: the newest commit is deployed, none older after it`, async () => {
  const indexes = Array.from({ length: PUSHES }, (_, i) => PUSHES + i + 1);
  const arrival = shuffled(indexes);
  const round = await sendRound(PUSHES + 1, arrival);
  console.log(`push order, arrival ${arrival.join(' ')}: ${await checkRound(round, 2 * PUSHES)}`);
}, 150_000);

test(`the next ${PUSHES} pushes, commits made and pushed within one second, delivered in a shuffled order: the chain alone orders them`, async () => {
  const indexes = Array.from({ length: PUSHES }, (_, i) => 2 * PUSHES + i + 1);
  const arrival = shuffled(indexes, 1205);
  const round = await sendRound(2 * PUSHES + 1, arrival, true);
  console.log(`push order, one second, arrival ${arrival.join(' ')}: ${await checkRound(round, 3 * PUSHES)}`);
}, 150_000);
