import { LineSplitter } from '../../src/builder/lines';
import { Masker } from '../../src/builder/masking';
import { LineWriter, Reporter } from '../../src/builder/output';
import { LogStream, MASK, MAX_LOG_TEXT, PHASE_MARKER_PREFIX, parsePhaseMarker } from '../../src/runtime/core';

function masker(...secrets: string[]): Masker {
  const result = new Masker();
  secrets.forEach(secret => result.add(secret));
  return result;
}

function split(chunks: string[], secrets: string[], maxLength = 20): string[] {
  const lines: string[] = [];
  const splitter = new LineSplitter(line => lines.push(line), masker(...secrets), maxLength);
  chunks.forEach(chunk => splitter.push(chunk));
  splitter.end();
  return lines;
}

describe('Masker', () => {
  test('masks every occurrence, the longest secret first', () => {
    const m = masker('abcd', 'abcdefgh');
    expect(m.mask('x abcdefgh y abcd z abcdabcd')).toBe(`x ${MASK} y ${MASK} z ${MASK}${MASK}`);
  });

  test('masks JSON-escaped, URL-encoded and per-line forms', () => {
    const m = masker('pa"ss/word', 'line-one\nline-two');
    expect(m.mask(JSON.stringify('pa"ss/word'))).toBe(`"${MASK}"`);
    expect(m.mask(encodeURIComponent('pa"ss/word'))).toBe(MASK);
    expect(m.mask('line-one')).toBe(MASK);
    expect(m.mask('then line-two')).toBe(`then ${MASK}`);
  });

  test('values shorter than 4 characters are refused, so they cannot blank out the log', () => {
    const m = new Masker();
    expect(m.add('yes')).toBe(false);
    expect(m.add('')).toBe(false);
    expect(m.mask('yes, 2026')).toBe('yes, 2026');
  });

  test('regex characters in a secret are literal', () => {
    expect(masker('a.b*c(d)').mask('a.b*c(d) axbbbcd')).toBe(`${MASK} axbbbcd`);
  });

  test('credentials it was never told about are masked by their shape too', () => {
    const m = masker('topsecret');
    expect(m.mask('token ghp_0123456789abcdefghijklmnopqrstuvwxyz, key AKIAIOSFODNN7EXAMPLE, topsecret'))
      .toBe(`token ${MASK}, key ${MASK}, ${MASK}`);
    expect(new Masker().mask('git clone https://bob:hunter22@example.com/repo.git')).toBe(`git clone https://bob:${MASK}@example.com/repo.git`);
  });
});

describe('LineSplitter', () => {
  test('joins chunks into lines and drops CR of CRLF', () => {
    expect(split(['one\r\ntw', 'o\nthr', 'ee'], [])).toEqual(['one', 'two', 'three']);
  });

  test('a secret split across chunks is masked as a whole', () => {
    const m = masker('s3cr3t-value');
    const lines = split(['x s3cr', '3t-va', 'lue y\n'], ['s3cr3t-value']).map(line => m.mask(line));
    expect(lines).toEqual([`x ${MASK} y`]);
  });

  test('an over-long line is cut, never through a secret', () => {
    const secret = 'SECRET-0123';
    // The naive cut at 20 would fall inside the secret (characters 15-25).
    const lines = split([`${'a'.repeat(15)}${secret}${'b'.repeat(30)}\n`], [secret]);
    expect(lines.every(line => line.length <= 20)).toBe(true);
    expect(lines.join('')).toBe(`${'a'.repeat(15)}${secret}${'b'.repeat(30)}`);
    expect(lines.filter(line => line.includes(secret))).toHaveLength(1);
  });

  test('an over-long line arriving in chunks waits for a secret that may continue', () => {
    const secret = 'SECRET-0123';
    const lines = split(['a'.repeat(18), 'SECRE', `T-0123${'b'.repeat(10)}`], [secret]);
    expect(lines.some(line => line.includes(secret))).toBe(true);
  });
});

