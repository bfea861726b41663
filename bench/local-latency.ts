/**
 * Local mode's latencies, measured on the real `trellis local` process (DynamoDB Local, the
 * local runner, one server on 127.0.0.1) with the sample app. Printed, never asserted.
 *
 * 1. Live log latency: the sample app's deploy step prints `sample line <i> of <n> t=<ms>`;
 *    a WebSocket client subscribed to the deployment on /live notes when each line arrives.
 *    Latency = arrival − t (the line's print time), split at the record's `at` (when the
 *    builder read the line from the deploy command). Only live lines count: those that
 *    arrive after the server's `subscribed` message and were printed after the subscribe was
 *    sent (goal p99 ≤ 1 s).
 * 2. Push → build process started: from just before `trellis push` runs (and from the moment
 *    it sends the webhook) to the markers of a build starting — the deployment's createdAt,
 *    its startedAt (queued → running, right before the builder is spawned), the runner's
 *    'build started' line in <dataDir>/server.log (after the child's 'spawn' event, with its
 *    pid) and the builder's first log record (the process runs its code).
 *
 *   npx projen bench:local      (BENCH_LIVE_RUNS=3 BENCH_LINES=2000 BENCH_LINE_MS=2 BENCH_PUSHES=10)
 */
import { execFile } from 'child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { cpus, loadavg, tmpdir } from 'os';
import { delimiter, dirname, join } from 'path';
import { WebSocket } from 'ws';
import { Deployment, LogRecord, ServerMessage, isTerminal } from '../src/runtime/core';
import { TrellisProcess, bundleTrellis } from '../test/local/support/trellis-process';
import { eventually } from '../test/support/eventually';

const LIVE_RUNS = positive('BENCH_LIVE_RUNS', 3);
const LINES = positive('BENCH_LINES', 2000);
const LINE_MS = positive('BENCH_LINE_MS', 2);
const PUSHES = positive('BENCH_PUSHES', 10);
const GOAL_P99_MS = 1000;
const APP = 'sample-app';
const BRANCH = 'main';
const SAMPLE_LINE = /^sample line (\d+) of (\d+) t=(\d+)$/;
const MARK = 'TRELLIS_BENCH_MARK';

