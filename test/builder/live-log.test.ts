import { LiveLogSender, SEND_AGAIN_DELAYS_MS, SendAgainError } from '../../src/builder/live-log';
import { LIVE_FLUSH_MS, LiveLogBatch, LogRecord, MAX_LIVE_BATCH } from '../../src/runtime/core';
import { depId } from '../store/fixtures';
import { eventually } from '../support/eventually';

const DEPLOYMENT = depId(1);
const TOKEN = 'the-ingest-token-of-deployment-1';

function record(seq: number): LogRecord {
  return { seq, at: '2026-03-01T12:00:00.000Z', stream: 'stdout', text: `line ${seq}` };
}

/** A fake ingest function: keeps every batch, optionally slow or failing. */
class FakeIngest {
  readonly batches: LiveLogBatch[] = [];
  /** When each batch's send started (Date.now(), fake under fake timers). */
  readonly startedAt: number[] = [];
  inFlight = 0;
  maxInFlight = 0;

  constructor(private readonly behaviour: (call: number) => Promise<void> = async () => undefined) {}

  readonly send = async (batch: LiveLogBatch): Promise<void> => {
    const call = this.startedAt.length;
    this.startedAt.push(Date.now());
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      await this.behaviour(call);
      this.batches.push(batch);
    } finally {
      this.inFlight -= 1;
    }
  };

  seqs(): number[] {
    return this.batches.flatMap(batch => batch.records.map(r => r.seq));
  }
}

