import { newDeploymentId } from '../../src/runtime/core/deployment-ids';
import { ValidationError } from '../../src/runtime/core/errors';
import {
  MAX_CLIENT_MESSAGE, MAX_LOG_MESSAGE_BYTES, ServerMessage, logMessages, parseClientMessage,
} from '../../src/runtime/core/live-messages';
import { LogRecord } from '../../src/runtime/core/types';

const DEPLOYMENT = newDeploymentId({ now: () => new Date('2026-11-23T12:13:10.123Z') }, () => '1a2b3c4d');

/** The ValidationError `body` raises, checked to name `path`. */
function rejection(body: string): ValidationError {
  try {
    parseClientMessage(body);
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return error as ValidationError;
  }
  throw new Error(`accepted ${body}`);
}

function record(seq: number, text: string): LogRecord {
  return { seq, at: '2026-11-23T12:13:10.123Z', stream: seq % 2 === 0 ? 'stdout' : 'stderr', text };
}

function logRecordsOf(messages: readonly ServerMessage[]): LogRecord[] {
  return messages.flatMap(message => (message.type === 'log' ? [...message.records] : []));
}

describe('parseClientMessage', () => {
  test('a subscribe with from', () => {
    expect(parseClientMessage(JSON.stringify({ action: 'subscribe', deploymentId: DEPLOYMENT, from: 42 })))
      .toEqual({ action: 'subscribe', deploymentId: DEPLOYMENT, from: 42 });
  });

  test('a subscribe without from starts at 0', () => {
    expect(parseClientMessage(JSON.stringify({ action: 'subscribe', deploymentId: DEPLOYMENT })))
      .toEqual({ action: 'subscribe', deploymentId: DEPLOYMENT, from: 0 });
  });

  test('a subscribe with from null starts at 0', () => {
    expect(parseClientMessage(JSON.stringify({ action: 'subscribe', deploymentId: DEPLOYMENT, from: null })))
      .toEqual({ action: 'subscribe', deploymentId: DEPLOYMENT, from: 0 });
  });

  test('an unsubscribe (from is not part of it)', () => {
    expect(parseClientMessage(JSON.stringify({ action: 'unsubscribe', deploymentId: DEPLOYMENT, from: 3 })))
      .toEqual({ action: 'unsubscribe', deploymentId: DEPLOYMENT });
  });

  test('drops unknown fields', () => {
    const parsed = parseClientMessage(JSON.stringify({ action: 'subscribe', deploymentId: DEPLOYMENT, token: 'abc', admin: true }));
    expect(parsed).toEqual({ action: 'subscribe', deploymentId: DEPLOYMENT, from: 0 });
  });

  test('accepts a message of exactly the maximum size', () => {
    const base = JSON.stringify({ action: 'subscribe', deploymentId: DEPLOYMENT, pad: '' });
    const body = JSON.stringify({ action: 'subscribe', deploymentId: DEPLOYMENT, pad: 'x'.repeat(MAX_CLIENT_MESSAGE - base.length) });
    expect(Buffer.byteLength(body)).toBe(MAX_CLIENT_MESSAGE);
    expect(parseClientMessage(body)).toEqual({ action: 'subscribe', deploymentId: DEPLOYMENT, from: 0 });
  });

  test.each<[string, string, string]>([
    ['invalid JSON', '{"action":"subscribe",', 'message'],
    ['an empty body', '', 'message'],
    ['JSON null', 'null', 'message'],
    ['a JSON string', '"subscribe"', 'message'],
    ['a JSON number', '42', 'message'],
    ['an unknown action', JSON.stringify({ action: 'delete', deploymentId: DEPLOYMENT }), 'action'],
    ['no action', JSON.stringify({ deploymentId: DEPLOYMENT }), 'action'],
    ['a missing deploymentId', JSON.stringify({ action: 'subscribe' }), 'deploymentId'],
    ['a deploymentId that is not one', JSON.stringify({ action: 'subscribe', deploymentId: 'shop/dev' }), 'deploymentId'],
    ['a deploymentId with a suffix', JSON.stringify({ action: 'subscribe', deploymentId: `${DEPLOYMENT}x` }), 'deploymentId'],
    ['a numeric deploymentId', JSON.stringify({ action: 'unsubscribe', deploymentId: 20261123 }), 'deploymentId'],
    ['a negative from', JSON.stringify({ action: 'subscribe', deploymentId: DEPLOYMENT, from: -1 }), 'from'],
    ['a fractional from', JSON.stringify({ action: 'subscribe', deploymentId: DEPLOYMENT, from: 1.5 }), 'from'],
    ['a from as a string', JSON.stringify({ action: 'subscribe', deploymentId: DEPLOYMENT, from: '5' }), 'from'],
    ['a from beyond safe integers', `{"action":"subscribe","deploymentId":"${DEPLOYMENT}","from":9007199254740993}`, 'from'],
    ['an oversized body', JSON.stringify({ action: 'subscribe', deploymentId: DEPLOYMENT, pad: 'x'.repeat(MAX_CLIENT_MESSAGE) }), 'message'],
  ])('rejects %s naming %s', (_label, body, path) => {
    const error = rejection(body);
    expect(error.issues).toHaveLength(1);
    expect(error.issues[0].path).toBe(path);
    expect(error.message.startsWith(`${path}: `)).toBe(true);
  });

  test('counts the size limit in bytes, not characters', () => {
    const base = JSON.stringify({ action: 'subscribe', deploymentId: DEPLOYMENT, pad: '' });
    // 3 bytes per character: fewer characters than the limit, more bytes.
    const body = JSON.stringify({ action: 'subscribe', deploymentId: DEPLOYMENT, pad: '€'.repeat(Math.ceil((MAX_CLIENT_MESSAGE - base.length) / 2)) });
    expect(body.length).toBeLessThan(MAX_CLIENT_MESSAGE);
    expect(Buffer.byteLength(body)).toBeGreaterThan(MAX_CLIENT_MESSAGE);
    expect(rejection(body).issues[0].path).toBe('message');
  });
});

