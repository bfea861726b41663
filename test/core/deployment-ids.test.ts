import { isDeploymentId, isNewer, newDeploymentId } from '../../src/runtime/core/deployment-ids';
import { Clock } from '../../src/runtime/core/ports';

const fixedClock = (iso: string): Clock => ({ now: () => new Date(iso) });

describe('newDeploymentId', () => {
  test('is the compact UTC timestamp with milliseconds, a hyphen and the random part', () => {
    const id = newDeploymentId(fixedClock('2026-11-23T12:13:10.123Z'), () => '1a2b3c4d');
    expect(id).toBe('20261123T121310123Z-1a2b3c4d');
    expect(isDeploymentId(id)).toBe(true);
  });

  test('keeps leading zeros so every id has the same width', () => {
    const id = newDeploymentId(fixedClock('2027-01-02T03:04:05.006Z'), () => '00000000');
    expect(id).toBe('20270102T030405006Z-00000000');
  });

  test('uses UTC whatever the offset of the input', () => {
    const id = newDeploymentId(fixedClock('2026-11-23T23:30:00.000-02:00'), () => 'deadbeef');
    expect(id).toBe('20261124T013000000Z-deadbeef');
  });

  test('the default random part is 8 hex characters and differs between calls', () => {
    const clock = fixedClock('2026-11-23T12:13:10.123Z');
    const ids = new Set(Array.from({ length: 20 }, () => newDeploymentId(clock)));
    expect(ids.size).toBe(20);
    for (const id of ids) {
      expect(isDeploymentId(id)).toBe(true);
      expect(id.startsWith('20261123T121310123Z-')).toBe(true);
    }
  });

  test('reads the clock for every id', () => {
    const now = jest.fn(() => new Date('2026-11-23T12:13:10.123Z'));
    newDeploymentId({ now }, () => 'aaaaaaaa');
    newDeploymentId({ now }, () => 'aaaaaaaa');
    expect(now).toHaveBeenCalledTimes(2);
  });
});

describe('isDeploymentId', () => {
  test.each([
    '20261123T121310123Z-1a2b3c4d',
    '19700101T000000000Z-00000000',
  ])('accepts %p', value => {
    expect(isDeploymentId(value)).toBe(true);
  });

  test.each([
    '',
    '20261123T121310123Z',
    '20261123T121310123Z-1A2B3C4D',
    '20261123T121310123Z-1a2b3c4',
    '20261123T121310123Z-1a2b3c4d5',
    '20261123T121310123Z-1a2b3c4g',
    '2026-11-23T12:13:10.123Z-1a2b3c4d',
    '20261123T121310Z-1a2b3c4d',
    '20261123T121310123-1a2b3c4d',
    ' 20261123T121310123Z-1a2b3c4d',
    '20261123T121310123Z-1a2b3c4d\n',
    '../20261123T121310123Z-1a2b3c4d',
  ])('rejects %p', value => {
    expect(isDeploymentId(value)).toBe(false);
  });
});

describe('isNewer', () => {
  test('ids created later sort greater', () => {
    const times = [
      '2026-11-23T12:13:10.123Z',
      '2026-11-23T12:13:10.124Z',
      '2026-11-23T12:13:11.000Z',
      '2026-11-23T13:00:00.000Z',
      '2026-12-01T00:00:00.000Z',
      '2027-01-01T00:00:00.000Z',
    ];
    // The random part runs the other way, so only the timestamp can make the order.
    const randoms = ['ffffffff', 'eeeeeeee', 'dddddddd', 'cccccccc', 'bbbbbbbb', 'aaaaaaaa'];
    const ids = times.map((time, i) => newDeploymentId(fixedClock(time), () => randoms[i]));
    for (let i = 1; i < ids.length; i++) {
      expect(isNewer(ids[i], ids[i - 1])).toBe(true);
      expect(isNewer(ids[i - 1], ids[i])).toBe(false);
    }
    expect([...ids].reverse().sort()).toEqual(ids);
  });

  test('an id is not newer than itself', () => {
    const id = newDeploymentId(fixedClock('2026-11-23T12:13:10.123Z'), () => '1a2b3c4d');
    expect(isNewer(id, id)).toBe(false);
  });

  test('within one millisecond the random part decides, consistently both ways', () => {
    const clock = fixedClock('2026-11-23T12:13:10.123Z');
    const a = newDeploymentId(clock, () => '00000001');
    const b = newDeploymentId(clock, () => '00000002');
    expect(isNewer(b, a)).toBe(true);
    expect(isNewer(a, b)).toBe(false);
  });
});
