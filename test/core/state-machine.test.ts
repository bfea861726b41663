import { DEPLOYMENT_STATUSES, TRANSITIONS, allowedSources, canTransition, isDeploymentStatus, isTerminal } from '../../src/runtime/core';

describe('deployment state machine', () => {
  const legal: Array<[string, string]> = [
    ['queued', 'running'], ['queued', 'failed'], ['queued', 'cancelled'], ['queued', 'superseded'],
    ['running', 'succeeded'], ['running', 'failed'], ['running', 'cancelled'], ['running', 'superseded'],
  ];

  test('the table allows exactly the documented transitions', () => {
    const actual = DEPLOYMENT_STATUSES.flatMap(from => TRANSITIONS[from].map(to => [from, to]));
    expect(actual.sort()).toEqual([...legal].sort());
  });

  test.each(DEPLOYMENT_STATUSES.flatMap(from => DEPLOYMENT_STATUSES.map(to => [from, to] as const)))(
    '%s -> %s follows the table', (from, to) => {
      const expected = legal.some(([f, t]) => f === from && t === to);
      expect(canTransition(from, to)).toBe(expected);
    });

  test('nothing moves back to queued and terminal states are final', () => {
    expect(allowedSources('queued')).toEqual([]);
    expect(DEPLOYMENT_STATUSES.filter(isTerminal).sort()).toEqual(['cancelled', 'failed', 'succeeded', 'superseded']);
    expect(allowedSources('succeeded')).toEqual(['running']);
    expect(allowedSources('failed').sort()).toEqual(['queued', 'running']);
  });

  test('status guard', () => {
    expect(isDeploymentStatus('running')).toBe(true);
    expect(isDeploymentStatus('deploying')).toBe(false);
    expect(isDeploymentStatus(3)).toBe(false);
  });
});