function positive(name: string, fallback: number): number {
  const n = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer`);
  return n;
}

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

function summary(values: readonly number[]): { count: number; p50: number; p90: number; p99: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number) => percentile(sorted, p);
  return { count: sorted.length, p50: at(50), p90: at(90), p99: at(99), max: sorted[sorted.length - 1] ?? NaN };
}

const load = () => loadavg().map(n => n.toFixed(2)).join(' / ');
const ms = (n: number) => (Number.isFinite(n) ? `${Math.round(n)}` : '–');

/** `promise`, or a rejection naming `what` after `timeoutMs` (the timer never holds the process open). */
async function within<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Temporary directories and the running trellis, removed/stopped on the way out whatever happens. */
class Cleanup {
  readonly dirs: string[] = [];
  trellis?: TrellisProcess;
  private done?: Promise<void>;

  run(): Promise<void> {
    this.done ??= (async () => {
      const running = this.trellis;
      this.trellis = undefined;
      if (running) await running.stop('SIGINT').catch(error => console.error(`stopping trellis local: ${(error as Error).message}`));
      for (const dir of this.dirs) rmSync(dir, { recursive: true, force: true });
    })();
    return this.done;
  }
}

/** A started `trellis local` with the sample app, and what the bench does against it. */
class Bench {
  static async start(cli: string, preload: string, cleanup: Cleanup, env: Record<string, string>): Promise<Bench> {
    const dataDir = mkdtempSync(join(tmpdir(), 'trellis-bench-local-'));
    cleanup.dirs.push(dataDir);
    const trellis = cleanup.trellis = await TrellisProcess.start(cli, { dataDir, env });
    return new Bench(trellis, cli, preload);
  }

  private token?: string;

  constructor(readonly trellis: TrellisProcess, private readonly cli: string, private readonly preload: string) {}

  async stop(cleanup: Cleanup): Promise<void> {
    cleanup.trellis = undefined;
    await this.trellis.stop('SIGINT');
  }

  /**
   * The real `trellis push` (a commit, then the signed webhook), with a preload that only
   * notes the moment it calls fetch, i.e. sends the webhook. Times are Date.now() here.
   */
  push(message: string): Promise<{ before: number; sent: number; answered: number; after: number; deploymentId: string }> {
    const env = { ...process.env, NODE_PATH: [join(__dirname, '..', 'node_modules'), process.env.NODE_PATH].filter(Boolean).join(delimiter) };
    const args = ['--require', this.preload, this.cli, 'push', APP, BRANCH, '--data-dir', this.trellis.dataDir, '--message', message];
    return new Promise((resolve, reject) => {
      const before = Date.now();
      execFile(process.execPath, args, { env, encoding: 'utf8' }, (error, stdout, stderr) => {
        const after = Date.now();
        if (error) return reject(new Error(`trellis push failed: ${stderr}${stdout}`));
        const deploymentId = /#\/deployments\/(\S+)/.exec(stdout)?.[1];
        const mark = (name: string) => Number(new RegExp(`${MARK} ${name} (\\d+)`).exec(stderr)?.[1]);
        if (!deploymentId) return reject(new Error(`trellis push queued no deployment:\n${stdout}${stderr}`));
        resolve({ before, sent: mark('sent'), answered: mark('answered'), after, deploymentId });
      });
    });
  }

  private async signIn(): Promise<string> {
    if (this.token) return this.token;
    const response = await fetch(`${this.trellis.info.url}/auth/local/sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user: 'admin', password: this.trellis.adminPassword }),
    });
    if (!response.ok) throw new Error(`sign-in answered ${response.status}`);
    this.token = ((await response.json()) as { token: string }).token;
    return this.token;
  }

  async get<T>(path: string): Promise<T> {
    const response = await fetch(`${this.trellis.info.url}${path}`, { headers: { authorization: `Bearer ${await this.signIn()}` } });
    if (!response.ok) throw new Error(`GET ${path} answered ${response.status}: ${await response.text()}`);
    return await response.json() as T;
  }

  /** Polled (each poll is an API call and a DynamoDB read, so not too often while lines are measured). */
  finished(deploymentId: string, timeoutMs: number, everyMs = 500): Promise<Deployment> {
    return eventually(`deployment ${deploymentId} to finish`, async () => {
      const deployment = await this.get<Deployment>(`/api/deployments/${deploymentId}`);
      return isTerminal(deployment.status) ? deployment : undefined;
    }, timeoutMs, everyMs);
  }

  async socket(): Promise<WebSocket> {
    const socket = new WebSocket(`${this.trellis.info.webSocketUrl}?token=${encodeURIComponent(await this.signIn())}`);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    return socket;
  }

  async post(path: string): Promise<void> {
    const response = await fetch(`${this.trellis.info.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${await this.signIn()}` } });
    if (!response.ok) throw new Error(`POST ${path} answered ${response.status}: ${await response.text()}`);
  }

  /**
   * The deployment's entry `message` in <dataDir>/server.log (JSON lines with the time it
   * was written): the runner's 'build started' (with the builder's pid), local mode's
   * 'task stopped' (after the build was finalized and its environment's lock released).
   */
  serverLog(deploymentId: string, message: string): { time: number; pid?: number } | undefined {
    for (const line of readFileSync(join(this.trellis.dataDir, 'server.log'), 'utf8').split('\n')) {
      if (!line.includes(message) || !line.includes(deploymentId)) continue;
      const entry = JSON.parse(line) as { time: string; message: string; deployment: string; pid?: number };
      if (entry.message === message && entry.deployment === deploymentId) return { time: Date.parse(entry.time), pid: entry.pid };
    }
    return undefined;
  }
}

interface LiveRun {
  readonly deploymentId: string;
  readonly status: string;
  readonly total: number[];
  /** print → the builder read it (record.at). */
  readonly toBuilder: number[];
  /** the builder read it → the WebSocket client got it. */
  readonly toClient: number[];
  readonly backlog: number;
  readonly beforeSubscribe: number;
  readonly missing: number;
  readonly durationMs: number;
}

