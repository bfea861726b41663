/**
 * LogStream throughput: build log lines through ingest → store (DynamoDB Local) → K live
 * WebSocket subscribers on the local server, printed, not asserted (goal ≥ 50k lines/s,
 * lost = 0, duplicated = 0), and what storing 100k lines costs in items, bytes and writes.
 *
 *   npx projen bench:logs            (BENCH_LINES=100000 BENCH_SUBSCRIBERS=4 by default)
 */
import { createServer } from 'http';
import { AddressInfo } from 'net';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { WebSocket } from 'ws';
import { keys } from '../src/contract/table-schema';
import { createLocalTable, startDynamoDbLocal } from '../src/local/dynamodb-local';
import { LocalSocketServer } from '../src/local/socket-server';
import { Authenticator, Deployment, LogAssembler, LogRecord, ServerMessage, systemClock } from '../src/runtime/core';
import { ingestLogs } from '../src/runtime/logs/ingest-logs';
import { createDynamoStore } from '../src/runtime/store/dynamo-store';
import { TableContext, tableContext } from '../src/runtime/store/table-context';
import { eventually } from '../test/support/eventually';

const LINES = positive('BENCH_LINES', 100_000);
const SUBSCRIBERS = positive('BENCH_SUBSCRIBERS', 4);
const LIVE_BATCH = 1000;
const ARCHIVE_BATCH = 5000;
const PARALLEL_BUILDS = 4;
const GOAL_LINES_PER_SECOND = 50_000;
/** DynamoDB on-demand, us-east-1: $0.625 per million write request units; storage $0.25 per GB-month. */
const USD_PER_MILLION_WRU = 0.625;
const USD_PER_GB_MONTH = 0.25;

