import { mkdtempSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { DashboardServer, startDashboardServer } from '../../../src/local/dashboard-server';
import { LocalIdentity } from '../../../src/local/local-identity';
import { Store } from '../../../src/runtime/core';
import { FakeCommitSource, FakeLaunchQueue, FakeSecretStore } from '../../api/fakes';
import { FakeTaskRunner } from '../../deployments/fake-task-runner';
import { appConfig, envConfig } from '../../store/fixtures';
import { freshStore } from '../../support/test-table';

/** The local server for POST /webhook tests: app `shop` (repository `local/shop`) whose `dev` deploys `main` on push. */
export async function startWebhookServer(secret: string): Promise<{ store: Store; server: DashboardServer; queue: FakeLaunchQueue }> {
  const { store } = await freshStore();
  const queue = new FakeLaunchQueue();
  await store.config.syncApplications([appConfig('shop', [envConfig('dev', { branch: 'main', autoDeploy: true })], 'local/shop')]);
  const server = await startDashboardServer({
    store,
    identity: new LocalIdentity([]),
    api: { queue, commits: new FakeCommitSource(), secrets: new FakeSecretStore(), runner: new FakeTaskRunner(), installation: 'local' },
    webhook: { secrets: async () => [secret], queue },
    staticDir: mkdtempSync(join(tmpdir(), 'trellis-static-')),
    log: () => undefined,
  });
  return { store, server, queue };
}