/** One chatty deployment with a live subscriber from seq 0. */
async function liveRun(bench: Bench, run: number): Promise<LiveRun> {
  const socket = await bench.socket();
  try {
    const pushed = await bench.push(`bench: live log latency run ${run}`);
    const { deploymentId } = pushed;
    const total: number[] = [];
    const toBuilder: number[] = [];
    const toClient: number[] = [];
    const seen = new Set<number>();
    const sampleLines = new Set<number>();
    let subscribed = false;
    let subscribeSent = Infinity;
    let backlog = 0;
    let beforeSubscribe = 0;
    let allLines: () => void = () => undefined;
    const complete = new Promise<void>(resolve => { allLines = resolve; });
    socket.on('message', data => {
      const receivedAt = Date.now();
      const message = JSON.parse(data.toString()) as ServerMessage;
      if (message.type === 'subscribed') subscribed = true;
      if (message.type === 'error') console.error(`live: error ${message.status} ${message.reason}`);
      if (message.type !== 'log' || message.deploymentId !== deploymentId) return;
      for (const record of message.records as LogRecord[]) {
        if (seen.has(record.seq)) continue; // a line stored while the backlog was read arrives twice
        seen.add(record.seq);
        const match = SAMPLE_LINE.exec(record.text);
        if (!match) continue;
        sampleLines.add(Number(match[1]));
        const printed = Number(match[3]);
        if (!subscribed) {
          backlog++;
        } else if (printed < subscribeSent) {
          beforeSubscribe++;
        } else {
          total.push(receivedAt - printed);
          toBuilder.push(Date.parse(record.at) - printed);
          toClient.push(receivedAt - Date.parse(record.at));
        }
        if (sampleLines.size === LINES) allLines();
      }
    });
    subscribeSent = Date.now();
    socket.send(JSON.stringify({ action: 'subscribe', deploymentId, from: 0 }));
    const deployment = await bench.finished(deploymentId, 120_000);
    // Every line is stored before the deployment is finalized; give the fan-out a moment.
    await within(complete, 2000, 'the last sample lines').catch(() => undefined);
    return {
      deploymentId,
      status: deployment.status,
      total,
      toBuilder,
      toClient,
      backlog,
      beforeSubscribe,
      missing: LINES - sampleLines.size,
      durationMs: Date.parse(deployment.finishedAt ?? deployment.updatedAt) - Date.parse(deployment.createdAt),
    };
  } finally {
    socket.close();
  }
}

interface StartRun {
  readonly pushMs: number;
  /** Each marker, ms after the push command started. */
  readonly sent: number;
  readonly answered: number;
  readonly created: number;
  readonly started: number;
  readonly spawned: number;
  readonly firstRecord: number;
  readonly firstOnClient: number;
}

/**
 * One push: a WebSocket client subscribes as soon as the push returned; once the builder's
 * first line reached it the deployment is cancelled (a whole chatty build is not needed to
 * see it start) and the next push waits until the build was stopped and finalized.
 */
async function startRun(bench: Bench, run: number): Promise<StartRun> {
  const socket = await bench.socket();
  try {
    const pushed = await bench.push(`bench: push to build start ${run}`);
    const { deploymentId } = pushed;
    const first = new Promise<{ record: LogRecord; receivedAt: number }>((resolve, reject) => {
      socket.on('message', data => {
        const receivedAt = Date.now();
        const message = JSON.parse(data.toString()) as ServerMessage;
        if (message.type === 'error') reject(new Error(`live: error ${message.status} ${message.reason}`));
        if (message.type === 'log' && message.deploymentId === deploymentId && message.records.length > 0) resolve({ record: message.records[0], receivedAt });
      });
    });
    socket.send(JSON.stringify({ action: 'subscribe', deploymentId, from: 0 }));
    const { record, receivedAt } = await within(first, 60_000, `the first log line of ${deploymentId}`);
    await bench.post(`/api/deployments/${deploymentId}/cancel`);
    await eventually(`deployment ${deploymentId} to stop`, async () => bench.serverLog(deploymentId, 'task stopped'), 60_000, 50);
    const deployment = await bench.get<Deployment>(`/api/deployments/${deploymentId}`);
    let firstAt = record.seq === 0 ? Date.parse(record.at) : NaN;
    if (record.seq !== 0) {
      const logs = await bench.get<{ records: LogRecord[] }>(`/api/deployments/${deploymentId}/logs?from=0&limit=1`);
      if (logs.records[0]?.seq === 0) firstAt = Date.parse(logs.records[0].at);
    }
    const since = (at: number | undefined) => (at === undefined || !Number.isFinite(at) ? NaN : at - pushed.before);
    return {
      pushMs: pushed.after - pushed.before,
      sent: since(pushed.sent),
      answered: since(pushed.answered),
      created: since(Date.parse(deployment.createdAt)),
      started: since(deployment.startedAt ? Date.parse(deployment.startedAt) : undefined),
      spawned: since(bench.serverLog(deploymentId, 'build started')?.time),
      firstRecord: since(firstAt),
      firstOnClient: since(receivedAt),
    };
  } finally {
    socket.close();
  }
}