function positive(name: string, fallback: number): number {
  const n = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer`);
  return n;
}

/** A realistic build line: ~90 bytes, like `npm` and `sst` output. */
function lines(count: number): LogRecord[] {
  const at = new Date().toISOString();
  return Array.from({ length: count }, (_, seq) => ({
    seq,
    at,
    stream: seq % 7 === 0 ? 'stderr' : 'stdout',
    text: `[${String(seq).padStart(6, '0')}] added 1 package, audited 1432 packages in ${seq % 1000}ms (bench line)`,
  }));
}

function batches<T>(items: readonly T[], size: number): T[][] {
  return Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));
}

/** Deterministic shuffle: the archive path delivers out of order. */
function shuffled<T>(items: readonly T[]): T[] {
  const out = [...items];
  let state = 42;
  for (let i = out.length - 1; i > 0; i--) {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    const j = state % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** A live subscriber: counts every record received and assembles them by seq. */
class Subscriber {
  received = 0;
  readonly assembler = new LogAssembler(0);
  constructor(readonly socket: WebSocket) {
    socket.on('message', data => {
      const message = JSON.parse(data.toString()) as ServerMessage;
      if (message.type !== 'log') return;
      this.received += message.records.length;
      this.assembler.accept(message.records);
    });
  }
}

const everyone: Authenticator = { authenticate: async () => ({ subject: 'bench', name: 'bench', grants: [{ application: '*', role: 'viewer' }] }) };

function deployment(id: string): Deployment {
  const at = new Date().toISOString();
  return { id, application: 'bench', environment: 'dev', action: 'deploy', commit: 'a'.repeat(40), trigger: { kind: 'manual' }, status: 'running', createdAt: at, updatedAt: at };
}

async function chunkCost(ctx: TableContext, deploymentId: string) {
  let items = 0;
  let bytes = 0;
  let writeUnits = 0;
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await ctx.doc.send(new QueryCommand({
      TableName: ctx.tableName,
      KeyConditionExpression: 'PK = :pk',
      ExpressionAttributeValues: { ':pk': keys.logHead(deploymentId).PK },
      ExclusiveStartKey,
    }));
    for (const item of page.Items ?? []) {
      if (!String(item.SK).startsWith('CHUNK#')) continue;
      const size = Buffer.byteLength(JSON.stringify(item));
      items++;
      bytes += size;
      writeUnits += 2 * Math.ceil(size / 1024); // transactional writes cost double
    }
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return { items, bytes, writeUnits };
}

async function main(): Promise<void> {
  const db = await startDynamoDbLocal();
  const server = createServer();
  try {
    await createLocalTable(db.clientConfig, 'trellis-bench');
    const ctx = tableContext('trellis-bench', db.clientConfig);
    const store = createDynamoStore(ctx);
    const quiet = () => undefined;
    const live = new LocalSocketServer({ store, authenticator: everyone, clock: systemClock, log: quiet });
    live.attach(server);
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
    const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/live?token=bench`;
    const deps = { store, sink: live, clock: systemClock, retentionDays: 1, log: quiet };
    const all = lines(LINES);

    const subscribeOne = (deploymentId: string) => new Promise<Subscriber>((resolve, reject) => {
      const socket = new WebSocket(url);
      socket.once('error', reject);
      socket.once('open', () => {
        const subscriber = new Subscriber(socket);
        socket.on('message', data => {
          if ((JSON.parse(data.toString()) as ServerMessage).type === 'subscribed') resolve(subscriber);
        });
        socket.send(JSON.stringify({ action: 'subscribe', deploymentId, from: 0 }));
      });
    });
    const subscribe = (deploymentId: string) => Promise.all(Array.from({ length: SUBSCRIBERS }, () => subscribeOne(deploymentId)));
    // Lines not delivered within 15 s are counted as lost by the report, not an error.
    const settle = (subscribers: Subscriber[]) =>
      eventually('every subscriber to have every line', () => subscribers.every(s => s.assembler.next >= LINES), 15_000, 50).catch(() => undefined);
    const report = async (name: string, ids: string[], ms: number, subscribers: Subscriber[]) => {
      let lost = 0;
      let duplicated = 0;
      for (const id of ids) {
        const stored: LogRecord[] = [];
        for (let from = 0, end = false; !end;) {
          const page = await store.logs.read(id, { from, limit: 5000 });
          stored.push(...page.records);
          ({ next: from, end } = page);
        }
        const seqs = new Set(stored.map(r => r.seq));
        lost += LINES - seqs.size;
        duplicated += stored.length - seqs.size;
      }
      const delivered = subscribers.map(s => `${s.assembler.next}/${LINES}${s.received > s.assembler.next ? ` (+${s.received - s.assembler.next} dropped by seq)` : ''}`);
      const rate = Math.round(ids.length * LINES / (ms / 1000));
      console.log(`${name.padEnd(44)} ${String(rate).padStart(7)} lines/s  ${(ms / 1000).toFixed(2)} s  lost ${lost}  duplicated ${duplicated}  subscribers ${[...new Set(delivered)].join(', ')}`);
      return rate;
    };

    console.log(`LogStream throughput: ${LINES} lines per build, ${SUBSCRIBERS} live subscribers per build, DynamoDB Local (goal ≥ ${GOAL_LINES_PER_SECOND} lines/s)\n`);

    // 1. One build, live path only: the builder's batches, one at a time.
    await store.deployments.create(deployment('20260101T000000001Z-00000001'));
    let subscribers = await subscribe('20260101T000000001Z-00000001');
    let started = Date.now();
    for (const batch of batches(all, LIVE_BATCH)) await ingestLogs('20260101T000000001Z-00000001', batch, deps);
    const sequentialMs = Date.now() - started;
    await settle(subscribers);
    await report(`1 build, live path, batches of ${LIVE_BATCH}`, ['20260101T000000001Z-00000001'], sequentialMs, subscribers);
    subscribers.forEach(s => s.socket.close());

    // 2. One build, both paths at once: live batches in order with every 10th lost, the
    // archive's bigger batches shuffled; duplicates everywhere.
    await store.deployments.create(deployment('20260101T000000002Z-00000002'));
    subscribers = await subscribe('20260101T000000002Z-00000002');
    started = Date.now();
    const livePath = (async () => {
      for (const [i, batch] of batches(all, LIVE_BATCH).entries()) if (i % 10 !== 9) await ingestLogs('20260101T000000002Z-00000002', batch, deps);
    })();
    const archivePath = (async () => {
      for (const batch of shuffled(batches(all, ARCHIVE_BATCH))) await ingestLogs('20260101T000000002Z-00000002', batch, deps);
    })();
    await Promise.all([livePath, archivePath]);
    const twoPathMs = Date.now() - started;
    await settle(subscribers);
    await report('1 build, live + archive (out of order)', ['20260101T000000002Z-00000002'], twoPathMs, subscribers);
    subscribers.forEach(s => s.socket.close());

    // 3. Several builds at once (the common case on a busy installation).
    const ids = Array.from({ length: PARALLEL_BUILDS }, (_, i) => `20260101T00000001${i}Z-0000001${i}`);
    for (const id of ids) await store.deployments.create(deployment(id));
    subscribers = (await Promise.all(ids.map(id => subscribe(id)))).flat();
    started = Date.now();
    await Promise.all(ids.map(async id => {
      for (const batch of batches(all, LIVE_BATCH)) await ingestLogs(id, batch, deps);
    }));
    const parallelMs = Date.now() - started;
    await settle(subscribers);
    const best = await report(`${PARALLEL_BUILDS} builds at once, live path`, ids, parallelMs, subscribers);
    subscribers.forEach(s => s.socket.close());

    const cost = await chunkCost(ctx, '20260101T000000001Z-00000001');
    const per100k = 100_000 / LINES;
    console.log(`\nchunking cost per 100k lines (~${Math.round(all.reduce((n, r) => n + r.text.length, 0) / LINES)}-byte lines, batches of ${LIVE_BATCH}):`);
    console.log(`  ${Math.round(cost.items * per100k)} chunk items, ${(cost.bytes * per100k / 1024 / 1024).toFixed(1)} MiB stored, ${Math.round(cost.writeUnits * per100k)} write request units`);
    console.log(`  ≈ $${(cost.writeUnits * per100k / 1e6 * USD_PER_MILLION_WRU).toFixed(4)} to write, $${(cost.bytes * per100k / 1024 ** 3 * USD_PER_GB_MONTH).toFixed(5)} per month stored (on-demand, us-east-1)`);
    console.log(`\nbest aggregate: ${best} lines/s (goal ${GOAL_LINES_PER_SECOND}: ${best >= GOAL_LINES_PER_SECOND ? 'met' : 'not met on DynamoDB Local here; see bench/README.md'})`);
  } finally {
    server.close();
    await db.stop();
  }
}

main().catch(error => {
  console.error(error);
  process.exit(1);
});
