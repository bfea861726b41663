import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { T0, depId } from './fixtures';
import { LogChunk, Store, ValidationError } from '../../src/runtime/core';
import { MAX_CHUNK_BYTES } from '../../src/runtime/store/dynamo-log-store';
import { TableContext } from '../../src/runtime/store/table-context';
import { TTL_ATTRIBUTE, keys } from '../../src/runtime/store/table-schema';
import { freshStore } from '../support/test-table';

const DEPLOYMENT = depId(1);

function chunk(seq: number, text = `line ${seq}`, deploymentId = DEPLOYMENT): LogChunk {
  const at = new Date(T0 + (Number.isFinite(seq) ? seq * 1000 : 0)).toISOString();
  return {
    deploymentId,
    seq,
    lines: [{ at, stream: 'stdout', text }, { at, stream: 'stderr', text: `${text} (err)` }],
  };
}

describe('DynamoLogStore', () => {
  let store: Store;
  let ctx: TableContext;

  beforeEach(async () => {
    ({ store, ctx } = await freshStore());
  });

  test('chunks appended out of order are read back in seq order, unchanged', async () => {
    for (const seq of [2, 0, 1]) expect(await store.logs.append(chunk(seq))).toBe('written');
    expect(await store.logs.read(DEPLOYMENT)).toEqual([chunk(0), chunk(1), chunk(2)]);
  });

  test('seq order is numeric, not lexicographic', async () => {
    for (const seq of [10, 9, 100, 2]) await store.logs.append(chunk(seq));
    expect((await store.logs.read(DEPLOYMENT)).map(c => c.seq)).toEqual([2, 9, 10, 100]);
  });

  test('afterSeq and limit page through the chunks', async () => {
    for (const seq of [4, 1, 3, 0, 2, 5, 6]) await store.logs.append(chunk(seq));

    expect((await store.logs.read(DEPLOYMENT, { limit: 3 })).map(c => c.seq)).toEqual([0, 1, 2]);
    expect((await store.logs.read(DEPLOYMENT, { afterSeq: 2, limit: 3 })).map(c => c.seq)).toEqual([3, 4, 5]);
    expect((await store.logs.read(DEPLOYMENT, { afterSeq: 5, limit: 3 })).map(c => c.seq)).toEqual([6]);
    expect(await store.logs.read(DEPLOYMENT, { afterSeq: 6 })).toEqual([]);
    expect((await store.logs.read(DEPLOYMENT, { afterSeq: 0 })).map(c => c.seq)).toEqual([1, 2, 3, 4, 5, 6]);

    // Following the last seq of each page reads everything once.
    const seen: number[] = [];
    let afterSeq: number | undefined;
    for (let pages = 0; pages < 10; pages++) {
      const page = await store.logs.read(DEPLOYMENT, { afterSeq, limit: 2 });
      if (page.length === 0) break;
      seen.push(...page.map(c => c.seq));
      afterSeq = page[page.length - 1].seq;
    }
    expect(seen).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  test('a deployment reads only its own chunks', async () => {
    const other = depId(2);
    await store.logs.append(chunk(0, 'mine'));
    await store.logs.append(chunk(0, 'theirs', other));
    await store.logs.append(chunk(1, 'theirs', other));
    expect(await store.logs.read(DEPLOYMENT)).toEqual([chunk(0, 'mine')]);
    expect((await store.logs.read(other)).map(c => c.lines[0].text)).toEqual(['theirs', 'theirs']);
    expect(await store.logs.read(depId(3))).toEqual([]);
  });

  test('appending a seq twice is a duplicate and the first content is kept', async () => {
    expect(await store.logs.append(chunk(0, 'first'))).toBe('written');
    expect(await store.logs.append(chunk(0, 'second'))).toBe('duplicate');
    expect(await store.logs.read(DEPLOYMENT)).toEqual([chunk(0, 'first')]);
  });

  test('concurrent appends of one seq: exactly one is written', async () => {
    const results = await Promise.all(['a', 'b', 'c', 'd'].map(text => store.logs.append(chunk(0, text))));
    expect(results.filter(r => r === 'written')).toHaveLength(1);
    const written = ['a', 'b', 'c', 'd'][results.indexOf('written')];
    expect(await store.logs.read(DEPLOYMENT)).toEqual([chunk(0, written)]);
  });

  test('a chunk over 64 KiB is a ValidationError and nothing is written; one just under fits', async () => {
    const line = (text: string): LogChunk => ({ deploymentId: DEPLOYMENT, seq: 0, lines: [{ at: '2026-03-01T12:00:00.000Z', stream: 'stdout', text }] });
    const overhead = Buffer.byteLength(JSON.stringify(line('').lines));
    await expect(store.logs.append(line('x'.repeat(MAX_CHUNK_BYTES - overhead + 1)))).rejects.toBeInstanceOf(ValidationError);
    // Multi-byte characters count in bytes, not characters.
    await expect(store.logs.append(line('é'.repeat(Math.ceil(MAX_CHUNK_BYTES / 2))))).rejects.toBeInstanceOf(ValidationError);
    expect(await store.logs.read(DEPLOYMENT)).toEqual([]);

    const fits = line('x'.repeat(MAX_CHUNK_BYTES - overhead));
    expect(await store.logs.append(fits)).toBe('written');
    expect(await store.logs.read(DEPLOYMENT)).toEqual([fits]);
  });

  test.each([-1, 1.5, NaN, Infinity, 10 ** 10])('seq %p is a ValidationError', async seq => {
    await expect(store.logs.append(chunk(seq))).rejects.toBeInstanceOf(ValidationError);
    expect(await store.logs.read(DEPLOYMENT)).toEqual([]);
  });

  test('an afterSeq that is not an integer is a ValidationError, not a silently skipped range', async () => {
    for (const seq of [0, 1, 2, 3, 10, 11]) await store.logs.append(chunk(seq));
    for (const afterSeq of [1.5, NaN]) {
      await expect(store.logs.read(DEPLOYMENT, { afterSeq })).rejects.toBeInstanceOf(ValidationError);
    }
    // Any integer works; below zero means from the start.
    expect((await store.logs.read(DEPLOYMENT, { afterSeq: -1 })).map(c => c.seq)).toEqual([0, 1, 2, 3, 10, 11]);
    expect((await store.logs.read(DEPLOYMENT, { afterSeq: 3 })).map(c => c.seq)).toEqual([10, 11]);
  });

  test('the optional expiry is stored as the TTL attribute but never returned', async () => {
    await store.logs.append(chunk(0), 1_900_000_000);
    await store.logs.append(chunk(1));
    expect(await store.logs.read(DEPLOYMENT)).toEqual([chunk(0), chunk(1)]);
    const raw = async (seq: number) => (await ctx.doc.send(new GetCommand({ TableName: ctx.tableName, Key: keys.logChunk(DEPLOYMENT, seq) }))).Item;
    expect((await raw(0))?.[TTL_ATTRIBUTE]).toBe(1_900_000_000);
    expect(await raw(1)).not.toHaveProperty(TTL_ATTRIBUTE);
  });
});