function printLive(runs: readonly LiveRun[]): void {
  console.log(`\n## 1. Live log latency: deploy command prints → WebSocket client receives (${LINES} lines, ${LINE_MS} ms apart, ~${Math.round(LINES / 10)} of them on stderr)\n`);
  console.log('run | deployment | status | build s | live lines | p50 ms | p90 ms | p99 ms | max ms | print→builder p99 | builder→client p99 | backlog | pre-subscribe | missing');
  console.log('--- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---:');
  runs.forEach((run, i) => {
    const s = summary(run.total);
    console.log([
      i + 1, run.deploymentId, run.status, (run.durationMs / 1000).toFixed(1), s.count, ms(s.p50), ms(s.p90), ms(s.p99), ms(s.max),
      ms(summary(run.toBuilder).p99), ms(summary(run.toClient).p99), run.backlog, run.beforeSubscribe, run.missing,
    ].join(' | '));
  });
  const all = summary(runs.flatMap(run => run.total));
  const toBuilder = summary(runs.flatMap(run => run.toBuilder));
  const toClient = summary(runs.flatMap(run => run.toClient));
  console.log(`all | | | | ${all.count} | ${ms(all.p50)} | ${ms(all.p90)} | ${ms(all.p99)} | ${ms(all.max)} | ${ms(toBuilder.p99)} | ${ms(toClient.p99)} | | |`);
  console.log('\nsegments over all runs (ms):   p50 / p90 / p99 / max');
  console.log(`  print → builder read it       ${ms(toBuilder.p50)} / ${ms(toBuilder.p90)} / ${ms(toBuilder.p99)} / ${ms(toBuilder.max)}`);
  console.log(`  builder → WebSocket client    ${ms(toClient.p50)} / ${ms(toClient.p90)} / ${ms(toClient.p99)} / ${ms(toClient.max)}`);
  console.log(`\ngoal p99 ≤ ${GOAL_P99_MS} ms: ${all.count > 0 && all.p99 <= GOAL_P99_MS ? 'met' : 'NOT met'} (overall p99 ${ms(all.p99)} ms)`);
}

function printStarts(runs: readonly StartRun[]): void {
  console.log(`\n## 2. Push → build process started (${runs.length} pushes one after the other; each cancelled once its first line arrived, and stopped before the next)\n`);
  console.log('push | webhook sent | createdAt | startedAt | build started | webhook answered | `trellis push` exited | first record | first line on client');
  console.log('--- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---:');
  runs.forEach((run, i) => console.log([
    i + 1, run.sent, run.created, run.started, run.spawned, run.answered, run.pushMs, run.firstRecord, run.firstOnClient,
  ].map((value, column) => (column === 0 ? value : ms(value))).join(' | ')));
  console.log('\nover all pushes | p50 ms | p99 ms | max ms');
  console.log('--- | ---: | ---: | ---:');
  const row = (name: string, values: number[]) => {
    const s = summary(values.filter(Number.isFinite));
    console.log(`${name} | ${ms(s.p50)} | ${ms(s.p99)} | ${ms(s.max)}`);
  };
  row('`trellis push` command, start → exit', runs.map(r => r.pushMs));
  row('push start → webhook sent', runs.map(r => r.sent));
  row('push start → webhook answered', runs.map(r => r.answered));
  row('push start → createdAt (queued)', runs.map(r => r.created));
  row('push start → startedAt (queued → running)', runs.map(r => r.started));
  row('**push start → build started (process spawned)**', runs.map(r => r.spawned));
  row('push start → builder\'s first record', runs.map(r => r.firstRecord));
  row('push start → first line on the WebSocket client', runs.map(r => r.firstOnClient));
  row('webhook sent → createdAt', runs.map(r => r.created - r.sent));
  row('createdAt → startedAt', runs.map(r => r.started - r.created));
  row('startedAt → build started', runs.map(r => r.spawned - r.started));
  row('build started → builder\'s first record', runs.map(r => r.firstRecord - r.spawned));
  row('webhook answered → `trellis push` exited', runs.map(r => r.pushMs - r.answered));
  console.log(`
Markers, all ms after "push start" (Date.now() just before the bench spawns \`trellis push\`; one clock, one machine):
  webhook sent       \`trellis push\` calls fetch for the webhook (after node started and git committed); noted, like
                     "webhook answered" (its response arrived), by a --require preload that wraps fetch
  createdAt          the webhook handler stored the deployment (queued)
  startedAt          the launcher moved it queued → running, right before the runner spawns the builder
  build started      "build process started": the runner's 'build started' entry in <dataDir>/server.log, written when
                     the child's 'spawn' event fired (it has a pid)
  first record       the builder's first log record (its \`at\`, seq 0): the builder's own code runs
  first line on client  a WebSocket client subscribed right after \`trellis push\` returned got that record
  \`trellis push\` exited  the command's process ended (the whole command: node start, git commit, webhook, output)
With ${runs.length} pushes p99 is the largest value or the one below it: read it as "max".`);
}

