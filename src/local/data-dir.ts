import { randomBytes } from 'crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'fs';
import { join, resolve } from 'path';

/** Where `trellis local` keeps everything between runs, unless told otherwise. */
export const DEFAULT_DATA_DIR = '.trellis/local';

/** What a running `trellis local` tells other commands (`trellis push`) about itself. */
export interface ServerInfo {
  readonly pid: number;
  readonly url: string;
  readonly webhookUrl: string;
  readonly webSocketUrl: string;
  /** DynamoDB Local's Java process, stopped by the next start if a killed run left it behind. */
  readonly dynamodbPid?: number;
  /** Application → `owner/repo` pushes name and its local repository path. */
  readonly applications: Readonly<Record<string, { readonly repository: string; readonly path: string }>>;
}

/**
 * Local mode's data directory: DynamoDB Local's files, secrets, build output, the sample
 * app's repository and deployed folder, and the credentials made on the first start.
 */
export class DataDir {
  readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  get dynamodb(): string { return join(this.root, 'dynamodb'); }
  get repos(): string { return join(this.root, 'repos'); }
  get deployed(): string { return join(this.root, 'deployed'); }
  get serverLog(): string { return join(this.root, 'server.log'); }
  private get serverFile(): string { return join(this.root, 'server.json'); }

  /** Create it (removing what was there first when `reset`). */
  prepare(reset: boolean): void {
    if (reset) rmSync(this.root, { recursive: true, force: true });
    mkdirSync(this.dynamodb, { recursive: true, mode: 0o700 });
  }

  /** The webhook secret, made on the first start and kept (0600), like the one in Secrets Manager. */
  webhookSecret(): string {
    return this.keptSecret('webhook-secret', () => randomBytes(32).toString('hex'));
  }

  /** The local admin's password, made on the first start and kept. */
  adminPassword(): string {
    return this.keptSecret('admin-password', () => randomBytes(9).toString('base64url'));
  }

  /**
   * DynamoDB Local's access key id for this installation, made on the first start and kept:
   * DynamoDB Local (without -sharedDb) keeps one database per key id, so a client that finds
   * its port but not this key sees no table. Letters and digits, as DynamoDB Local requires.
   */
  dynamodbAccessKeyId(): string {
    return this.keptSecret('dynamodb-access-key-id', () => `T${randomBytes(20).toString('hex')}`);
  }

  /** Replaced whole (temp file + rename): `trellis push` or the next start never reads half of it. */
  writeServerInfo(info: ServerInfo): void {
    const temp = `${this.serverFile}.${randomBytes(6).toString('hex')}.tmp`;
    writeFileSync(temp, `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 });
    renameSync(temp, this.serverFile);
  }

  /** The running server's details; a clear error when none is running from this directory. */
  readServerInfo(): ServerInfo {
    if (!existsSync(this.serverFile)) {
      throw new Error(`no local server is running from ${this.root} (no server.json): start it with \`trellis local\`, or pass --data-dir`);
    }
    return JSON.parse(readFileSync(this.serverFile, 'utf8')) as ServerInfo;
  }

  /** What the last server wrote, if its server.json is still there (it is running, or it was killed). */
  previousServer(): ServerInfo | undefined {
    try {
      return this.readServerInfo();
    } catch {
      return undefined;
    }
  }

  removeServerInfo(): void {
    rmSync(this.serverFile, { force: true });
  }

  private keptSecret(name: string, make: () => string): string {
    const file = join(this.root, name);
    if (existsSync(file)) return readFileSync(file, 'utf8').trim();
    const value = make();
    writeFileSync(file, `${value}\n`, { mode: 0o600 });
    return value;
  }
}
