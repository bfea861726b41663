import { PhaseRecord } from '../../src/runtime/core/types';
import { verdictOf } from '../../src/runtime/deployments/finalize';

/** The status comes from the exit code only; the reason says which phase failed when the log shows it. */
describe('verdictOf', () => {
  const event = { taskId: 't', deploymentId: 'd' };
  const phase = (name: string, outcome: PhaseRecord['outcome'], detail?: string): PhaseRecord =>
    ({ phase: name, outcome, detail, startedAt: '2026-11-23T17:00:00.000Z' });

  test('exit 0 succeeds whatever the phases say', () => {
    expect(verdictOf({ ...event, exitCode: 0 }, [phase('test', 'failed', 'npm run test exited with code 1')])).toEqual({ status: 'succeeded' });
  });

  test('a failure names the failed phase and its detail', () => {
    const phases = [phase('clone', 'succeeded'), phase('test', 'failed', 'npm run test exited with code 1'), phase('deploy', 'skipped')];
    expect(verdictOf({ ...event, exitCode: 1 }, phases)).toEqual({ status: 'failed', reason: 'test failed: npm run test exited with code 1' });
    expect(verdictOf({ ...event, exitCode: 1 }, [phase('install', 'failed')])).toEqual({ status: 'failed', reason: 'install failed' });
  });

  test('exit 3: the health check failed, with its detail when the log has it', () => {
    const detail = 'GET http://127.0.0.1:4100/apps/dev/health answered 500 on 4 attempts, expected 200–399';
    const phases = [phase('deploy', 'succeeded'), phase('health', 'failed', detail)];
    expect(verdictOf({ ...event, exitCode: 3 }, phases)).toEqual({ status: 'failed', reason: `health check failed: ${detail}` });
    expect(verdictOf({ ...event, exitCode: 3 }, [phase('deploy', 'succeeded')])).toEqual({ status: 'failed', reason: 'health check failed: the builder exited with code 3' });
  });

  test('no failed phase stored (killed, or the log lags): the exit code', () => {
    expect(verdictOf({ ...event, exitCode: 137 }, [phase('deploy', 'running')])).toEqual({ status: 'failed', reason: 'the builder exited with code 137' });
    expect(verdictOf({ ...event, exitCode: 2 })).toEqual({ status: 'failed', reason: 'the builder exited with code 2 (invalid parameters or configuration)' });
    expect(verdictOf({ ...event, stopReason: 'CannotPullContainerError' })).toEqual({ status: 'failed', reason: 'the build task stopped before the builder ran: CannotPullContainerError' });
  });
});