async function main(): Promise<void> {
  const cleanup = new Cleanup();
  const interrupted = (signal: NodeJS.Signals) => {
    console.error(`\n${signal}: stopping trellis local and removing temporary directories`);
    void cleanup.run().finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  const started = Date.now();
  try {
    const bundled = Date.now();
    const cli = bundleTrellis();
    cleanup.dirs.push(dirname(dirname(cli)));
    const preload = join(dirname(cli), 'bench-push-marks.js');
    writeFileSync(preload, `'use strict';
const original = globalThis.fetch;
const mark = name => process.stderr.write('${MARK} ' + name + ' ' + Date.now() + '\\n');
globalThis.fetch = async (...args) => {
  mark('sent');
  const response = await original(...args);
  mark('answered');
  return response;
};
`);
    console.log(`Local mode latency: the real \`trellis local\` (bundled in ${((Date.now() - bundled) / 1000).toFixed(1)} s), sample app, env dev on push to main`);
    console.log(`machine: ${cpus().length} × ${cpus()[0]?.model.trim() ?? 'unknown CPU'}, Node ${process.version}, ${process.platform} ${process.arch}, load average ${load()} (1/5/15 min)`);

    const begun = Date.now();
    const bench = await Bench.start(cli, preload, cleanup, { SAMPLE_DEPLOY_LINES: String(LINES), SAMPLE_LINE_MS: String(LINE_MS) });
    const startupMs = Date.now() - begun;
    const liveRuns: LiveRun[] = [];
    for (let run = 1; run <= LIVE_RUNS; run++) liveRuns.push(await liveRun(bench, run));
    printLive(liveRuns);

    const startRuns: StartRun[] = [];
    for (let run = 1; run <= PUSHES; run++) startRuns.push(await startRun(bench, run));
    await bench.stop(cleanup);
    printStarts(startRuns);

    console.log(`
Notes:
  - Everything shares this machine's ${cpus().length} cores: trellis local, DynamoDB Local (Java), the builder, npm, the deploy
    command and this client. Live lines go: deploy command → npm → builder (record, stdout) → local runner (batches of
    ≤ 500, ≤ 100 ms wait) → ingest (DynamoDB Local write) → fan-out → WebSocket.
  - Live lines are those received after the server's \`subscribed\` message and printed after the subscribe was sent;
    "backlog" and "pre-subscribe" count sample lines left out, "missing" sample lines never received.
  - Each live run subscribes right after \`trellis push\` returns, before the deploy step prints (the build clones and
    installs first). The first push of a fresh \`trellis local\` is the coldest.
  - \`trellis local\` took ${(startupMs / 1000).toFixed(1)} s to start (DynamoDB Local, table, config); the builds of part 2 run the same
    chatty deploy command but are cancelled after their first line, so only their start is measured.
  - Load average at the end: ${load()}. Other work on the machine (a test run, a browser) inflates every figure here.
total bench time ${((Date.now() - started) / 1000).toFixed(0)} s`);
  } finally {
    await cleanup.run();
    process.removeListener('SIGINT', interrupted);
    process.removeListener('SIGTERM', interrupted);
  }
}

main().catch(error => {
  console.error(error);
  process.exitCode = 1;
});
