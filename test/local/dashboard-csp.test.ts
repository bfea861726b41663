import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { DashboardServer, startDashboardServer } from '../../src/local/dashboard-server';
import { LocalIdentity } from '../../src/local/local-identity';
import { contentSecurityPolicy } from '../../src/runtime/core/content-security-policy';
import { FakeCommitSource, FakeLaunchQueue, FakeSecretStore } from '../api/fakes';
import { FakeTaskRunner } from '../deployments/fake-task-runner';
import { freshStore } from '../support/test-table';

/** The local server's pages carry the dashboard's CSP (the policy CloudFront sends), for this server's origins. */
describe('local dashboard server: Content-Security-Policy', () => {
  let server: DashboardServer;
  let staticDir: string;

  beforeAll(async () => {
    const { store } = await freshStore();
    staticDir = mkdtempSync(join(tmpdir(), 'trellis-static-'));
    writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>Trellis</title>');
    server = await startDashboardServer({
      store,
      identity: new LocalIdentity([]),
      api: { queue: new FakeLaunchQueue(), commits: new FakeCommitSource(), secrets: new FakeSecretStore(), runner: new FakeTaskRunner(), installation: 'local' },
      staticDir,
      log: () => undefined,
    });
  });

  afterAll(async () => {
    await server.close();
    rmSync(staticDir, { recursive: true, force: true });
  });

  function directives(policy: string | null): Record<string, string[]> {
    expect(policy).toEqual(expect.any(String));
    return Object.fromEntries(policy!.split('; ').map(directive => [directive.split(' ')[0], directive.split(' ').slice(1)]));
  }

  test('the page (and a deep link answered by it) names exactly this server\'s API and socket origins', async () => {
    const port = new URL(server.url).port;
    for (const path of ['/', '/index.html', '/apps-list/deep/link']) {
      const response = await fetch(`${server.url}${path}`);
      expect({ path, status: response.status }).toEqual({ path, status: 200 });
      const policy = directives(response.headers.get('content-security-policy'));
      expect(policy['connect-src']).toEqual(["'self'", `http://127.0.0.1:${port}`, `ws://127.0.0.1:${port}`]);
      expect(policy['default-src']).toEqual(["'self'"]);
      expect(policy['script-src']).toEqual(["'self'"]);
      expect(policy['style-src']).toEqual(["'self'"]);
      expect(policy['object-src']).toEqual(["'none'"]);
      expect(policy['frame-ancestors']).toEqual(["'none'"]);
      // The page is http: upgrading its requests would break them.
      expect(policy['upgrade-insecure-requests']).toBeUndefined();
      expect(response.headers.get('x-frame-options')).toBe('DENY');
    }
  });

  test('the same directives as the CloudFront policy, but the connect origins and the upgrade', async () => {
    const local = directives((await fetch(server.url)).headers.get('content-security-policy'));
    const cloud = directives(contentSecurityPolicy({ connect: ['https://api.example'] }));
    const { ['connect-src']: _localConnect, ...localRest } = local;
    const { ['connect-src']: _cloudConnect, ['upgrade-insecure-requests']: upgrade, ...cloudRest } = cloud;
    expect(upgrade).toEqual([]);
    expect(localRest).toEqual(cloudRest);
  });
});
