/**
 * The dashboard's weight and the live log's speed: bundle sizes (raw, gzip, brotli; goal
 * ≤ 60 KB gzipped JS), then in headless Chromium against local mode's real server (DynamoDB
 * Local, control API, WebSocket) the time from page load to the first log lines of a
 * 100k-line deployment (goal ≤ 1 s), to all of them, and the cost of a scroll step.
 * Figures are printed, never asserted.
 *
 *   npx projen bench:dashboard
 */
import { mkdtempSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { brotliCompressSync, gzipSync } from 'zlib';
import { startDashboardServer } from '../src/local/dashboard-server';
import { startDynamoDbLocal, createLocalTable } from '../src/local/dynamodb-local';
import { createLocalExecutor } from '../src/local/local-executor';
import { LocalIdentity } from '../src/local/local-identity';
import { DeploymentScheduler, LogRecord } from '../src/runtime/core';
import { createDynamoStore } from '../src/runtime/store/dynamo-store';
import { tableContext } from '../src/runtime/store/table-context';
import { launchBrowser } from '../test/dashboard/support/browser';
import { buildDashboard } from '../test/dashboard/support/build-dashboard';

const LINES = 100_000;
const RUNS = 5;
const GOAL_GZIP_KB = 60;
const GOAL_FIRST_LINES_MS = 1000;

// Page-side callbacks run in Chromium, where these exist.
declare const document: any;
declare const sessionStorage: { setItem(key: string, value: string): void };
declare const requestAnimationFrame: (callback: (time: number) => void) => number;

function sizes(assets: string): void {
  console.log('file | bytes | gzip | brotli');
  for (const file of ['app.js', 'app.css', 'index.html']) {
    const content = readFileSync(path.join(assets, file));
    console.log(`${file} | ${content.length} | ${gzipSync(content, { level: 9 }).length} | ${brotliCompressSync(content).length}`);
  }
  const js = gzipSync(readFileSync(path.join(assets, 'app.js')), { level: 9 }).length;
  console.log(`app.js gzipped: ${(js / 1024).toFixed(1)} KB (goal ≤ ${GOAL_GZIP_KB} KB: ${js <= GOAL_GZIP_KB * 1024 ? 'met' : 'NOT met'})`);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function liveLog(assets: string): Promise<void> {
  const dynamo = await startDynamoDbLocal();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'trellis-bench-dashboard-'));
  const log = () => undefined;
  try {
    const tableName = 'bench-dashboard';
    await createLocalTable(dynamo.clientConfig, tableName);
    const store = createDynamoStore(tableContext(tableName, dynamo.clientConfig));
    await store.config.syncApplications([{
      name: 'shop',
      repository: 'acme/shop',
      environments: [{ name: 'dev', kind: 'development', branch: 'main', autoDeploy: true, runTests: false, testCommand: [], variables: {}, protected: false }],
    }]);
    // Nothing is built here: the executor only completes the server's API dependencies.
    const executor = createLocalExecutor({
      store, tableName, dynamodb: { endpoint: dynamo.endpoint, accessKeyId: 'local' }, dataDir, repositories: {}, onRecords: async () => undefined, log,
    });
    const identity = new LocalIdentity([{ name: 'ada', password: 'bench', groups: ['admin'] }]);
    const server = await startDashboardServer({
      store,
      identity,
      api: { queue: executor.queue, commits: executor.commits, secrets: executor.secrets, runner: executor.runner, installation: 'local' },
      staticDir: assets,
      log,
    });

    const deployment = await new DeploymentScheduler(store).create({
      application: 'shop', environment: 'dev', action: 'deploy', commit: 'a'.repeat(40), branch: 'main', repository: 'acme/shop', trigger: { kind: 'manual', actor: 'ada' },
    });
    const at = new Date().toISOString();
    const started = Date.now();
    for (let from = 0; from < LINES; from += 5000) {
      const batch: LogRecord[] = [];
      for (let seq = from; seq < Math.min(LINES, from + 5000); seq++) {
        batch.push({ seq, at, stream: seq % 50 === 49 ? 'stderr' : 'stdout', text: `line ${seq + 1}: compiling module ${seq.toString(36)} of the application bundle` });
      }
      await store.logs.ingest(deployment.id, batch);
    }
    console.log(`\n${LINES} log lines stored in DynamoDB Local in ${Date.now() - started} ms`);

    const browser = await launchBrowser();
    try {
      const page = await browser.context.newPage();
      // Signed in already: the token as the sign-in page would have stored it.
      await page.addInitScript(token => sessionStorage.setItem('trellis.token', token), identity.token({ name: 'ada', password: 'bench', groups: ['admin'] }));
      const first: number[] = [];
      const all: number[] = [];
      for (let run = 0; run < RUNS; run++) {
        await page.goto(`${server.url}/?run=${run}#/deployments/${deployment.id}`);
        await page.waitForFunction(lines => document.querySelector('[data-testid="log-count"]')?.getAttribute('data-count') === String(lines), LINES, { timeout: 120_000 });
        const marks = await page.evaluate(() => ({ first: performance.getEntriesByName('trellis:first-log-lines')[0]?.startTime, now: performance.now() }));
        first.push(marks.first);
        all.push(marks.now);
      }
      const steps = await page.evaluate(async () => {
        const scroller = document.querySelector('[data-testid="log-scroller"]');
        scroller.scrollTop = 0;
        const times: number[] = [];
        for (let step = 0; step < 100; step++) {
          const before = performance.now();
          scroller.scrollTop += 1800;
          await new Promise(requestAnimationFrame);
          await new Promise(requestAnimationFrame);
          times.push(performance.now() - before);
        }
        return { times: times.sort((a, b) => a - b), rows: document.querySelectorAll('[data-testid="log-row"]').length };
      });
      const firstMs = median(first);
      console.log(`Chromium, local server, median of ${RUNS} page loads:`);
      console.log(`first log lines on screen: ${firstMs.toFixed(0)} ms after navigation (goal ≤ ${GOAL_FIRST_LINES_MS} ms: ${firstMs <= GOAL_FIRST_LINES_MS ? 'met' : 'NOT met'}); runs ${first.map(ms => ms.toFixed(0)).join(', ')}`);
      console.log(`all ${LINES} lines received: ${median(all).toFixed(0)} ms`);
      console.log(`scroll step (two frames, 1800 px): p50 ${median(steps.times).toFixed(1)} ms, p90 ${steps.times[89].toFixed(1)} ms; log rows in the DOM: ${steps.rows}`);
    } finally {
      await browser.close();
      await executor.close();
      await server.close();
    }
  } finally {
    await dynamo.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const assets = buildDashboard();
  try {
    sizes(assets);
    await liveLog(assets);
  } finally {
    rmSync(assets, { recursive: true, force: true });
  }
}

main().catch(error => {
  console.error(error);
  process.exitCode = 1;
});
