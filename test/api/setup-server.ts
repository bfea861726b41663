import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { FakeCommitSource, FakeLaunchQueue } from './fakes';
import { secretNames } from '../../src/contract/secret-names';
import { DashboardServer, startDashboardServer } from '../../src/local/dashboard-server';
import { FileSecretSource } from '../../src/local/file-secret-source';
import { GitHubStandIn, startGitHubStandIn } from '../../src/local/github-stand-in/stand-in';
import { LocalIdentity } from '../../src/local/local-identity';
import { gitHubConnection } from '../../src/runtime/github/github-connection';
import { webhookSecrets } from '../../src/runtime/webhook/webhook-secrets';
import { FakeTaskRunner } from '../deployments/fake-task-runner';
import { appConfig, envConfig } from '../store/fixtures';
import { gitRepo } from '../support/git-repo';
import { freshStore } from '../support/test-table';

export const SETUP_INSTALLATION = 'local';
export const SETUP_ADMIN = { user: 'ada', password: 'ada-secret' };

export interface SetupServer {
  /** GitHub: hosts acme/web (private) and acme/docs (public); user ada. */
  readonly standIn: GitHubStandIn;
  /** Local mode's server: the control API with the stand-in as its GitHub, the webhook, the dashboard from `staticDir`. */
  readonly server: DashboardServer;
  /** `<dir>/secrets.json`: where the setup page's callback stores the App's credentials. */
  readonly secretsFile: string;
  /** The webhook's launch queue (`failNext` makes a delivery fail with 500). */
  readonly queue: FakeLaunchQueue;
  /** acme/web's one commit on main (application `web`, environment dev, deploys main on push). */
  readonly commit: string;
  readonly logs: Record<string, unknown>[];
  close(): Promise<void>;
}

/**
 * The setup page's world as local mode wires it: the GitHub stand-in, a FileSecretSource the
 * GitHub connection reads the App's credentials from (once the callback stored them), the
 * webhook accepting the App's secret, over DynamoDB Local.
 */
export async function startSetupServer(staticDir?: string): Promise<SetupServer> {
  const dir = mkdtempSync(join(tmpdir(), 'trellis-setup-'));
  const [commit] = gitRepo(join(dir, 'web'), { 'README.md': 'web\n' });
  const standIn = await startGitHubStandIn();
  standIn.addUser({ login: SETUP_ADMIN.user });
  standIn.addRepository('acme/web', join(dir, 'web'));
  standIn.addRepository('acme/docs', join(dir, 'web'), { private: false });
  const secretsFile = join(dir, 'secrets.json');
  const secrets = new FileSecretSource(secretsFile);
  const queue = new FakeLaunchQueue();
  const logs: Record<string, unknown>[] = [];
  const log = (entry: Record<string, unknown>) => logs.push(entry);
  const { store } = await freshStore();
  await store.config.syncApplications([appConfig('web', [envConfig('dev', { kind: 'development', branch: 'main', autoDeploy: true })])]);
  const github = gitHubConnection({ endpoints: standIn.endpoints, secrets, credentialsSecret: secretNames.githubApp(SETUP_INSTALLATION), log });
  const server = await startDashboardServer({
    store,
    identity: new LocalIdentity([{ name: SETUP_ADMIN.user, password: SETUP_ADMIN.password, groups: ['admin'] }]),
    api: { queue, commits: new FakeCommitSource(), secrets, runner: new FakeTaskRunner(), installation: SETUP_INSTALLATION, github },
    webhook: { secrets: webhookSecrets(async () => 'the-installation-secret', secrets, secretNames.githubAppWebhook(SETUP_INSTALLATION)), queue },
    staticDir: staticDir ?? dir,
    log,
  });
  return {
    standIn,
    server,
    secretsFile,
    queue,
    commit,
    logs,
    close: async () => {
      await server.close();
      await standIn.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