describe('logMessages', () => {
  test('no records, no messages', () => {
    expect(logMessages(DEPLOYMENT, [])).toEqual([]);
  });

  test('a few small records fit in one message', () => {
    const records = [record(0, 'a'), record(1, 'b'), record(2, 'c')];
    expect(logMessages(DEPLOYMENT, records)).toEqual([{ type: 'log', deploymentId: DEPLOYMENT, records }]);
  });

  test.each<[string, string, number]>([
    ['ASCII text', 'x', 4000],
    ['multi-byte text', '日本語🚀', 1000],
    ['text that JSON escapes', '"\\\n\u0001', 1000],
  ])('splits %s below the size limit, in order, each record once', (_label, unit, repeat) => {
    const records = Array.from({ length: 300 }, (_, seq) => record(seq, `${seq} ${unit.repeat(repeat)}`));
    const messages = logMessages(DEPLOYMENT, records);
    expect(messages.length).toBeGreaterThan(1);
    for (const message of messages) {
      expect(message).toMatchObject({ type: 'log', deploymentId: DEPLOYMENT });
      // The envelope ({"type":"log","deploymentId":...,"records":[]}) is the only overhead.
      expect(Buffer.byteLength(JSON.stringify(message))).toBeLessThanOrEqual(MAX_LOG_MESSAGE_BYTES + 100);
    }
    expect(logRecordsOf(messages)).toEqual(records);
  });

  test('fills each message before starting the next', () => {
    const records = Array.from({ length: 100 }, (_, seq) => record(seq, 'y'.repeat(3000)));
    const messages = logMessages(DEPLOYMENT, records);
    const recordBytes = (r: LogRecord) => Buffer.byteLength(JSON.stringify(r)) + 1;
    for (let i = 0; i < messages.length - 1; i++) {
      const current = messages[i] as Extract<ServerMessage, { type: 'log' }>;
      const next = messages[i + 1] as Extract<ServerMessage, { type: 'log' }>;
      const used = current.records.reduce((sum, r) => sum + recordBytes(r), 0);
      expect(used + recordBytes(next.records[0])).toBeGreaterThan(MAX_LOG_MESSAGE_BYTES);
    }
  });

  test('a record larger than the limit still goes out, alone', () => {
    const huge = record(1, 'z'.repeat(MAX_LOG_MESSAGE_BYTES + 10));
    const messages = logMessages(DEPLOYMENT, [record(0, 'a'), huge, record(2, 'b')]);
    expect(messages.map(message => logRecordsOf([message]).map(r => r.seq))).toEqual([[0], [1], [2]]);
  });
});
