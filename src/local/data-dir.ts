import { generateKeyPairSync, randomBytes } from 'crypto';
import { existsSync, linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { join, resolve } from 'path';
import { ProcessRecords, processStartTime, writeAtomically } from './process-records';

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
  /** The GitHub stand-in: pushes to the repositories it hosts (`owner/repo` → path) go through it, as to GitHub. */
  readonly github?: { readonly url: string; readonly repositories: Readonly<Record<string, string>> };
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
  private get runFile(): string { return join(this.root, 'run.json'); }
  /** What the running (or a killed) run started: DynamoDB Local, builds (see ProcessRecords). */
  get processes(): ProcessRecords { return new ProcessRecords(join(this.root, 'processes')); }

  /**
   * Create it (removing what was there first when `reset`). A directory made here gets a
   * `.gitignore` of `*`: the default one is inside the user's project, and its secrets,
   * database and the sample app's repository must not be committed with the project. A
   * directory that existed before (`--data-dir .`) is left without one.
   */
  prepare(reset: boolean): void {
    if (reset) rmSync(this.root, { recursive: true, force: true });
    const made = !existsSync(this.root);
    mkdirSync(this.dynamodb, { recursive: true, mode: 0o700 });
    if (made) writeFileSync(join(this.root, '.gitignore'), '# Made by `trellis local`: secrets, a database and repositories, none for git.\n*\n');
  }

  /** The webhook secret, made on the first start and kept (0600), like the one in Secrets Manager. */
  webhookSecret(): string {
    return this.keptSecret('webhook-secret', () => randomBytes(32).toString('hex'));
  }

  /** The key local mode signs sign-in tokens with (PKCS#8 PEM), made on the first start and kept: a restart signs nobody out. */
  signingKeyPem(): string {
    return this.keptSecret('signing-key.pem', () => generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString());
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
    writeAtomically(this.serverFile, `${JSON.stringify(info, null, 2)}\n`);
  }

  /**
   * This process as the run using the directory (written first thing, before anything is
   * started, so a second start is refused even before server.json exists), with its start time.
   */
  writeRunRecord(): void {
    writeAtomically(this.runFile, `${JSON.stringify({ pid: process.pid, startTime: processStartTime(process.pid) ?? '' })}\n`);
  }

  /** The run that last used the directory (it runs, or it was killed), if it left its record. */
  runRecord(): { pid: number; startTime: string } | undefined {
    try {
      const record = JSON.parse(readFileSync(this.runFile, 'utf8'));
      return Number.isSafeInteger(record.pid) && typeof record.startTime === 'string' && record.startTime !== '' ? record : undefined;
    } catch {
      return undefined;
    }
  }

  removeRunRecord(): void {
    rmSync(this.runFile, { force: true });
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
    // Whole or absent for a reader (`trellis push`, a test): written to a temp file, then linked
    // into place, which fails if another process made it first (then that one's value is kept).
    const value = make();
    const temp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      writeFileSync(temp, `${value}\n`, { mode: 0o600 });
      linkSync(temp, file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      return readFileSync(file, 'utf8').trim();
    } finally {
      rmSync(temp, { force: true });
    }
    return value;
  }
}
