import { BuilderHarness, endOf, frameworkRecords, phaseOutcomes } from './harness';
import { BUILD_PARAMETERS } from '../../src/contract/build-environment';
import { Deployment } from '../../src/runtime/core';
import { verdictOf } from '../../src/runtime/deployments/finalize';
import { createDynamoStore } from '../../src/runtime/store/dynamo-store';
import { TableContext } from '../../src/runtime/store/table-context';
import { appConfig, depId, envConfig, queuedDeployment } from '../store/fixtures';

/**
 * The builder's part of the push order: after the clone, a push whose commit is an ancestor of
 * the deployed push of its branch deploys nothing (exit 4, ended `superseded` with the reason),
 * found with git itself (fetch of the deployed commit's history, merge-base --is-ancestor).
 */
describe('builder: a push older than the deployed push of its branch', () => {
  let harness: BuilderHarness;
  let repo: { url: string; commits: string[] };
  let deployed: Deployment;
  const store = () => createDynamoStore((harness as unknown as { table: TableContext }).table);

  function push(n: number, commit: string, before: string, extra: Partial<Deployment> = {}): Deployment {
    return queuedDeployment(depId(n), 'shop', 'dev', { commit, repository: 'acme/shop', push: { before }, ...extra });
  }

  beforeAll(async () => {
    harness = await BuilderHarness.create();
    await harness.configure([appConfig('shop', [envConfig('dev', { branch: 'main' })])]);
    repo = harness.repo('shop', { 'serverless.yml': 'service: shop\n' }, { 'a.txt': 'two\n' }, { 'a.txt': 'three\n' });
    // Commit 3 was pushed (2 → 3) and is deployed.
    deployed = { ...push(30, repo.commits[2], repo.commits[1]), status: 'succeeded' };
    await harness.record(deployed);
    const s = store();
    expect(await s.deployments.claimEnvironment('shop', 'dev', deployed.id)).toEqual({ outcome: 'acquired' });
    await s.deployments.releaseEnvironment('shop', 'dev', deployed.id, { deploymentId: deployed.id, commit: repo.commits[2] });
  });

  afterAll(() => harness?.cleanup());

  async function build(deployment: Deployment) {
    await harness.record(deployment);
    return harness.run({ application: 'shop', environment: 'dev', commit: deployment.commit, gitUrl: repo.url, params: { [BUILD_PARAMETERS.deploymentId]: deployment.id } });
  }

  test('the push of commit 2 (1 → 2), run after commit 3 was deployed: exit 4, nothing deployed, superseded with the reason', async () => {
    const late = push(20, repo.commits[1], repo.commits[0]);
    const result = await build(late);

    expect(result.code).toBe(4);
    expect(phaseOutcomes(result.markers)).toEqual(['prepare:succeeded', 'clone:succeeded']);
    const reason = `superseded by ${deployed.id}: commit ${repo.commits[1].slice(0, 12)} is an ancestor of the deployed ${repo.commits[2].slice(0, 12)}, pushed later to main`;
    expect(endOf(result.markers, 'clone')?.detail).toBe(reason);
    expect(frameworkRecords(result)).toEqual([]);
    // Git ran through the same runner as every git command (the recording wrapper), as argv.
    expect(result.records.filter(r => r.tool === 'git').map(r => r.argv.slice(0, 2))).toEqual(expect.arrayContaining([['merge-base', '--is-ancestor']]));
    // The finalizer's verdict from the exit code and the stored phases.
    await harness.storeLog(result);
    const phases = (await store().deployments.get(late.id))?.phases;
    expect(verdictOf({ taskId: 't', deploymentId: late.id, exitCode: result.code! }, phases)).toEqual({ status: 'superseded', reason });
  });

  test('a forced push back to commit 1 deploys it', async () => {
    const result = await build(push(40, repo.commits[0], repo.commits[2], { push: { before: repo.commits[2], forced: true } }));
    expect(result.code).toBe(0);
    expect(phaseOutcomes(result.markers)).toContain('deploy:succeeded');
  });

  test('a rollback to commit 2 keeps its intent and deploys it', async () => {
    const result = await build(queuedDeployment(depId(50), 'shop', 'dev', {
      action: 'rollback', commit: repo.commits[1], trigger: { kind: 'rollback', sourceDeploymentId: deployed.id },
    }));
    expect(result.code).toBe(0);
    expect(phaseOutcomes(result.markers)).toContain('deploy:succeeded');
  });
});
