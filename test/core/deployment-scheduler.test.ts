import { CurrentVersion, Deployment, DeploymentAction, DeploymentScheduler, DeploymentStatus, Store } from '../../src/runtime/core';
import { queuedDeployment } from '../store/fixtures';

/** One environment's lock, kept in memory: enough of the store for the hand-over rule. */
function lockStore(holder: string, pending?: string) {
  const env: { lockHolder?: string; pending?: string; current?: CurrentVersion } = { lockHolder: holder, pending };
  const releases: Array<{ holder: string; version: CurrentVersion | null | undefined }> = [];
  const deployments: Record<string, Deployment> = {};
  const store = {
    deployments: {
      get: async (id: string) => deployments[id],
      releaseEnvironment: async (_app: string, _env: string, releasing: string, version?: CurrentVersion | null) => {
        releases.push({ holder: releasing, version });
        if (env.lockHolder !== releasing) return {};
        if (version) env.current = version;
        if (version === null) env.current = undefined;
        const next = env.pending;
        env.lockHolder = next;
        env.pending = undefined;
        return { next };
      },
    },
  } as unknown as Store;
  return { store, env, releases, deployments };
}

function deployment(id: string, status: DeploymentStatus, action: DeploymentAction = 'deploy'): Deployment {
  return queuedDeployment(id, 'shop', 'dev', { action, commit: 'c'.repeat(40), status });
}

describe('DeploymentScheduler.release', () => {
  test('a succeeded deployment that still holds the lock makes its version current as it releases', async () => {
    const { store, env, releases } = lockStore('d-1');
    await new DeploymentScheduler(store).release(deployment('d-1', 'succeeded'));
    expect(env).toEqual({ lockHolder: undefined, pending: undefined, current: { deploymentId: 'd-1', commit: 'c'.repeat(40) } });
    expect(releases).toEqual([{ holder: 'd-1', version: { deploymentId: 'd-1', commit: 'c'.repeat(40) } }]);
  });

  test('a succeeded teardown clears the current version as it releases', async () => {
    const { store, env } = lockStore('d-1');
    env.current = { deploymentId: 'd-0', commit: 'b'.repeat(40) };
    await new DeploymentScheduler(store).release(deployment('d-1', 'succeeded', 'teardown'));
    expect(env.current).toBeUndefined();
  });

  test.each<DeploymentStatus>(['cancelled', 'failed', 'superseded'])('a %s deployment leaves the current version alone', async status => {
    const { store, env, releases } = lockStore('d-1');
    env.current = { deploymentId: 'd-0', commit: 'b'.repeat(40) };
    await new DeploymentScheduler(store).release(deployment('d-1', status));
    expect(env.current).toEqual({ deploymentId: 'd-0', commit: 'b'.repeat(40) });
    expect(releases).toEqual([{ holder: 'd-1', version: undefined }]);
  });

  test('the version goes with the first release only, not with cancelled waiters passed over', async () => {
    const { store, env, releases, deployments } = lockStore('d-1', 'd-2');
    deployments['d-2'] = deployment('d-2', 'cancelled');
    expect(await new DeploymentScheduler(store).release(deployment('d-1', 'succeeded'))).toBeUndefined();
    expect(releases.map(r => [r.holder, r.version?.deploymentId])).toEqual([['d-1', 'd-1'], ['d-2', undefined]]);
    expect(env).toMatchObject({ lockHolder: undefined, current: { deploymentId: 'd-1' } });
  });

  test('a deployment that no longer holds the lock changes nothing', async () => {
    const { store, env } = lockStore('d-2');
    env.current = { deploymentId: 'd-0', commit: 'b'.repeat(40) };
    await new DeploymentScheduler(store).release(deployment('d-1', 'succeeded'));
    expect(env).toEqual({ lockHolder: 'd-2', pending: undefined, current: { deploymentId: 'd-0', commit: 'b'.repeat(40) } });
  });
});
