import { tmpdir } from 'os';
import { LineSplitter } from '../../src/builder/lines';
import { Masker, base64Forms } from '../../src/builder/masking';
import { LineWriter, Reporter } from '../../src/builder/output';
import { runCommand } from '../../src/builder/process-runner';
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

/**
 * Encoded forms of a secret, printed by real commands (a shell, coreutils, xxd, node) and read
 * through the builder's own path (runCommand → Reporter → masker): none reaches the written log.
 */
describe('encoded forms of every secret', () => {
  // A space, '/', '+', '~', a quote and a two-byte character: every encoding differs from the text.
  const SECRET = "hunter2 s3cr3t/välue+x~'y";
  const BYTES = Buffer.from(SECRET, 'utf8');

  async function printed(script: string, secret = SECRET): Promise<string[]> {
    const reporter = new Reporter({ write: line => written.push(line) }, masker(secret));
    const written: string[] = [];
    const result = await runCommand(['sh', '-c', script], {
      cwd: tmpdir(),
      env: { PATH: process.env.PATH!, S: secret },
      masker: reporter.masker,
      onLine: (line, stream) => reporter.line(line, stream),
    });
    expect(result.code).toBe(0);
    return written;
  }

  /** The line the command printed, had nothing been masked (computed here, not by the masker). */
  function expectHidden(lines: string[], encoded: string): void {
    const log = lines.join('\n');
    expect(log).toContain(MASK);
    // Not the form, nor any 8 characters of it.
    for (let at = 0; at + 8 <= encoded.length; at++) expect(log).not.toContain(encoded.slice(at, at + 8));
  }

  test.each<[string, string, string]>([
    ['base64 (coreutils)', 'printf %s "$S" | base64', BYTES.toString('base64')],
    ['base64 without padding', 'printf %s "$S" | base64 | tr -d =', BYTES.toString('base64').replace(/=+$/, '')],
    ['hex (xxd -p)', 'printf %s "$S" | xxd -p', BYTES.toString('hex')],
    ['HEX upper case', 'printf %s "$S" | xxd -p -u', BYTES.toString('hex').toUpperCase()],
    ['hex bytes separated by spaces (od)', 'printf %s "$S" | od -An -tx1 -w64', BYTES.toString('hex').replace(/(..)(?!$)/g, '$1 ')],
    ['node Buffer hex', 'node -e "console.log(Buffer.from(process.env.S).toString(\'hex\'))"', BYTES.toString('hex')],
    ['node base64url', 'node -e "console.log(\'token=\' + Buffer.from(process.env.S).toString(\'base64url\'))"', BYTES.toString('base64url')],
    ['node base64url padded', 'node -e "console.log(Buffer.from(process.env.S).toString(\'base64\').replace(/[+]/g, \'-\').replace(/[/]/g, \'_\'))"',
      BYTES.toString('base64').replace(/\+/g, '-').replace(/\//g, '_')],
    ['encodeURIComponent', 'node -e "console.log(\'?q=\' + encodeURIComponent(process.env.S))"', encodeURIComponent(SECRET)],
    ['form encoding (URLSearchParams: + for space)', 'node -e "console.log(String(new URLSearchParams({ q: process.env.S })))"',
      new URLSearchParams({ q: SECRET }).toString().slice(2)],
    ['encodeURIComponent with + for space', 'node -e "console.log(encodeURIComponent(process.env.S).replace(/%20/g, \'+\'))"', encodeURIComponent(SECRET).replace(/%20/g, '+')],
  ])('%s', async (_label, script, encoded) => {
    expectHidden(await printed(script), encoded);
  });

  /** RFC 3986's strict escaping: encodeURIComponent plus !'()*. */
  const strict = encodeURIComponent(SECRET).replace(/[!'()*]/g, char => `%${char.charCodeAt(0).toString(16).toUpperCase()}`);
  const python = (expression: string) => `python3 -c 'import os, urllib.parse; S = os.environ["S"]; print(${expression})'`;
  test.each<[string, string, string]>([
    ['Python urllib.parse.quote (keeps /)', python('urllib.parse.quote(S)'), strict.replace(/%2F/g, '/')],
    ['Python quote(s, safe="") (RFC 3986 strict, as curl --data-urlencode)', python('urllib.parse.quote(S, safe="")'), strict],
    ['Python quote_plus', python('urllib.parse.quote_plus(S)'), strict.replace(/%20/g, '+')],
    ['hex separated by colons', python('S.encode().hex(":")'), BYTES.toString('hex').replace(/(..)(?!$)/g, '$1:')],
    ['\\x-escaped hex', python('"".join("\\\\x%02x" % b for b in S.encode())'), BYTES.toString('hex').replace(/(..)/g, '\\x$1')],
  ])('%s', async (_label, script, encoded) => {
    expectHidden(await printed(script), encoded);
  });

  test('xxd\'s default dump (bytes in pairs) of a secret that fits its line', async () => {
    const short = 'p4ss-w0rd-xyz';
    const hex = Buffer.from(short).toString('hex');
    expectHidden(await printed('printf %s "$S" | xxd', short), hex.replace(/(.{4})(?!$)/g, '$1 '));
  });

  test.each([0, 1, 2, 3, 4, 5])('inside a longer base64 text, after %i bytes (every alignment)', async prefix => {
    const before = 'P'.repeat(prefix);
    const lines = await printed(`printf %s "${before}$S and more text after it" | base64 -w0; echo`);
    // The characters that hold only the secret's bits: the rest also hold neighbouring bytes.
    const blob = Buffer.from(`${before}${SECRET} and more text after it`).toString('base64');
    const stable = blob.slice(Math.ceil((8 * prefix) / 6), Math.floor((8 * (prefix + BYTES.length)) / 6));
    expectHidden(lines, stable);
    // The neighbours are still readable.
    expect(lines.join('')).toContain(blob.slice(-8));
  });

  test('a base64 text wrapped over lines, the secret straddling a line break (base64 wraps at 76)', async () => {
    const before = 'x'.repeat(50);
    const lines = await printed(`printf %s "${before}" "$S" "${'y'.repeat(60)}" | base64`);
    expect(lines.length).toBeGreaterThan(1);
    const blob = Buffer.from(`${before}${SECRET}${'y'.repeat(60)}`).toString('base64');
    const stable = blob.slice(Math.ceil((8 * 50) / 6), Math.floor((8 * (50 + BYTES.length)) / 6));
    // The secret's characters on each side of the break: 76 - 67 = 9 on the first line, the rest on the next.
    expect(Math.ceil((8 * 50) / 6)).toBeLessThan(76);
    expectHidden(lines, stable);
  });

  test('a long secret over several wrapped lines of xxd -p', async () => {
    const long = 'k'.repeat(10) + SECRET.repeat(4);
    const lines = await printed('printf %s "$S" | xxd -p', long);
    expect(lines.length).toBeGreaterThan(2);
    expect(lines.every(line => line === MASK)).toBe(true);
  });

  test('short values: their base64 inside other text is not masked, so ordinary output survives', () => {
    const m = masker('abcd');
    // 'YWJjZA' is 'abcd' in base64; its 5 stable characters inside longer base64 would match too often.
    expect(m.mask('YWJjZA== YWJjZA')).toBe(`${MASK} ${MASK}`);
    expect(m.mask('YWJjZGVmZ2g= build ok: 42 files, 616263 bytes')).toBe('YWJjZGVmZ2g= build ok: 42 files, 616263 bytes');
    expect(base64Forms(Buffer.from('abcd'))).toEqual(['YWJjZA==', 'YWJjZA']);
  });
});
