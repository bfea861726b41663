import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { secretNames } from '../../../src/contract/secret-names';
import { DashboardServer, startDashboardServer } from '../../../src/local/dashboard-server';
import { FileSecretSource } from '../../../src/local/file-secret-source';
import { GitHubStandIn, startGitHubStandIn } from '../../../src/local/github-stand-in/stand-in';
import { LocalIdentity } from '../../../src/local/local-identity';
import { SessionSigningKey } from '../../../src/runtime/auth/session-signing-key';
import { GitHubRoleMapping } from '../../../src/runtime/core/github-role-mapping';
import { gitHubConnection } from '../../../src/runtime/github/github-connection';
import { FakeCommitSource, FakeLaunchQueue } from '../../api/fakes';
import { FakeTaskRunner } from '../../deployments/fake-task-runner';
import { appConfig, envConfig } from '../../store/fixtures';
import { freshStore } from '../../support/test-table';

export const SIGN_IN_INSTALLATION = 'local';
/** The local password sign-in's user, beside GitHub. */
export const LOCAL_ADMIN = { user: 'admin', password: 'pw' };
/** acme/platform → admin; acme/shop-devs → deployer of shop. */
export const SIGN_IN_ROLES: GitHubRoleMapping[] = [
  { organization: 'acme', team: 'platform', role: 'admin' },
  { organization: 'acme', team: 'shop-devs', role: 'deployer', application: 'shop' },
];

export interface SignInServer {
  /** GitHub, with the App made and users ada (acme/platform), dana (Acme/Shop-Devs) and eve (elsewhere/platform). */
  readonly standIn: GitHubStandIn;
  /** Local mode's server with sign in with GitHub by SIGN_IN_ROLES; application shop with dev. */
  readonly server: DashboardServer;
  readonly secrets: FileSecretSource;
  readonly logs: Array<Record<string, unknown>>;
  close(): Promise<void>;
}

/**
 * Sign in with GitHub as local mode wires it, over DynamoDB Local: the GitHub stand-in with the App
 * already made (as the setup page leaves it, its callback URL this server's), the session key in
 * a secrets file. `staticDir`: the built dashboard (a bare index.html without it).
 */
export async function startSignInServer(staticDir?: string): Promise<SignInServer> {
  const dir = mkdtempSync(join(tmpdir(), 'trellis-github-sign-in-'));
  const secrets = new FileSecretSource(join(dir, 'secrets.json'));
  const standIn = await startGitHubStandIn();
  standIn.addUser({ login: 'ada', organizations: ['acme'], teams: ['acme/platform'] });
  standIn.addUser({ login: 'dana', organizations: ['Acme'], teams: ['Acme/Shop-Devs'] });
  standIn.addUser({ login: 'eve', organizations: ['acme', 'elsewhere'], teams: ['elsewhere/platform'] });
  if (!staticDir) {
    mkdirSync(join(dir, 'static'));
    writeFileSync(join(dir, 'static', 'index.html'), '<!doctype html><title>Trellis</title>');
  }
  const { store } = await freshStore();
  await store.config.syncApplications([appConfig('shop', [envConfig('dev', { kind: 'development', branch: 'main' })])]);
  const logs: Array<Record<string, unknown>> = [];
  const server = await startDashboardServer({
    store,
    identity: new LocalIdentity([{ name: LOCAL_ADMIN.user, password: LOCAL_ADMIN.password, groups: ['admin'] }]),
    api: {
      queue: new FakeLaunchQueue(),
      commits: new FakeCommitSource(),
      secrets,
      runner: new FakeTaskRunner(),
      installation: SIGN_IN_INSTALLATION,
      github: gitHubConnection({
        endpoints: standIn.endpoints, secrets, credentialsSecret: secretNames.githubApp(SIGN_IN_INSTALLATION), log: () => undefined,
      }),
      githubSignIn: { roles: SIGN_IN_ROLES, signingKey: new SessionSigningKey(secrets, secretNames.sessionSigningKey(SIGN_IN_INSTALLATION)) },
    },
    staticDir: staticDir ?? join(dir, 'static'),
    log: entry => logs.push(entry),
  });
  // The App, as the setup page's manifest flow would leave it: its user authorization calls back to this server.
  const manifest = { name: 'trellis', url: server.url, callback_urls: [`${server.url}/auth/github/callback`] };
  const { webhookSecret: _webhookSecret, ...credentials } = standIn.createApp(manifest);
  await secrets.put(secretNames.githubApp(SIGN_IN_INSTALLATION), JSON.stringify(credentials));
  return {
    standIn,
    server,
    secrets,
    logs,
    close: async () => {
      await server.close();
      await standIn.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The person choosing `login` on the stand-in's authorize page (`authorize`: where the sign-in sent the browser): GitHub's answer, a redirect to the callback. */
export function chooseOnStandIn(standIn: GitHubStandIn, authorize: URL, login: string): Promise<Response> {
  return fetch(`${standIn.url}/login/oauth/authorize`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      client_id: authorize.searchParams.get('client_id')!,
      redirect_uri: authorize.searchParams.get('redirect_uri')!,
      state: authorize.searchParams.get('state')!,
      login,
    }).toString(),
  });
}
