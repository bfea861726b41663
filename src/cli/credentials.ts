import { randomBytes } from 'crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'fs';
import { homedir } from 'os';
import { join } from 'path';
import { CliError, usageError } from './exit-codes';
import { printable } from '../runtime/core/names';

/**
 * Where `trellis login` keeps its sign-ins: `<config dir>/trellis/credentials.json`, readable by
 * the user alone (directory 0700, file 0600), one entry per installation URL and which one the
 * commands use when no `--url` or TRELLIS_URL names one.
 */

/** One installation signed in to. */
export interface CredentialEntry {
  /** The installation's (dashboard's) URL, normalized by `installationUrl`. */
  readonly url: string;
  /** From the installation's config.json at sign-in. */
  readonly apiUrl: string;
  readonly webSocketUrl: string;
  /** The bearer token the API takes (a JWT, or an API token). */
  readonly token: string;
  /** For OIDC sign-ins: renews `token` once it expired. */
  readonly refreshToken?: string;
  /** When `token` expires (ISO), when known. */
  readonly expiresAt?: string;
  /** Who signed in, for `trellis login` and `trellis logout` to say. */
  readonly user?: string;
}

export interface CredentialsFile {
  /** The URL of the installation used by default. */
  readonly current?: string;
  readonly installations: Readonly<Record<string, CredentialEntry>>;
}

/** The config directory: TRELLIS_CONFIG_DIR, else %APPDATA% on Windows, $XDG_CONFIG_HOME or ~/.config. */
export function configDirectory(env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform, home: string = homedir()): string {
  if (env.TRELLIS_CONFIG_DIR) return env.TRELLIS_CONFIG_DIR;
  if (platform === 'win32' && env.APPDATA) return env.APPDATA;
  return env.XDG_CONFIG_HOME || join(home, '.config');
}

/**
 * An installation's URL as given (`--url`, TRELLIS_URL) in one spelling: no trailing slash, no
 * query. https, or http on a loopback address only: a password or token sent in the clear to
 * another machine could be read on the way.
 */
export function installationUrl(given: string, field = '--url'): string {
  let url: URL;
  try {
    url = new URL(given);
  } catch {
    throw usageError(`${field} must be the installation's URL (https://...), got '${printable(given)}'`);
  }
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw usageError(`${field} must be an https:// URL (http:// only for 127.0.0.1 or localhost), got '${printable(given)}'`);
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

export class CredentialStore {
  readonly directory: string;
  readonly file: string;

  constructor(configDir: string) {
    this.directory = join(configDir, 'trellis');
    this.file = join(this.directory, 'credentials.json');
  }

  read(): CredentialsFile {
    if (!existsSync(this.file)) return { installations: {} };
    let parsed: Partial<CredentialsFile>;
    try {
      parsed = JSON.parse(readFileSync(this.file, 'utf8'));
    } catch (error) {
      throw new CliError(`cannot read ${this.file} (${(error as Error).message}): delete it and sign in again`);
    }
    return { current: parsed.current, installations: parsed.installations ?? {} };
  }

  entry(url: string): CredentialEntry | undefined {
    return this.read().installations[url];
  }

  /** Add or replace the entry of `entry.url`; a sign-in makes it the current installation, a renewal does not. */
  save(entry: CredentialEntry, makeCurrent = true): void {
    const file = this.read();
    this.write({ current: makeCurrent ? entry.url : file.current, installations: { ...file.installations, [entry.url]: entry } });
  }

  /** Forget `url`'s sign-in; the current installation stays only if it is another. Whether there was one. */
  remove(url: string): boolean {
    const file = this.read();
    if (!file.installations[url]) return false;
    const { [url]: _removed, ...rest } = file.installations;
    this.write({ current: file.current === url ? undefined : file.current, installations: rest });
    return true;
  }

  /** Written whole to a 0600 temp file beside it, then renamed: never readable by others, never half-written. */
  private write(content: CredentialsFile): void {
    mkdirSync(this.directory, { recursive: true, mode: 0o700 });
    chmodSync(this.directory, 0o700); // made earlier with a wider mode, or by hand
    const temporary = `${this.file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      writeFileSync(temporary, `${JSON.stringify(content, undefined, 2)}\n`, { mode: 0o600, flag: 'wx' });
      renameSync(temporary, this.file);
    } finally {
      rmSync(temporary, { force: true });
    }
  }
}
