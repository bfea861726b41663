import { LogAssembler } from '../../src/runtime/core/log-assembler';
import { LogRecord } from '../../src/runtime/core/types';

function record(seq: number, text = `line ${seq}`): LogRecord {
  return { seq, at: new Date(Date.UTC(2026, 10, 23, 12, 0, 0, seq)).toISOString(), stream: 'stdout', text };
}

function records(...seqs: number[]): LogRecord[] {
  return seqs.map(seq => record(seq));
}

const seqsOf = (list: readonly LogRecord[]) => list.map(r => r.seq);

/** Park–Miller minimal standard generator: deterministic, so a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 48271) % 2147483647;
    return (state - 1) / 2147483646;
  };
}

function shuffle<T>(items: T[], next: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}

describe('LogAssembler', () => {
  test('starts at 0 with no gap', () => {
    const assembler = new LogAssembler();
    expect(assembler.next).toBe(0);
    expect(assembler.hasGap).toBe(false);
    expect(assembler.accept([])).toEqual([]);
  });

  test('in-order input passes straight through', () => {
    const assembler = new LogAssembler();
    const input = records(0, 1, 2);
    expect(assembler.accept(input)).toEqual(input);
    expect(assembler.next).toBe(3);
    expect(assembler.hasGap).toBe(false);
  });

  test('holds records after a missing one until it arrives, then releases them in order', () => {
    const assembler = new LogAssembler();
    expect(seqsOf(assembler.accept(records(0, 3, 2)))).toEqual([0]);
    expect(assembler.hasGap).toBe(true);
    expect(assembler.next).toBe(1);
    expect(seqsOf(assembler.accept(records(5)))).toEqual([]);
    expect(assembler.hasGap).toBe(true);
    expect(seqsOf(assembler.accept(records(1)))).toEqual([1, 2, 3]);
    expect(assembler.hasGap).toBe(true); // 5 still waits for 4
    expect(assembler.next).toBe(4);
    expect(seqsOf(assembler.accept(records(4)))).toEqual([4, 5]);
    expect(assembler.hasGap).toBe(false);
    expect(assembler.next).toBe(6);
  });

  test('out-of-order input within one call comes out sorted', () => {
    const assembler = new LogAssembler();
    expect(seqsOf(assembler.accept(records(4, 2, 0, 3, 1)))).toEqual([0, 1, 2, 3, 4]);
  });

  test('duplicates, in one call or across calls, come out once', () => {
    const assembler = new LogAssembler();
    expect(seqsOf(assembler.accept(records(0, 0, 2, 2, 1)))).toEqual([0, 1, 2]);
    expect(seqsOf(assembler.accept(records(0, 1, 2)))).toEqual([]);
    expect(seqsOf(assembler.accept(records(4, 4)))).toEqual([]);
    expect(seqsOf(assembler.accept(records(4, 3, 4)))).toEqual([3, 4]);
    expect(assembler.hasGap).toBe(false);
  });

  test('keeps the first copy of a duplicated seq', () => {
    const assembler = new LogAssembler();
    assembler.accept([record(1, 'first')]);
    expect(assembler.accept([record(1, 'second'), record(0)])).toEqual([record(0), record(1, 'first')]);
  });

  test('starting from a later seq drops the earlier records', () => {
    const assembler = new LogAssembler(10);
    expect(assembler.next).toBe(10);
    expect(seqsOf(assembler.accept(records(8, 9, 11, 10, 3)))).toEqual([10, 11]);
    expect(assembler.hasGap).toBe(false);
    expect(seqsOf(assembler.accept(records(0, 1, 2)))).toEqual([]);
    expect(assembler.hasGap).toBe(false);
    expect(assembler.next).toBe(12);
  });

  test.each([
    ['from 0', 0],
    ['from a later seq', 1234],
  ])('property: a shuffled 10k-record input with duplicates comes out whole, in order, once each (%s)', (_label, from) => {
    const next = random(20261123 + from);
    const total = 10_000;
    const input: LogRecord[] = [];
    for (let seq = 0; seq < total; seq++) {
      input.push(record(seq));
      if (next() < 0.3) input.push(record(seq)); // the live path and the backlog both delivered it
      if (next() < 0.05) input.push(record(seq));
    }
    shuffle(input, next);

    const assembler = new LogAssembler(from);
    const output: LogRecord[] = [];
    for (let offset = 0; offset < input.length;) {
      const size = 1 + Math.floor(next() * 200);
      const expectedStart = assembler.next;
      const ready = assembler.accept(input.slice(offset, offset + size));
      // Each call continues exactly where the previous one stopped.
      if (ready.length > 0) expect(ready[0].seq).toBe(expectedStart);
      expect(assembler.next).toBe(expectedStart + ready.length);
      output.push(...ready);
      offset += size;
    }

    expect(assembler.next).toBe(total);
    expect(assembler.hasGap).toBe(false);
    expect(output).toHaveLength(total - from);
    expect(output).toEqual(Array.from({ length: total - from }, (_, index) => record(from + index)));
  });
});
