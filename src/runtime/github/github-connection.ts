import { GitHubAppClient } from './github-app-client';
import { GitHubRestOptions } from './github-rest';
import { ManifestConversionClient } from './manifest-conversion';
import { UserAuthorizationClient } from './user-authorization';
import { GITHUB_ENV } from '../../contract/function-environment';
import { NotFoundError } from '../core/errors';
import { GITHUB_DOT_COM, GitHubAppCredentials, GitHubConnection, GitHubEndpoints } from '../core/github';
import { Clock, SecretSource } from '../core/ports';

/** How long the App's credentials are used before the secret is read again (it changes only when the App is made again). */
const CREDENTIALS_TTL_MS = 60_000;

export interface GitHubConnectionOptions extends GitHubRestOptions {
  readonly endpoints: GitHubEndpoints;
  readonly secrets: SecretSource;
  /** The secret holding the App's credentials (JSON of GitHubAppCredentials). */
  readonly credentialsSecret: string;
  /** Never given a secret's value. */
  readonly log: (entry: Record<string, unknown>) => void;
  /** @default the system clock */
  readonly clock?: Clock;
}

const REQUIRED: ReadonlyArray<keyof GitHubAppCredentials> = ['appId', 'slug', 'privateKey', 'clientId', 'clientSecret'];

/**
 * The GitHub connection handlers get: the App's credentials are read from their secret when
 * first needed (the setup page may store them after the handler started), kept for a minute,
 * and answer undefined while the secret does not exist. The App's client lives as long as the
 * credentials do, so its installation tokens are reused.
 */
export function gitHubConnection(options: GitHubConnectionOptions): GitHubConnection {
  const { endpoints, secrets, credentialsSecret, log } = options;
  const clock = options.clock ?? { now: () => new Date() };
  const rest = { timeoutMs: options.timeoutMs };
  let held: { readonly text: string; readonly readAt: number; readonly credentials: GitHubAppCredentials; app?: GitHubAppClient } | undefined;

  const credentials = async () => {
    const now = clock.now().getTime();
    if (held && now - held.readAt < CREDENTIALS_TTL_MS) return held;
    let text: string;
    try {
      text = await secrets.get(credentialsSecret);
    } catch (error) {
      // Not made yet: asked again next time (not cached), so the setup page sees the App as soon as it is stored.
      if (error instanceof NotFoundError) return held = undefined;
      throw error;
    }
    // The same credentials keep their client (and its tokens); changed ones start afresh.
    if (held && held.text === text) return held = { ...held, readAt: now };
    held = { text, readAt: now, credentials: parseCredentials(text, credentialsSecret) };
    log({ event: 'github-app-credentials-read', appId: held.credentials.appId, slug: held.credentials.slug });
    return held;
  };

  return {
    endpoints,
    manifest: new ManifestConversionClient(endpoints.apiUrl, rest),
    async app() {
      const current = await credentials();
      if (!current) return undefined;
      return current.app ??= new GitHubAppClient(current.credentials, endpoints.apiUrl, { ...rest, clock });
    },
    async userAuthorization() {
      const current = await credentials();
      return current && new UserAuthorizationClient(endpoints, current.credentials, rest);
    },
    async appInfo() {
      const current = await credentials();
      if (!current) return undefined;
      const { appId, slug, htmlUrl } = current.credentials;
      return { appId, slug, ...htmlUrl !== undefined && { htmlUrl } };
    },
  };
}

/** The App's credentials from their secret's JSON; what is wrong is named, the value never. */
export function parseCredentials(text: string, secretName: string): GitHubAppCredentials {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(`the secret ${secretName} is not JSON: it must hold the GitHub App's ${REQUIRED.join(', ')}`);
  }
  const record = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  const missing = REQUIRED.filter(key => typeof record[key] !== 'string' || record[key] === '');
  if (missing.length > 0) throw new Error(`the secret ${secretName} lacks the GitHub App's ${missing.join(', ')}`);
  const htmlUrl = typeof record.htmlUrl === 'string' && record.htmlUrl !== '' ? record.htmlUrl : undefined;
  const [appId, slug, privateKey, clientId, clientSecret] = REQUIRED.map(key => record[key] as string);
  return { appId, slug, privateKey, clientId, clientSecret, ...htmlUrl !== undefined && { htmlUrl } };
}

/**
 * A Lambda function's GitHub connection from its environment (GITHUB_ENV): undefined when no App
 * is configured (the personal-access-token path). Endpoints default to github.com.
 */
export function gitHubConnectionFromEnvironment(
  env: Readonly<Record<string, string | undefined>>,
  secrets: SecretSource,
  log: (entry: Record<string, unknown>) => void,
): GitHubConnection | undefined {
  const credentialsSecret = env[GITHUB_ENV.appSecret];
  if (!credentialsSecret) return undefined;
  const endpoints = {
    apiUrl: env[GITHUB_ENV.apiUrl] || GITHUB_DOT_COM.apiUrl,
    webUrl: env[GITHUB_ENV.webUrl] || GITHUB_DOT_COM.webUrl,
  };
  return gitHubConnection({ endpoints, secrets, credentialsSecret, log });
}
