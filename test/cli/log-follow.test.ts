import { DEFAULT_BACKOFF, LogFollow, reconnectDelay } from '../../src/cli/log-follow';
import { depId } from '../store/fixtures';
import { record, records, shuffled } from '../store/log-records';

const ID = depId(1);
const OTHER = depId(2);
const log = (recs = records(0, 0)) => ({ type: 'log' as const, deploymentId: ID, records: recs });

describe('following a log: ordering, resubscribing, completeness', () => {
  test('records from several connections, shuffled and repeated, come out in order, each seq once', () => {
    const follow = new LogFollow(ID);
    const all = records(0, 300);
    const printed = [];
    // A first connection delivers part of the log, then drops; the second resubscribes and
    // gets an overlapping backlog; a third gets the rest out of order.
    printed.push(...follow.receive(log(shuffled(all.slice(0, 120), 7))).records);
    expect(follow.subscribe()).toEqual({ action: 'subscribe', deploymentId: ID, from: 120 });
    printed.push(...follow.receive(log(all.slice(100, 200))).records);
    printed.push(...follow.receive(log(shuffled(all.slice(150, 300), 3))).records);
    printed.push(...follow.accept(all.slice(0, 300)));
    expect(printed).toEqual(all);
    expect(follow.next).toBe(300);
  });

  test('a record after a missing one waits: nothing printed past the gap, and it shows', () => {
    const follow = new LogFollow(ID);
    expect(follow.receive(log([record(0), record(2), record(3)])).records.map(r => r.seq)).toEqual([0]);
    expect(follow.hasGap).toBe(true);
    expect(follow.subscribe()).toMatchObject({ from: 1 });
    expect(follow.receive(log([record(1)])).records.map(r => r.seq)).toEqual([1, 2, 3]);
    expect(follow.hasGap).toBe(false);
  });

  test('messages for another deployment are ignored', () => {
    const follow = new LogFollow(ID);
    expect(follow.receive({ type: 'log', deploymentId: OTHER, records: [record(0)] })).toEqual({ records: [], then: 'read' });
    expect(follow.receive({ type: 'error', status: 403, reason: 'no', deploymentId: OTHER }).then).toBe('read');
    expect(follow.next).toBe(0);
  });

  test('subscribed means live; refusals stop with the reason; other errors reconnect', () => {
    const follow = new LogFollow(ID);
    expect(follow.receive({ type: 'subscribed', deploymentId: ID, next: 10 }).then).toBe('live');
    for (const status of [400, 401, 403, 404]) {
      expect(follow.receive({ type: 'error', status, reason: `why ${status}`, deploymentId: ID }))
        .toEqual({ records: [], then: 'stop', status, reason: `why ${status}` });
    }
    expect(follow.receive({ type: 'error', status: 500, reason: 'later' }).then).toBe('reconnect');
    expect(follow.receive({ type: 'error', status: 410, reason: 'gone', deploymentId: ID }).then).toBe('reconnect');
  });

  test('complete only when the stored log ends where the printed one does, with no gap', () => {
    const follow = new LogFollow(ID);
    follow.accept(records(0, 10));
    expect(follow.complete({ records: [], next: 10, end: true })).toBe(true);
    // More stored than printed, or more pages to read.
    expect(follow.complete({ records: [], next: 12, end: true })).toBe(false);
    expect(follow.complete({ records: [], next: 10, end: false })).toBe(false);
    // Printed up to 10, 11 waiting for the missing 10.
    follow.accept([record(11)]);
    expect(follow.complete({ records: [], next: 10, end: true })).toBe(false);
  });
});

describe('reconnect backoff', () => {
  test('doubles from the first delay up to the cap, ±25 %', () => {
    const middle = () => 0.5;
    expect([0, 1, 2, 3, 4, 5, 6, 10, 100].map(attempt => reconnectDelay(attempt, DEFAULT_BACKOFF, middle)))
      .toEqual([500, 1000, 2000, 4000, 8000, 15_000, 15_000, 15_000, 15_000]);
    expect(reconnectDelay(0, DEFAULT_BACKOFF, () => 0)).toBe(375);
    expect(reconnectDelay(0, DEFAULT_BACKOFF, () => 0.999999)).toBe(625);
    expect(reconnectDelay(2, { firstDelayMs: 10, maxDelayMs: 30 }, middle)).toBe(30);
  });
});
