import { phaseUpdates } from '../../src/runtime/core/log-phases';
import { PHASE_MARKER_PREFIX, PhaseMarker, formatPhaseMarker } from '../../src/runtime/core/phase-markers';
import { LogRecord, LogStream } from '../../src/runtime/core/types';

let nextSeq = 0;

function line(text: string, stream: LogStream = 'system'): LogRecord {
  return { seq: nextSeq++, at: '2026-11-23T12:00:00.000Z', stream, text };
}

function marker(value: PhaseMarker, stream: LogStream = 'system'): LogRecord {
  return line(formatPhaseMarker(value), stream);
}

beforeEach(() => {
  nextSeq = 0;
});

describe('phaseUpdates', () => {
  test('no records, no updates', () => {
    expect(phaseUpdates([])).toEqual([]);
  });

  test('a start marker makes a running phase', () => {
    expect(phaseUpdates([marker({ phase: 'install', event: 'start', at: '2026-11-23T12:00:05.000Z' })])).toEqual([
      { phase: 'install', startedAt: '2026-11-23T12:00:05.000Z', outcome: 'running' },
    ]);
  });

  test('an end marker carries the whole phase: startedAt = at - durationMs', () => {
    const updates = phaseUpdates([marker({
      phase: 'test', event: 'end', at: '2026-11-23T12:01:00.000Z', outcome: 'failed', durationMs: 42_500, detail: '3 tests failed',
    })]);
    expect(updates).toEqual([{
      phase: 'test',
      startedAt: '2026-11-23T12:00:17.500Z',
      endedAt: '2026-11-23T12:01:00.000Z',
      durationMs: 42_500,
      outcome: 'failed',
      detail: '3 tests failed',
    }]);
  });

  test('an end marker without outcome or duration succeeded instantly', () => {
    expect(phaseUpdates([marker({ phase: 'detect', event: 'end', at: '2026-11-23T12:00:02.000Z' })])).toEqual([{
      phase: 'detect',
      startedAt: '2026-11-23T12:00:02.000Z',
      endedAt: '2026-11-23T12:00:02.000Z',
      durationMs: 0,
      outcome: 'succeeded',
      detail: undefined,
    }]);
  });

  test('a skipped phase keeps its reason', () => {
    const [update] = phaseUpdates([marker({
      phase: 'test', event: 'end', at: '2026-11-23T12:00:02.000Z', outcome: 'skipped', durationMs: 0, detail: 'runTests is false',
    })]);
    expect(update).toMatchObject({ phase: 'test', outcome: 'skipped', detail: 'runTests is false' });
  });

  test('start and end of a phase in one batch give one record, the completed one', () => {
    const updates = phaseUpdates([
      marker({ phase: 'clone', event: 'start', at: '2026-11-23T12:00:00.000Z' }),
      line('Cloning into \'shop\'...', 'stdout'),
      marker({ phase: 'clone', event: 'end', at: '2026-11-23T12:00:03.250Z', outcome: 'succeeded', durationMs: 3250 }),
    ]);
    expect(updates).toEqual([{
      phase: 'clone',
      startedAt: '2026-11-23T12:00:00.000Z',
      endedAt: '2026-11-23T12:00:03.250Z',
      durationMs: 3250,
      outcome: 'succeeded',
      detail: undefined,
    }]);
  });

  test('several phases come out in the order they first appeared', () => {
    const updates = phaseUpdates([
      marker({ phase: 'clone', event: 'start', at: '2026-11-23T12:00:00.000Z' }),
      marker({ phase: 'clone', event: 'end', at: '2026-11-23T12:00:01.000Z', outcome: 'succeeded', durationMs: 1000 }),
      marker({ phase: 'detect', event: 'start', at: '2026-11-23T12:00:01.000Z' }),
      marker({ phase: 'detect', event: 'end', at: '2026-11-23T12:00:01.500Z', outcome: 'succeeded', durationMs: 500, detail: 'SST v3' }),
      marker({ phase: 'install', event: 'start', at: '2026-11-23T12:00:01.500Z' }),
    ]);
    expect(updates.map(update => [update.phase, update.outcome])).toEqual([
      ['clone', 'succeeded'], ['detect', 'succeeded'], ['install', 'running'],
    ]);
    expect(updates[1].detail).toBe('SST v3');
  });

  test.each<[LogStream]>([['stdout'], ['stderr']])('markers on %s are the app\'s output and ignored', stream => {
    expect(phaseUpdates([
      marker({ phase: 'deploy', event: 'start', at: '2026-11-23T12:00:00.000Z' }, stream),
      marker({ phase: 'deploy', event: 'end', at: '2026-11-23T12:00:01.000Z', outcome: 'succeeded', durationMs: 1000 }, stream),
    ])).toEqual([]);
  });

  test('a forged end on stdout does not complete a phase started on system', () => {
    expect(phaseUpdates([
      marker({ phase: 'deploy', event: 'start', at: '2026-11-23T12:00:00.000Z' }),
      marker({ phase: 'deploy', event: 'end', at: '2026-11-23T12:00:01.000Z', outcome: 'succeeded', durationMs: 1000 }, 'stdout'),
    ])).toEqual([{ phase: 'deploy', startedAt: '2026-11-23T12:00:00.000Z', outcome: 'running' }]);
  });

  test.each<[string, string]>([
    ['ordinary system text', 'Trellis builder 1.0.0'],
    ['the prefix alone', PHASE_MARKER_PREFIX],
    ['the prefix with broken JSON', `${PHASE_MARKER_PREFIX}{"phase":"clone",`],
    ['the prefix with JSON null', `${PHASE_MARKER_PREFIX}null`],
    ['an unknown phase', `${PHASE_MARKER_PREFIX}{"phase":"lint","event":"start","at":"2026-11-23T12:00:00.000Z"}`],
    ['an unknown event', `${PHASE_MARKER_PREFIX}{"phase":"clone","event":"pause","at":"2026-11-23T12:00:00.000Z"}`],
    ['a missing at', `${PHASE_MARKER_PREFIX}{"phase":"clone","event":"start"}`],
    ['a numeric at', `${PHASE_MARKER_PREFIX}{"phase":"clone","event":"start","at":1700000000000}`],
    ['the prefix in the middle of the line', `note: ${PHASE_MARKER_PREFIX}{"phase":"clone","event":"start","at":"2026-11-23T12:00:00.000Z"}`],
  ])('ignores %s', (_label, text) => {
    expect(phaseUpdates([line(text)])).toEqual([]);
  });

  test('a malformed marker among good ones does not stop the rest', () => {
    const updates = phaseUpdates([
      line(`${PHASE_MARKER_PREFIX}{oops`),
      marker({ phase: 'build', event: 'start', at: '2026-11-23T12:00:00.000Z' }),
    ]);
    expect(updates).toEqual([{ phase: 'build', startedAt: '2026-11-23T12:00:00.000Z', outcome: 'running' }]);
  });

  test('an end marker whose at is not a date is ignored (does not throw)', () => {
    const text = `${PHASE_MARKER_PREFIX}{"phase":"clone","event":"end","at":"soon","outcome":"succeeded","durationMs":5}`;
    expect(phaseUpdates([line(text)])).toEqual([]);
  });
});