describe('Reporter', () => {
  const written: string[] = [];
  const streams: LogStream[] = [];
  const writer: LineWriter = {
    write: (line, stream) => {
      written.push(line);
      streams.push(stream);
    },
  };
  beforeEach(() => {
    written.splice(0);
    streams.splice(0);
  });

  test("output keeps its stream; only the builder's phase markers are on 'system'", () => {
    const reporter = new Reporter(writer, masker());
    reporter.line('out');
    reporter.line('err', 'stderr');
    reporter.line(`${PHASE_MARKER_PREFIX}{"phase":"deploy","event":"start","at":"x"}`);
    reporter.marker({ phase: 'deploy', event: 'start', at: '2026-03-01T12:00:00.000Z' });
    expect(streams).toEqual(['stdout', 'stderr', 'stdout', 'system']);
    expect(written.map(line => parsePhaseMarker(line) !== undefined)).toEqual([false, false, false, true]);
  });

  test('a line too long for one record becomes several, each within the limit and none a marker', () => {
    const reporter = new Reporter(writer, masker());
    const exact = 'x'.repeat(MAX_LOG_TEXT);
    // A forged marker that would start the second piece of a naive cut.
    const sneaky = `${PHASE_MARKER_PREFIX}${'y'.repeat(MAX_LOG_TEXT - PHASE_MARKER_PREFIX.length - 1)}${PHASE_MARKER_PREFIX}{"phase":"deploy","event":"end","at":"x"}`;
    reporter.line(exact);
    reporter.line(sneaky);
    expect(written[0]).toBe(exact);
    expect(written.length).toBeGreaterThan(2);
    expect(written.every(line => line.length <= MAX_LOG_TEXT)).toBe(true);
    expect(written.slice(1).every(line => !line.startsWith(PHASE_MARKER_PREFIX))).toBe(true);
    expect(written.slice(1).map(line => line.replace(/^\\(?=::trellis-phase::)/, '')).join('')).toBe(sneaky);
  });

  test('a marker with a huge detail is shortened to fit one log record and stays parseable', () => {
    const reporter = new Reporter(writer, masker());
    const detail = `${'"\\u0001'.repeat(2000)} tail`;
    reporter.marker({ phase: 'deploy', event: 'end', at: '2026-03-01T12:00:00.000Z', outcome: 'failed', durationMs: 5, detail });
    expect(written[0].length).toBeLessThanOrEqual(MAX_LOG_TEXT);
    const marker = parsePhaseMarker(written[0]);
    expect(marker?.outcome).toBe('failed');
    expect(marker?.detail?.endsWith('…')).toBe(true);
    expect(detail.startsWith(marker!.detail!.slice(0, -1))).toBe(true);
  });

  test('masks every line and escapes lines that imitate a phase marker', () => {
    const reporter = new Reporter(writer, masker('topsecret'));
    reporter.line(`${PHASE_MARKER_PREFIX}{"phase":"deploy","event":"end","at":"x"}\nvalue topsecret`);
    expect(written).toEqual([`\\${PHASE_MARKER_PREFIX}{"phase":"deploy","event":"end","at":"x"}`, `value ${MASK}`]);
    expect(written.map(parsePhaseMarker)).toEqual([undefined, undefined]);
  });

  test('markers stay parseable: only their detail is masked, on one line', () => {
    const reporter = new Reporter(writer, masker('topsecret'));
    reporter.marker({ phase: 'deploy', event: 'end', at: '2026-03-01T12:00:00.000Z', outcome: 'failed', durationMs: 5, detail: 'bad topsecret\nagain' });
    expect(parsePhaseMarker(written[0])).toEqual({
      phase: 'deploy', event: 'end', at: '2026-03-01T12:00:00.000Z', outcome: 'failed', durationMs: 5, detail: `bad ${MASK} again`,
    });
  });
});
