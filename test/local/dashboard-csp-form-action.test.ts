import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { DashboardServer, startDashboardServer } from '../../src/local/dashboard-server';
import { LocalIdentity } from '../../src/local/local-identity';
import { GitHubConnection } from '../../src/runtime/core/github';
import { FakeGitHub } from '../api/fake-github';
import { FakeCommitSource, FakeLaunchQueue, FakeSecretStore } from '../api/fakes';
import { FakeTaskRunner } from '../deployments/fake-task-runner';
import { freshStore } from '../support/test-table';

/**
 * Where the dashboard's forms may go: its own origin, and with a GitHub connection also GitHub's
 * web origin (the setup page posts the App's manifest there), never more.
 */
describe('local dashboard server: form-action', () => {
  let staticDir: string;
  const servers: DashboardServer[] = [];

  beforeAll(() => {
    staticDir = mkdtempSync(join(tmpdir(), 'trellis-static-'));
    writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>Trellis</title>');
  });

  afterAll(async () => {
    for (const server of servers) await server.close();
    rmSync(staticDir, { recursive: true, force: true });
  });

  async function formAction(github?: GitHubConnection): Promise<string | undefined> {
    const { store } = await freshStore();
    const server = await startDashboardServer({
      store,
      identity: new LocalIdentity([]),
      api: { queue: new FakeLaunchQueue(), commits: new FakeCommitSource(), secrets: new FakeSecretStore(), runner: new FakeTaskRunner(), installation: 'local', github },
      staticDir,
      log: () => undefined,
    });
    servers.push(server);
    const policy = (await fetch(server.url)).headers.get('content-security-policy') ?? '';
    return policy.split('; ').find(directive => directive.startsWith('form-action'));
  }

  test('without GitHub: the page\'s own origin only', async () => {
    expect(await formAction()).toBe("form-action 'self'");
  });

  test('with GitHub: also its web origin (an origin, not the form\'s path)', async () => {
    const github = new FakeGitHub({ apiUrl: 'https://ghe.example/api/v3', webUrl: 'https://ghe.example/' });
    expect(await formAction(github)).toBe("form-action 'self' https://ghe.example");
  });
});
