import { LogRecord, LogStream } from '../../src/runtime/core/types';
import {
  MAX_CHUNK_BYTES, Packed, contiguousPrefix, packRun, packScattered, sortUnique, unpackRun, unpackScattered,
} from '../../src/runtime/store/log-chunks';

const STREAMS: readonly LogStream[] = ['stdout', 'stderr', 'system'];

function record(seq: number, text = `line ${seq}`): LogRecord {
  return { seq, at: new Date(Date.UTC(2026, 10, 23, 12, 0, 0, seq)).toISOString(), stream: STREAMS[seq % 3], text };
}

function run(from: number, count: number, text?: (seq: number) => string): LogRecord[] {
  return Array.from({ length: count }, (_, index) => record(from + index, text?.(from + index)));
}

/** Texts of up to 4096 characters mixing 1-, 2-, 3- and 4-byte UTF-8 and characters JSON escapes. */
function heavyText(seq: number): string {
  const units = ['a', 'é', '日本', '🚀', '"', '\\', '\n', '\u0001'];
  let text = `${seq}:`;
  while (text.length < 4000) text += units[(seq + text.length) % units.length];
  return text;
}

function expectWithinLimit(packed: readonly Packed[]): void {
  for (const chunk of packed) {
    expect(Buffer.byteLength(chunk.body)).toBeLessThanOrEqual(MAX_CHUNK_BYTES);
    expect(() => JSON.parse(chunk.body)).not.toThrow();
  }
}

describe('packRun / unpackRun', () => {
  test('no records, no chunks', () => {
    expect(packRun([])).toEqual([]);
  });

  test('a small run is one chunk whose seqs are implied by first', () => {
    const records = run(5, 3);
    const packed = packRun(records);
    expect(packed).toHaveLength(1);
    expect(packed[0]).toMatchObject({ first: 5, last: 7 });
    expect(JSON.parse(packed[0].body)).toEqual(records.map(r => [r.at, r.stream, r.text]));
    expect(unpackRun(packed[0].first, packed[0].body)).toEqual(records);
  });

  test.each<[string, (seq: number) => string]>([
    ['ASCII text', seq => `${seq} ${'x'.repeat(3000)}`],
    ['multi-byte and escaped text', heavyText],
  ])('round trip of a long run of %s, every body within MAX_CHUNK_BYTES bytes', (_label, text) => {
    const records = run(100, 400, text);
    const packed = packRun(records);
    expect(packed.length).toBeGreaterThan(1);
    expectWithinLimit(packed);
    // Chunks tile the run: each starts right after the previous one.
    expect(packed[0].first).toBe(100);
    expect(packed[packed.length - 1].last).toBe(499);
    for (let i = 1; i < packed.length; i++) expect(packed[i].first).toBe(packed[i - 1].last + 1);
    const unpacked = packed.flatMap(chunk => unpackRun(chunk.first, chunk.body));
    expect(unpacked).toEqual(records);
    for (const chunk of packed) {
      const lines = unpackRun(chunk.first, chunk.body);
      expect(lines[lines.length - 1].seq).toBe(chunk.last);
    }
  });

  test('fills each chunk before starting the next', () => {
    const records = run(0, 300, heavyText);
    const packed = packRun(records);
    for (let i = 0; i < packed.length - 1; i++) {
      const nextPart = JSON.stringify(((r: LogRecord) => [r.at, r.stream, r.text])(records[packed[i + 1].first]));
      expect(Buffer.byteLength(packed[i].body) + 1 + Buffer.byteLength(nextPart)).toBeGreaterThan(MAX_CHUNK_BYTES);
    }
  });

  test('text JSON cannot represent plainly survives (quotes, control characters, a lone surrogate)', () => {
    const records = [record(0, '"\\\u0000\u001f\u2028'), record(1, 'half \ud83d of an emoji'), record(2, '')];
    const [chunk] = packRun(records);
    expect(unpackRun(chunk.first, chunk.body)).toEqual(records);
  });
});

describe('packScattered / unpackScattered', () => {
  test('no records, no chunks', () => {
    expect(packScattered([])).toEqual([]);
  });

  test('keeps each record\'s seq across gaps', () => {
    const records = [record(3), record(9), record(10), record(42)];
    const packed = packScattered(records);
    expect(packed).toHaveLength(1);
    expect(packed[0]).toMatchObject({ first: 3, last: 42 });
    expect(unpackScattered(packed[0].body)).toEqual(records);
  });

  test('round trip of many scattered records with multi-byte text, every body within MAX_CHUNK_BYTES bytes', () => {
    const records = Array.from({ length: 300 }, (_, index) => record(index * 7 + 2, heavyText(index)));
    const packed = packScattered(records);
    expect(packed.length).toBeGreaterThan(1);
    expectWithinLimit(packed);
    expect(packed.flatMap(chunk => unpackScattered(chunk.body))).toEqual(records);
    for (const chunk of packed) {
      const lines = unpackScattered(chunk.body);
      expect([lines[0].seq, lines[lines.length - 1].seq]).toEqual([chunk.first, chunk.last]);
    }
  });
});

describe('sortUnique', () => {
  test('sorts by seq and keeps the first copy of each seq', () => {
    const first = record(2, 'first copy');
    const input = [record(5), first, record(0), record(2, 'second copy'), record(5), record(1)];
    const sorted = sortUnique(input);
    expect(sorted.map(r => r.seq)).toEqual([0, 1, 2, 5]);
    expect(sorted[2]).toBe(first);
  });

  test('sorts numerically, not as strings', () => {
    expect(sortUnique([record(10), record(9), record(100), record(2)]).map(r => r.seq)).toEqual([2, 9, 10, 100]);
  });

  test('leaves its input alone', () => {
    const input = [record(1), record(0)];
    sortUnique(input);
    expect(input.map(r => r.seq)).toEqual([1, 0]);
  });

  test('empty in, empty out', () => {
    expect(sortUnique([])).toEqual([]);
  });
});

describe('contiguousPrefix', () => {
  test.each<[string, number[], number[]]>([
    ['empty', [], []],
    ['one record', [4], [4]],
    ['a whole run', [0, 1, 2, 3], [0, 1, 2, 3]],
    ['a run that does not start at 0', [7, 8, 9], [7, 8, 9]],
    ['up to the first gap', [3, 4, 6, 7], [3, 4]],
    ['a gap right after the first', [0, 2, 3], [0]],
  ])('%s', (_label, seqs, expected) => {
    expect(contiguousPrefix(seqs.map(seq => record(seq))).map(r => r.seq)).toEqual(expected);
  });
});