/** A slow ingest function: a real delay, not a way to wait for something. */
const sleep = (ms: number) => new Promise<void>(resolve => setTimeout(resolve, ms));
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('LiveLogSender with fake timers', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  test(`a lone record is sent ${LIVE_FLUSH_MS} ms after it arrived, not before`, async () => {
    const ingest = new FakeIngest();
    const sender = new LiveLogSender({ deploymentId: DEPLOYMENT, ingestToken: TOKEN, send: ingest.send });
    sender.add(record(0));
    await jest.advanceTimersByTimeAsync(LIVE_FLUSH_MS - 1);
    expect(ingest.startedAt).toHaveLength(0);
    await jest.advanceTimersByTimeAsync(1);
    expect(ingest.batches).toEqual([{ kind: 'trellis-log-batch', deploymentId: DEPLOYMENT, ingestToken: TOKEN, records: [record(0)] }]);
  });

  test('while records trickle in, every record is sent within the flush interval', async () => {
    const ingest = new FakeIngest();
    const sender = new LiveLogSender({ deploymentId: DEPLOYMENT, ingestToken: TOKEN, send: ingest.send });
    const addedAt: number[] = [];
    for (const seq of range(100)) {
      addedAt.push(Date.now());
      sender.add(record(seq));
      await jest.advanceTimersByTimeAsync(15);
    }
    await jest.advanceTimersByTimeAsync(LIVE_FLUSH_MS);
    expect(ingest.seqs()).toEqual(range(100));
    // Batches of about one interval's worth, not one per line and not one at the end.
    expect(ingest.batches.length).toBeGreaterThanOrEqual(6);
    expect(ingest.batches.length).toBeLessThanOrEqual(12);
    ingest.batches.forEach((batch, index) => {
      for (const r of batch.records) expect(ingest.startedAt[index] - addedAt[r.seq]).toBeLessThanOrEqual(LIVE_FLUSH_MS);
    });
  });

  test('a send that takes 1 s while 5000 records arrive: one in flight, each record once, in order, batches capped', async () => {
    const ingest = new FakeIngest(() => sleep(1000));
    const sender = new LiveLogSender({ deploymentId: DEPLOYMENT, ingestToken: TOKEN, send: ingest.send });
    for (const step of range(100)) {
      for (const seq of range(50)) sender.add(record(step * 50 + seq));
      await jest.advanceTimersByTimeAsync(10);
    }
    const closing = sender.close(60_000);
    await jest.advanceTimersByTimeAsync(30_000);
    const stats = await closing;

    expect(ingest.maxInFlight).toBe(1);
    expect(ingest.seqs()).toEqual(range(5000));
    for (const batch of ingest.batches) expect(batch.records.length).toBeLessThanOrEqual(MAX_LIVE_BATCH);
    // While one send runs the rest waits for the next: few, full batches rather than many small ones.
    expect(ingest.batches.length).toBeLessThanOrEqual(8);
    expect(stats).toMatchObject({ sentRecords: 5000, failedRecords: 0, droppedRecords: 0, unconfirmedRecords: 0 });
  });

  test('a full batch goes at once; the rest when the oldest of it is due', async () => {
    const ingest = new FakeIngest();
    const sender = new LiveLogSender({ deploymentId: DEPLOYMENT, ingestToken: TOKEN, send: ingest.send });
    for (const seq of range(MAX_LIVE_BATCH + 10)) sender.add(record(seq));
    await jest.advanceTimersByTimeAsync(0);
    expect(ingest.batches.map(batch => batch.records.length)).toEqual([MAX_LIVE_BATCH]);
    await jest.advanceTimersByTimeAsync(LIVE_FLUSH_MS);
    expect(ingest.batches.map(batch => batch.records.length)).toEqual([MAX_LIVE_BATCH, 10]);
  });

  test('a failed send is counted, not retried, and later batches still go', async () => {
    const ingest = new FakeIngest(async call => {
      if (call === 0) throw new Error('ingest is down');
    });
    const sender = new LiveLogSender({ deploymentId: DEPLOYMENT, ingestToken: TOKEN, send: ingest.send });
    sender.add(record(0));
    sender.add(record(1));
    await jest.advanceTimersByTimeAsync(LIVE_FLUSH_MS);
    sender.add(record(2));
    await jest.advanceTimersByTimeAsync(LIVE_FLUSH_MS);

    expect(ingest.startedAt).toHaveLength(2);
    expect(ingest.seqs()).toEqual([2]);
    expect(sender.snapshot()).toMatchObject({ sentBatches: 1, sentRecords: 1, failedBatches: 1, failedRecords: 2, firstError: 'ingest is down' });
  });

  test('when sends fall far behind, the oldest pending records are dropped and counted', async () => {
    const ingest = new FakeIngest(() => sleep(10_000));
    const sender = new LiveLogSender({ deploymentId: DEPLOYMENT, ingestToken: TOKEN, send: ingest.send, maxBatch: 10, maxPending: 50 });
    for (const seq of range(10 + 60)) sender.add(record(seq)); // the first 10 go at once; 60 wait, 50 fit
    const closing = sender.close(120_000);
    await jest.advanceTimersByTimeAsync(120_000);
    const stats = await closing;

    expect(stats.droppedRecords).toBe(10);
    expect(ingest.seqs()).toEqual([...range(10), ...range(50).map(i => i + 20)]);
  });
});

