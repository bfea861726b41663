import {
  MAX_LOG_TEXT, formatBuildLogLine, isLiveLogBatch, isRecord, liveLogBatch, parseBuildLogLine,
} from '../../src/runtime/core/log-lines';
import { LogRecord } from '../../src/runtime/core/types';

const DEPLOYMENT = '20261123T121310123Z-1a2b3c4d';
const AT = '2026-11-23T12:13:10.123Z';

function record(overrides: Partial<LogRecord> = {}): LogRecord {
  return { seq: 7, at: AT, stream: 'stdout', text: 'npm run build', ...overrides };
}

/** A log group line built by hand, to feed parseBuildLogLine what the builder would never print. */
function line(fields: Record<string, unknown>): string {
  return JSON.stringify({ deployment: DEPLOYMENT, seq: 7, at: AT, stream: 'stdout', text: 'x', ...fields });
}

describe('formatBuildLogLine / parseBuildLogLine', () => {
  test('the line is one self-describing JSON object', () => {
    expect(JSON.parse(formatBuildLogLine(DEPLOYMENT, record()))).toEqual({
      deployment: DEPLOYMENT, seq: 7, at: AT, stream: 'stdout', text: 'npm run build',
    });
  });

  test('the line is a single line even when the text has newlines', () => {
    expect(formatBuildLogLine(DEPLOYMENT, record({ text: 'a\nb\r\nc' }))).not.toMatch(/[\r\n]/);
  });

  test.each<[string, LogRecord]>([
    ['stdout', record()],
    ['stderr', record({ stream: 'stderr', text: 'npm ERR! code ELIFECYCLE' })],
    ['system', record({ stream: 'system', seq: 0, text: '::trellis-phase::{"phase":"clone","event":"start","at":"2026-11-23T12:13:10.123Z"}' })],
    ['empty text', record({ text: '' })],
    ['unicode, quotes and control characters', record({ text: 'café "quoted" \\ \t\u0000 🚀' })],
    ['text of exactly the maximum length', record({ text: 'x'.repeat(MAX_LOG_TEXT) })],
    ['a large seq', record({ seq: Number.MAX_SAFE_INTEGER })],
  ])('round trip: %s', (_label, original) => {
    expect(parseBuildLogLine(formatBuildLogLine(DEPLOYMENT, original))).toEqual({ deploymentId: DEPLOYMENT, record: original });
  });

  test('drops fields other than the record\'s', () => {
    expect(parseBuildLogLine(line({ level: 'info', extra: { a: 1 } }))).toEqual({
      deploymentId: DEPLOYMENT, record: { seq: 7, at: AT, stream: 'stdout', text: 'x' },
    });
  });

  test.each<[string, string]>([
    ['an ECS agent line', 'time="2026-11-23T12:13:10Z" level=info msg="Task started"'],
    ['an empty line', ''],
    ['a crash dump', 'node:internal/process/promises:288\n  triggerUncaughtException(err, true);'],
    ['JSON that is cut off', line({}).slice(0, 30)],
    ['a JSON array', '[1,2,3]'],
    ['JSON without deployment', JSON.stringify({ seq: 7, at: AT, stream: 'stdout', text: 'x' })],
    ['a numeric deployment', line({ deployment: 42 })],
    ['a missing seq', line({ seq: undefined })],
    ['a negative seq', line({ seq: -1 })],
    ['a fractional seq', line({ seq: 1.5 })],
    ['a string seq', line({ seq: '7' })],
    ['an unsafe seq', line({ seq: 2 ** 53 })],
    ['an unknown stream', line({ stream: 'debug' })],
    ['a missing stream', line({ stream: undefined })],
    ['an at that is not a date', line({ at: 'yesterday' })],
    ['a numeric at', line({ at: 1700000000000 })],
    ['a missing text', line({ text: undefined })],
    ['a numeric text', line({ text: 42 })],
    ['text over MAX_LOG_TEXT', line({ text: 'x'.repeat(MAX_LOG_TEXT + 1) })],
  ])('%s is not a build log line', (_label, message) => {
    expect(parseBuildLogLine(message)).toBeUndefined();
  });
});

describe('isLiveLogBatch', () => {
  test('accepts what liveLogBatch builds', () => {
    const batch = liveLogBatch(DEPLOYMENT, 'token', [record()]);
    expect(batch).toEqual({ kind: 'trellis-log-batch', deploymentId: DEPLOYMENT, ingestToken: 'token', records: [record()] });
    expect(isLiveLogBatch(batch)).toBe(true);
  });

  test('accepts an empty batch, and one without a token (the ingest function drops it as forged)', () => {
    expect(isLiveLogBatch({ kind: 'trellis-log-batch', deploymentId: DEPLOYMENT, ingestToken: 'token', records: [] })).toBe(true);
    expect(isLiveLogBatch({ kind: 'trellis-log-batch', deploymentId: DEPLOYMENT, records: [] })).toBe(true);
  });

  test.each<[string, unknown]>([
    ['undefined', undefined],
    ['null', null],
    ['a string', 'trellis-log-batch'],
    ['a CloudWatch Logs subscription event', { awslogs: { data: 'H4sIAAAAAAAA' } }],
    ['another kind', { kind: 'log-batch', deploymentId: DEPLOYMENT, records: [] }],
    ['a missing deploymentId', { kind: 'trellis-log-batch', records: [] }],
    ['a numeric deploymentId', { kind: 'trellis-log-batch', deploymentId: 1, records: [] }],
    ['records that are not an array', { kind: 'trellis-log-batch', deploymentId: DEPLOYMENT, records: { 0: record() } }],
    ['a token that is not a string', { kind: 'trellis-log-batch', deploymentId: DEPLOYMENT, ingestToken: 7, records: [] }],
  ])('refuses %s', (_label, value) => {
    expect(isLiveLogBatch(value)).toBe(false);
  });
});

describe('isRecord', () => {
  test.each<[string, unknown]>([
    ['a stdout record', record()],
    ['a stderr record', record({ stream: 'stderr' })],
    ['a system record', record({ stream: 'system' })],
    ['seq 0', record({ seq: 0 })],
    ['empty text', record({ text: '' })],
    ['text of MAX_LOG_TEXT characters', record({ text: '🚀'.repeat(MAX_LOG_TEXT / 2) })],
    ['an at with an offset', record({ at: '2026-11-23T13:13:10.123+01:00' })],
  ])('accepts %s', (_label, value) => {
    expect(isRecord(value)).toBe(true);
  });

  test.each<[string, unknown]>([
    ['undefined', undefined],
    ['null', null],
    ['a number', 7],
    ['an empty object', {}],
    ['a negative seq', record({ seq: -1 })],
    ['a fractional seq', record({ seq: 0.5 })],
    ['NaN seq', record({ seq: NaN })],
    ['an unsafe seq', record({ seq: 2 ** 53 })],
    ['a string seq', { ...record(), seq: '7' }],
    ['an invalid at', record({ at: 'not a date' })],
    ['an unknown stream', { ...record(), stream: 'stdin' }],
    ['a missing text', { seq: 1, at: AT, stream: 'stdout' }],
    ['a non-string text', { ...record(), text: ['a'] }],
    ['text over MAX_LOG_TEXT', record({ text: 'x'.repeat(MAX_LOG_TEXT + 1) })],
  ])('refuses %s', (_label, value) => {
    expect(isRecord(value)).toBe(false);
  });
});
