import { ApiClient } from './api-client';
import { BrowserLoginOptions, BrowserLoginResult, browserLogin, refreshSession } from './browser-login';
import { CredentialStore, configDirectory } from './credentials';
import { Session, SessionRefresher, openSession } from './session';
import { DashboardConfig } from '../runtime/core/api-types';

/**
 * What every command of `trellis` works with: its output streams, its environment, the stored
 * sign-ins, and the session (installation + token) a command's `--url` leads to. Commands write
 * through `out`/`err` only, so a test can run the program in-process.
 */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** The whole of stdin (for --password-stdin). */
  readStdin(): Promise<string>;
  /**
   * Run `say` on Ctrl-C, then end with exit 130 (the process does; a test's io records it);
   * answers what removes the handler.
   */
  onInterrupt?(say: () => void): () => void;
}

/** The sign-in flows (browser-login.ts), replaceable in tests. */
export interface CliHooks {
  /** Signs in through the browser: `trellis login` without --user. */
  readonly browserLogin: (config: DashboardConfig, options: BrowserLoginOptions) => Promise<BrowserLoginResult>;
  /** Renews an expired stored sign-in with its refresh token. */
  readonly refreshSession: SessionRefresher;
}

export class CliContext {
  readonly credentials: CredentialStore;
  /** What the program exits with once the command's action returned. */
  exitCode = 0;

  constructor(
    readonly io: CliIo,
    readonly env: NodeJS.ProcessEnv,
    readonly hooks: CliHooks = { browserLogin, refreshSession },
    readonly now: () => Date = () => new Date(),
  ) {
    this.credentials = new CredentialStore(configDirectory(env));
  }

  /** A line on stdout. */
  print(line = ''): void {
    this.io.out(`${line}\n`);
  }

  /** A line on stderr. */
  warn(line: string): void {
    this.io.err(`${line}\n`);
  }

  /** The API's answer as it came, for --json. */
  printJson(value: unknown): void {
    this.io.out(`${JSON.stringify(value, undefined, 2)}\n`);
  }

  /**
   * Follow deployment `id` (--wait, logs --follow); a Ctrl-C meanwhile says that the deployment
   * goes on without us, and how to pick it up again or stop it.
   */
  async following<T>(id: string, follow: () => Promise<T>): Promise<T> {
    const remove = this.io.onInterrupt?.(() => this.warn(`\nstopped following: the deployment goes on; follow it with \`trellis logs ${id} --follow\`, or \`trellis cancel ${id}\``));
    try {
      return await follow();
    } finally {
      remove?.();
    }
  }

  session(options: { readonly url?: string }): Promise<Session> {
    return openSession(options, { env: this.env, credentials: this.credentials, now: this.now, refreshSession: this.hooks.refreshSession });
  }

  async client(options: { readonly url?: string }): Promise<ApiClient> {
    return new ApiClient(await this.session(options));
  }
}
