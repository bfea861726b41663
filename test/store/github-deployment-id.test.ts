import { depId, queuedDeployment } from './fixtures';
import { NotFoundError, Store } from '../../src/runtime/core';
import { freshStore } from '../support/test-table';

/** The GitHub Deployment kept on a deployment item: once, by a conditional write (DynamoDB Local). */
describe('DeploymentStore.keepGitHubDeployment', () => {
  let store: Store;
  const id = depId(1);

  beforeEach(async () => {
    ({ store } = await freshStore());
    await store.deployments.create(queuedDeployment(id, 'shop', 'dev'));
  });

  test('the first id is kept; a later one gets the kept one back, and the deployment is otherwise unchanged', async () => {
    const before = await store.deployments.get(id);
    expect(await store.deployments.keepGitHubDeployment(id, 41)).toBe(41);
    expect(await store.deployments.keepGitHubDeployment(id, 42)).toBe(41);
    expect(await store.deployments.get(id)).toEqual({ ...before, githubDeploymentId: 41 });
  });

  test('two at once: both answer the same id', async () => {
    const kept = await Promise.all([7, 8, 9].map(n => store.deployments.keepGitHubDeployment(id, n)));
    expect(new Set(kept).size).toBe(1);
    expect((await store.deployments.get(id))!.githubDeploymentId).toBe(kept[0]);
  });

  test('an unknown deployment: NotFoundError, and no item is made', async () => {
    await expect(store.deployments.keepGitHubDeployment(depId(2), 1)).rejects.toThrow(NotFoundError);
    expect(await store.deployments.get(depId(2))).toBeUndefined();
  });
});
