import { outcomeExitCode, outcomeLine } from '../../src/cli/deployment-outcome';
import { EXIT } from '../../src/cli/exit-codes';
import { depId, queuedDeployment } from '../store/fixtures';

const ended = (status: 'succeeded' | 'failed' | 'cancelled' | 'superseded', reason?: string) => ({
  ...queuedDeployment(depId(1), 'shop', 'staging', { commit: '1a2b3c4d'.repeat(5) }),
  status,
  reason,
  startedAt: '2026-01-02T03:04:00.000Z',
  finishedAt: '2026-01-02T03:04:41.000Z',
});

describe('how a followed deployment ends', () => {
  test('exit 0 only when it succeeded', () => {
    expect(outcomeExitCode(ended('succeeded'))).toBe(EXIT.ok);
    for (const status of ['failed', 'cancelled', 'superseded'] as const) expect(outcomeExitCode(ended(status))).toBe(EXIT.failed);
  });

  test('one line: what, which commit, how it ended, how long, and why (on one line, no escape sequences)', () => {
    expect(outcomeLine(ended('succeeded', 'ignored'))).toBe('shop/staging deploy 1a2b3c4 succeeded in 41.0 s');
    expect(outcomeLine(ended('failed', 'test failed: npm run test exited with code 1:\n2 failed\u001b]0;title\u0007')))
      .toBe('shop/staging deploy 1a2b3c4 failed in 41.0 s: test failed: npm run test exited with code 1: 2 failed');
    expect(outcomeLine({ ...ended('cancelled'), startedAt: undefined })).toBe('shop/staging deploy 1a2b3c4 cancelled');
  });
});