describe('LiveLogSender with real timers', () => {
  test('close() sends what is left at once and waits for it', async () => {
    const ingest = new FakeIngest(() => sleep(50));
    const sender = new LiveLogSender({ deploymentId: DEPLOYMENT, ingestToken: TOKEN, send: ingest.send, flushMs: 10_000 });
    range(5).forEach(seq => sender.add(record(seq)));
    const started = Date.now();
    const stats = await sender.close(5000);

    expect(Date.now() - started).toBeLessThan(2000);
    expect(ingest.seqs()).toEqual(range(5));
    expect(stats).toEqual({ sentBatches: 1, sentRecords: 5, failedBatches: 0, failedRecords: 0, droppedRecords: 0, unconfirmedRecords: 0 });
  });

  test('close() returns after its timeout when a send hangs, and counts what never went', async () => {
    const ingest = new FakeIngest(() => new Promise<void>(() => undefined));
    const sender = new LiveLogSender({ deploymentId: DEPLOYMENT, ingestToken: TOKEN, send: ingest.send, maxBatch: 3 });
    range(5).forEach(seq => sender.add(record(seq))); // 3 in flight (forever), 2 waiting
    const started = Date.now();
    const stats = await sender.close(300);

    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(stats).toMatchObject({ sentRecords: 0, unconfirmedRecords: 3, droppedRecords: 2 });
    // After close, records are counted, never sent.
    sender.add(record(5));
    expect(sender.snapshot().droppedRecords).toBe(3);
    expect(ingest.startedAt).toHaveLength(1);
  });

  test('a flush happens within about the flush interval of a record arriving', async () => {
    const ingest = new FakeIngest();
    const sender = new LiveLogSender({ deploymentId: DEPLOYMENT, ingestToken: TOKEN, send: ingest.send });
    const added = Date.now();
    sender.add(record(0));
    await eventually('the first batch to be sent', () => ingest.batches.length > 0, 5000, 10);

    expect(ingest.startedAt[0] - added).toBeGreaterThanOrEqual(LIVE_FLUSH_MS - 20);
    expect(ingest.startedAt[0] - added).toBeLessThan(LIVE_FLUSH_MS + 800);
    await sender.close(1000);
  });

  test('a send that throws synchronously never reaches the build', async () => {
    const sender = new LiveLogSender({
      deploymentId: DEPLOYMENT,
      ingestToken: TOKEN,
      send: () => {
        throw new Error('no payload for you');
      },
      maxBatch: 1,
    });
    expect(() => sender.add(record(0))).not.toThrow();
    const stats = await sender.close(1000);
    expect(stats).toMatchObject({ failedBatches: 1, failedRecords: 1, firstError: 'no payload for you' });
  });
});

describe('LiveLogSender and a batch the ingest function asks for again', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  test('a SendAgainError (no task recorded yet) sends the same batch again after a pause; other errors do not', async () => {
    const ingest = new FakeIngest(async call => {
      if (call < 2) throw new SendAgainError('deployment has no task recorded yet');
    });
    const sender = new LiveLogSender({ deploymentId: DEPLOYMENT, ingestToken: TOKEN, send: ingest.send });
    sender.add(record(0));
    await jest.advanceTimersByTimeAsync(LIVE_FLUSH_MS);
    expect(ingest.startedAt).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(SEND_AGAIN_DELAYS_MS[0] + SEND_AGAIN_DELAYS_MS[1]);
    expect(ingest.startedAt).toHaveLength(3);
    expect(ingest.batches).toEqual([{ kind: 'trellis-log-batch', deploymentId: DEPLOYMENT, ingestToken: TOKEN, records: [record(0)] }]);
    expect(await sender.close(1000)).toMatchObject({ sentBatches: 1, failedBatches: 0 });

    const failing = new FakeIngest(async () => { throw new Error('throttled'); });
    const once = new LiveLogSender({ deploymentId: DEPLOYMENT, ingestToken: TOKEN, send: failing.send });
    once.add(record(0));
    await jest.advanceTimersByTimeAsync(10_000);
    expect(failing.startedAt).toHaveLength(1);
    expect(await once.close(1000)).toMatchObject({ failedBatches: 1, failedRecords: 1 });
  });

  test('it gives up after the last pause and counts the batch failed (the archive path has it)', async () => {
    const ingest = new FakeIngest(async () => { throw new SendAgainError('still no task'); });
    const sender = new LiveLogSender({ deploymentId: DEPLOYMENT, ingestToken: TOKEN, send: ingest.send });
    sender.add(record(0));
    await jest.advanceTimersByTimeAsync(LIVE_FLUSH_MS + SEND_AGAIN_DELAYS_MS.reduce((a, b) => a + b, 0));
    expect(ingest.startedAt).toHaveLength(SEND_AGAIN_DELAYS_MS.length + 1);
    expect(await sender.close(1000)).toMatchObject({ sentBatches: 0, failedBatches: 1, failedRecords: 1, firstError: 'still no task' });
  });
});
