import { observePreviews } from '../../src/local/preview-events';
import { DeploymentScheduler, Store } from '../../src/runtime/core';
import { Notifier } from '../../src/runtime/core/ports';
import { finishDeletion } from '../../src/runtime/deployments/deletion';
import { handlePullRequest } from '../../src/runtime/previews/pull-requests';
import { FakeLaunchQueue } from '../api/fakes';
import { appConfig, envConfig, steppingClock } from '../store/fixtures';
import { memoryStore } from '../support/memory-table';

/** Local mode's preview.created / preview.removed: told from the store's writes, whoever makes them (the webhook, the finalizer). */

const SHOP = {
  ...appConfig('shop', [envConfig('dev', { kind: 'development', branch: 'main', autoDeploy: true })], 'acme/shop'),
  previews: { from: 'dev', forks: 'approve' as const, maxConcurrent: 3 },
};

describe('observePreviews', () => {
  let store: Store;
  let told: Array<[string, string, string, unknown]>;
  const clock = steppingClock();
  const notifier: Notifier = {
    notifyEnvironment: async (event, application, environment, details) => { told.push([event, application, environment, details]); },
  };
  const deps = () => ({ store, queue: new FakeLaunchQueue(), clock, log: () => undefined });
  const pr = (action: string, number: number, sha: string) => ({
    action, number, title: 'Faster checkout', author: 'octocat', repository: 'acme/shop', baseRef: 'main', headRepository: 'acme/shop', headRef: 'fast', headSha: sha, merged: false,
  });

  beforeEach(async () => {
    const { store: inner } = await memoryStore(clock);
    await inner.config.syncApplications([SHOP]);
    store = observePreviews(inner, () => notifier);
    told = [];
  });

  test('made: preview.created once (a redelivery makes nothing); removed at once: preview.removed', async () => {
    await handlePullRequest(pr('opened', 5, 'a'.repeat(40)), 'd1', deps());
    await handlePullRequest(pr('synchronize', 5, 'b'.repeat(40)), 'd2', deps());
    await handlePullRequest(pr('closed', 5, 'b'.repeat(40)), 'd3', deps());
    const pullRequest = { number: 5, title: 'Faster checkout', author: 'octocat' };
    expect(told).toEqual([['preview.created', 'shop', 'pr-5', { pullRequest }], ['preview.removed', 'shop', 'pr-5', { pullRequest }]]);
  });

  test('removed by the finalizer after its teardown: preview.removed', async () => {
    const opened = await handlePullRequest(pr('opened', 6, 'c'.repeat(40)), 'd1', deps());
    const scheduler = new DeploymentScheduler(store, clock);
    const end = async (id: string) => {
      await scheduler.claim((await store.deployments.get(id))!);
      await store.deployments.transition(id, 'running');
      await finishDeletion((await scheduler.complete(id, 'succeeded')).deployment, store);
    };
    await end(opened.previews[0].deployment!);
    const closed = await handlePullRequest(pr('closed', 6, 'c'.repeat(40)), 'd2', deps());
    expect(told.map(([event]) => event)).toEqual(['preview.created']);
    await end(closed.previews[0].deployment!);
    expect(told.map(([event, , environment]) => [event, environment])).toEqual([['preview.created', 'pr-6'], ['preview.removed', 'pr-6']]);
  });
});
