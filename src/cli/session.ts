import { CredentialEntry, CredentialStore, installationUrl } from './credentials';
import { CliError, EXIT, usageError } from './exit-codes';
import { DashboardConfig } from '../runtime/core/api-types';

/**
 * Which installation a command talks to and with which token: `--url` > TRELLIS_URL > the
 * current sign-in; TRELLIS_TOKEN (for CI, with --url or TRELLIS_URL) > the stored token. The API's and the log socket's
 * URLs come from the installation's config.json (stored at sign-in).
 */

export interface Session {
  /** The installation's (dashboard's) URL. */
  readonly url: string;
  readonly apiUrl: string;
  readonly webSocketUrl: string;
  readonly token: string;
  /** Where the token came from, for the hint when the API refuses it. */
  readonly tokenSource: 'TRELLIS_TOKEN' | 'credentials';
}

/** Renews a stored sign-in whose token expired, with its refresh token (browser-login.ts). */
export type SessionRefresher = (entry: CredentialEntry, config: DashboardConfig) => Promise<CredentialEntry>;

export interface SessionSources {
  readonly env: NodeJS.ProcessEnv;
  readonly credentials: CredentialStore;
  readonly now: () => Date;
  readonly refreshSession?: SessionRefresher;
}

/** A stored token this close to its expiry is renewed first (or refused): the API would refuse it on the way. */
const EXPIRY_MARGIN_MS = 30_000;

/** What to run to sign in to `url`. */
export function loginHint(url: string | undefined): string {
  return `run \`trellis login --url ${url ?? '<url>'}\` (or set TRELLIS_TOKEN)`;
}

/** What to check when the installation does not answer. */
export const unreachableHint = 'check --url / TRELLIS_URL and that the installation is up';

/** Whether `--url`, TRELLIS_URL or a current sign-in names an installation (else `chosenUrl` refuses). */
export function installationNamed(given: string | undefined, sources: Pick<SessionSources, 'env' | 'credentials'>): boolean {
  return given !== undefined || Boolean(sources.env.TRELLIS_URL) || sources.credentials.read().current !== undefined;
}

/** The installation a command means: `--url`, else TRELLIS_URL, else the current sign-in. */
export function chosenUrl(given: string | undefined, sources: Pick<SessionSources, 'env' | 'credentials'>): string {
  if (given !== undefined) return installationUrl(given, '--url');
  if (sources.env.TRELLIS_URL) return installationUrl(sources.env.TRELLIS_URL, 'TRELLIS_URL');
  const { current, installations } = sources.credentials.read();
  if (current) return current;
  const stored = Object.keys(installations);
  // Signed in elsewhere, but none is the default (its sign-in was forgotten): which one is for the person to say.
  if (stored.length > 0) throw usageError(`no installation chosen: ${stillSignedIn(stored)}`);
  throw new CliError('not signed in: run `trellis login --url <url>` (or set TRELLIS_URL and TRELLIS_TOKEN)', EXIT.auth);
}

/** The installations still signed in to, and how to use one. */
export function stillSignedIn(urls: readonly string[]): string {
  return `signed in to ${urls.join(', ')}; pass --url <url> to use one (\`trellis login --url <url>\` makes it the default)`;
}

/** The installation's config.json (the dashboard's): where its API and log socket are, how to sign in. */
export async function fetchDashboardConfig(url: string): Promise<DashboardConfig> {
  const address = `${url}/config.json`;
  let response: Response;
  try {
    response = await fetch(address, { headers: { accept: 'application/json' }, redirect: 'error' });
  } catch (error) {
    throw new CliError(`cannot reach ${address}: ${causeOf(error)}; ${unreachableHint}`);
  }
  const config = response.ok ? await response.json().catch(() => undefined) as Partial<DashboardConfig> | undefined : undefined;
  if (!config || typeof config.apiUrl !== 'string' || typeof config.webSocketUrl !== 'string' || !config.auth) {
    throw new CliError(`${address} is not a Trellis installation's config (HTTP ${response.status}): is ${url} the dashboard's URL?`);
  }
  return { ...config, apiUrl: config.apiUrl.replace(/\/+$/, '') } as DashboardConfig;
}

export async function openSession(given: { readonly url?: string }, sources: SessionSources): Promise<Session> {
  const fromEnv = sources.env.TRELLIS_TOKEN;
  // A token works on one installation: never sent to whichever was signed in to last.
  if (fromEnv && given.url === undefined && !sources.env.TRELLIS_URL) throw usageError('TRELLIS_TOKEN is set, but which installation? set TRELLIS_URL or pass --url');
  const url = chosenUrl(given.url, sources);
  const stored = sources.credentials.entry(url);
  if (fromEnv) {
    const { apiUrl, webSocketUrl } = stored ?? await fetchDashboardConfig(url);
    return { url, apiUrl, webSocketUrl, token: fromEnv, tokenSource: 'TRELLIS_TOKEN' };
  }
  if (!stored) throw new CliError(`not signed in to ${url}: ${loginHint(url)}`, EXIT.auth);
  const entry = expired(stored, sources.now()) ? await renewed(stored, sources) : stored;
  return { url, apiUrl: entry.apiUrl, webSocketUrl: entry.webSocketUrl, token: entry.token, tokenSource: 'credentials' };
}

function expired(entry: CredentialEntry, now: Date): boolean {
  return entry.expiresAt !== undefined && Date.parse(entry.expiresAt) - EXPIRY_MARGIN_MS <= now.getTime();
}

/** The stored sign-in renewed with its refresh token, and saved; without one: sign in again. */
async function renewed(entry: CredentialEntry, sources: SessionSources): Promise<CredentialEntry> {
  if (!entry.refreshToken || !sources.refreshSession) {
    throw new CliError(`the sign-in to ${entry.url} expired: ${loginHint(entry.url)}`, EXIT.auth);
  }
  let renewal: CredentialEntry;
  try {
    renewal = await sources.refreshSession(entry, await fetchDashboardConfig(entry.url));
  } catch (error) {
    if (error instanceof CliError && error.exitCode !== EXIT.auth) throw error;
    throw new CliError(`the sign-in to ${entry.url} expired and could not be renewed (${causeOf(error)}): ${loginHint(entry.url)}`, EXIT.auth);
  }
  sources.credentials.save(renewal, false);
  return renewal;
}

/** A fetch failure's own words (undici puts them in `cause`). */
export function causeOf(error: unknown): string {
  const cause = (error as { cause?: { message?: string; code?: string } })?.cause;
  return cause?.code ?? cause?.message ?? (error as Error)?.message ?? String(error);
}
