import { DeleteCommand, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { T0, depId, queuedDeployment } from './fixtures';
import { batches, marker, record, records, shuffled } from './log-records';
import { TTL_ATTRIBUTE, keys } from '../../src/contract/table-schema';
import { LogRecord, MAX_LIVE_BATCH, NotFoundError, Store, ValidationError } from '../../src/runtime/core';
import { MAX_CHUNK_BYTES } from '../../src/runtime/store/log-chunks';
import { TableContext, queryAll } from '../../src/runtime/store/table-context';
import { freshStore } from '../support/test-table';

const DEPLOYMENT = depId(1);

describe('DynamoLogStore', () => {
  let store: Store;
  let ctx: TableContext;

  beforeEach(async () => {
    ({ store, ctx } = await freshStore());
    await store.deployments.create(queuedDeployment(DEPLOYMENT, 'shop', 'dev'));
  });

  async function readAll(deploymentId = DEPLOYMENT, limit?: number): Promise<LogRecord[]> {
    const all: LogRecord[] = [];
    let from = 0;
    for (let pages = 0; pages < 1000; pages++) {
      const page = await store.logs.read(deploymentId, { from, limit });
      all.push(...page.records);
      from = page.next;
      if (page.end) return all;
    }
    throw new Error('read never reached the end');
  }

  /** Every item in the log's partition, by kind. */
  async function items(deploymentId = DEPLOYMENT) {
    const all = await queryAll(ctx, {
      KeyConditionExpression: 'PK = :pk',
      ExpressionAttributeValues: { ':pk': keys.logHead(deploymentId).PK },
      ConsistentRead: true,
    });
    return {
      head: all.find(item => item.SK === 'HEAD'),
      chunks: all.filter(item => String(item.SK).startsWith('CHUNK#')),
      held: all.filter(item => String(item.SK).startsWith('HELD#')),
    };
  }

  test('batches in order are stored once, read back in order, and report what they stored', async () => {
    const first = await store.logs.ingest(DEPLOYMENT, records(0, 3));
    expect(first).toEqual({ stored: records(0, 3), next: 3, held: 0 });
    const second = await store.logs.ingest(DEPLOYMENT, records(3, 5));
    expect(second).toEqual({ stored: records(3, 5), next: 5, held: 0 });
    expect(await readAll()).toEqual(records(0, 5));
  });

  test('records already stored are dropped: a repeated or overlapping batch stores only what is new', async () => {
    await store.logs.ingest(DEPLOYMENT, records(0, 10));
    expect(await store.logs.ingest(DEPLOYMENT, records(0, 10))).toEqual({ stored: [], next: 10, held: 0 });
    const overlap = await store.logs.ingest(DEPLOYMENT, [...records(5, 15), record(12, 'a second copy of 12')]);
    expect(overlap.stored).toEqual(records(10, 15));
    expect(await readAll()).toEqual(records(0, 15));
  });

  test('a batch after a gap is held, then stored in order when the gap is filled, and the held copy is deleted', async () => {
    const early = await store.logs.ingest(DEPLOYMENT, records(10, 20));
    expect(early).toEqual({ stored: [], next: 0, held: 10 });
    expect(await readAll()).toEqual([]);
    expect((await items()).held.length).toBeGreaterThan(0);

    const fill = await store.logs.ingest(DEPLOYMENT, records(0, 10));
    expect(fill.stored).toEqual(records(0, 20));
    expect(fill).toMatchObject({ next: 20, held: 0 });
    expect(await readAll()).toEqual(records(0, 20));
    expect((await items()).held).toEqual([]);
  });

  test('held records with a second gap wait for it too', async () => {
    await store.logs.ingest(DEPLOYMENT, records(30, 40));
    await store.logs.ingest(DEPLOYMENT, records(10, 20));
    const partial = await store.logs.ingest(DEPLOYMENT, records(0, 10));
    // `held` counts this call's own records that wait; 30..39 were held by an earlier call.
    expect(partial).toEqual({ stored: records(0, 20), next: 20, held: 0 });
    const rest = await store.logs.ingest(DEPLOYMENT, records(20, 30));
    expect(rest).toEqual({ stored: records(20, 40), next: 40, held: 0 });
    expect(await readAll()).toEqual(records(0, 40));
  });

  test('an unknown deployment is NotFound and nothing is stored', async () => {
    const unknown = depId(99);
    await expect(store.logs.ingest(unknown, records(0, 3))).rejects.toBeInstanceOf(NotFoundError);
    expect((await items(unknown)).chunks).toEqual([]);
    expect((await items(unknown)).head).toBeUndefined();
  });

  test.each([-1, 1.5, NaN, 10 ** 10])('seq %p is a ValidationError and nothing is stored', async seq => {
    await expect(store.logs.ingest(DEPLOYMENT, [record(0), { ...record(1), seq }])).rejects.toBeInstanceOf(ValidationError);
    expect(await readAll()).toEqual([]);
  });

  test('read pages by line: from and limit, `next` to continue, `end` on the last page', async () => {
    await store.logs.ingest(DEPLOYMENT, records(0, 4));
    await store.logs.ingest(DEPLOYMENT, records(4, 7));
    expect(await store.logs.read(DEPLOYMENT, { limit: 5 })).toEqual({ records: records(0, 5), next: 5, end: false });
    // `from` inside a chunk starts at that line, not the chunk's first.
    expect(await store.logs.read(DEPLOYMENT, { from: 2, limit: 3 })).toEqual({ records: records(2, 5), next: 5, end: false });
    expect(await store.logs.read(DEPLOYMENT, { from: 5 })).toEqual({ records: records(5, 7), next: 7, end: true });
    expect(await store.logs.read(DEPLOYMENT, { from: 7 })).toEqual({ records: [], next: 7, end: true });
    expect(await readAll(DEPLOYMENT, 2)).toEqual(records(0, 7));
    for (const from of [-1, 1.5, NaN]) {
      await expect(store.logs.read(DEPLOYMENT, { from })).rejects.toBeInstanceOf(ValidationError);
    }
  });

  test('a deployment reads only its own log', async () => {
    const other = depId(2);
    await store.deployments.create(queuedDeployment(other, 'shop', 'dev'));
    await store.logs.ingest(DEPLOYMENT, [record(0, 'mine')]);
    await store.logs.ingest(other, [record(0, 'theirs'), record(1, 'theirs')]);
    expect(await readAll()).toEqual([record(0, 'mine')]);
    expect((await readAll(other)).map(r => r.text)).toEqual(['theirs', 'theirs']);
  });

  test('big batches are split into chunks under the item limit; multi-byte text counts in bytes', async () => {
    const wide = Array.from({ length: 300 }, (_, seq) => record(seq, `${'é'.repeat(2000)} ${seq}`));
    await store.logs.ingest(DEPLOYMENT, wide);
    const { chunks } = await items();
    expect(chunks.length).toBeGreaterThan(1);
    for (const chunk of chunks) expect(Buffer.byteLength(chunk.lines as string)).toBeLessThanOrEqual(MAX_CHUNK_BYTES);
    expect(await readAll()).toEqual(wide);
  });

  test('the expiry is stored as the TTL attribute of chunks and head but never returned', async () => {
    await store.logs.ingest(DEPLOYMENT, records(0, 2), { expiresAt: 1_900_000_000 });
    const { head, chunks } = await items();
    expect(head?.[TTL_ATTRIBUTE]).toBe(1_900_000_000);
    expect(chunks[0][TTL_ATTRIBUTE]).toBe(1_900_000_000);
    expect(await readAll()).toEqual(records(0, 2));
  });

  test('phase markers become phase records on the deployment, in start order, the end completing the start', async () => {
    await store.logs.ingest(DEPLOYMENT, [marker(0, 'clone', 'start'), record(1)]);
    expect((await store.deployments.get(DEPLOYMENT))?.phases).toEqual([
      { phase: 'clone', startedAt: new Date(T0).toISOString(), outcome: 'running' },
    ]);
    await store.logs.ingest(DEPLOYMENT, [marker(2, 'clone', 'end', 2), marker(3, 'install', 'start'), record(4), marker(5, 'install', 'end', 2)]);
    const phases = (await store.deployments.get(DEPLOYMENT))?.phases;
    expect(phases).toEqual([
      { phase: 'clone', startedAt: new Date(T0).toISOString(), endedAt: new Date(T0 + 2).toISOString(), durationMs: 2, outcome: 'succeeded', detail: 'ok' },
      { phase: 'install', startedAt: new Date(T0 + 3).toISOString(), endedAt: new Date(T0 + 5).toISOString(), durationMs: 2, outcome: 'succeeded', detail: 'ok' },
    ]);
    // A marker printed by the app (stdout) is an ordinary line, not a phase.
    await store.logs.ingest(DEPLOYMENT, [{ ...marker(6, 'clone', 'start'), stream: 'stdout' }]);
    expect((await store.deployments.get(DEPLOYMENT))?.phases).toEqual(phases);
  });

  test('100k lines from two interleaved paths, with duplicates and out-of-order batches: stored once each, in order, none missing', async () => {
    const all = records(0, 100_000);
    // The live path: batches of up to MAX_LIVE_BATCH in order, but a few lost and some repeated.
    const live = batches(all, MAX_LIVE_BATCH, 7).filter((_, i) => i % 17 !== 3);
    live.push(...live.filter((_, i) => i % 11 === 0));
    // The archive path: everything, in bigger batches (subscription deliveries), out of order.
    const archive = shuffled(batches(all, 5 * MAX_LIVE_BATCH, 11), 5);
    // Both paths at once, with concurrent callers, like concurrent Lambda invocations.
    const queue = shuffled([...live, ...archive], 3);
    const workers = Array.from({ length: 3 }, async () => {
      for (let batch = queue.pop(); batch; batch = queue.pop()) await store.logs.ingest(DEPLOYMENT, batch);
    });
    await Promise.all(workers);

    const stored = await readAll();
    expect(stored.length).toBe(all.length);
    expect(stored).toEqual(all);
    const { head, chunks, held } = await items();
    expect(head?.next).toBe(100_000);
    expect(held).toEqual([]);
    // Chunks tile the log exactly: no overlap, no gap.
    const spans = chunks.map(chunk => [chunk.first as number, chunk.last as number]).sort((a, b) => a[0] - b[0]);
    spans.forEach(([first], i) => expect(first).toBe(i === 0 ? 0 : spans[i - 1][1] + 1));
  }, 300_000);

  test('a hold racing the commit that fills its gap is never stranded', async () => {
    for (let round = 0; round < 20; round++) {
      const base = round * 20;
      await Promise.all([
        store.logs.ingest(DEPLOYMENT, records(base + 10, base + 20)),
        store.logs.ingest(DEPLOYMENT, records(base, base + 10)),
      ]);
      expect((await store.logs.read(DEPLOYMENT, { from: base })).next).toBe(base + 20);
    }
    expect(await readAll()).toEqual(records(0, 400));
  }, 120_000);

  test('the deployment item keeps its phases when other writes touch it', async () => {
    await store.logs.ingest(DEPLOYMENT, [marker(0, 'clone', 'start')]);
    await store.deployments.transition(DEPLOYMENT, 'running');
    const raw = (await ctx.doc.send(new GetCommand({ TableName: ctx.tableName, Key: keys.deployment(DEPLOYMENT) }))).Item;
    expect(raw?.[keys.phaseAttribute('clone')]).toMatchObject({ outcome: 'running' });
    expect((await store.deployments.get(DEPLOYMENT))).toMatchObject({ status: 'running', phases: [{ phase: 'clone' }] });
  });

  /** Records 0-2, then 3-4, both acknowledged; then the table loses the second write (DynamoDB Local killed right after it): head back at 3, its chunk gone. */
  async function loseSecondOfTwoWrites(): Promise<void> {
    await store.logs.ingest(DEPLOYMENT, records(0, 3));
    await store.logs.ingest(DEPLOYMENT, records(3, 5));
    const lost = (await items()).chunks.find(item => item.first === 3)!;
    await ctx.doc.send(new DeleteCommand({ TableName: ctx.tableName, Key: { PK: lost.PK, SK: lost.SK } }));
    await ctx.doc.send(new UpdateCommand({
      TableName: ctx.tableName, Key: keys.logHead(DEPLOYMENT), UpdateExpression: 'SET #next = :three', ExpressionAttributeNames: { '#next': 'next' }, ExpressionAttributeValues: { ':three': 3 },
    }));
  }

  test('records sent again after the table lost its last write are stored, though this instance remembers them as stored', async () => {
    await loseSecondOfTwoWrites();

    // Sent again first (what local mode does after the restart), then the build carries on.
    expect(await store.logs.ingest(DEPLOYMENT, records(1, 5))).toEqual({ stored: records(3, 5), next: 5, held: 0 });
    await store.logs.ingest(DEPLOYMENT, records(5, 8));
    expect(await readAll()).toEqual(records(0, 8));
    expect((await items()).held).toEqual([]);
  });

  test('a later batch first (held behind the lost records), then the records sent again: nothing is missing', async () => {
    await loseSecondOfTwoWrites();

    expect(await store.logs.ingest(DEPLOYMENT, records(5, 8))).toMatchObject({ stored: [], held: 3 });
    expect(await readAll()).toEqual(records(0, 3));
    expect(await store.logs.ingest(DEPLOYMENT, records(3, 5))).toEqual({ stored: records(3, 8), next: 8, held: 0 });
    expect(await readAll()).toEqual(records(0, 8));
  });
});
