import { randomBytes } from 'crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'fs';
import { join } from 'path';

/** A permission level as GitHub names it; `write` includes `read`. */
export type Level = 'read' | 'write';

/** The App the manifest flow (or createApp) made. The stand-in keeps only its public key. */
export interface StoredApp {
  readonly id: number;
  readonly slug: string;
  readonly name: string;
  readonly owner: string;
  readonly publicKey: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly webhookSecret: string;
  readonly hookUrl?: string;
  readonly hookActive: boolean;
  readonly redirectUrl?: string;
  readonly setupUrl?: string;
  readonly callbackUrls: readonly string[];
  readonly permissions: Readonly<Record<string, Level>>;
  readonly events: readonly string[];
  readonly createdAt: string;
}

export interface StoredRepository {
  readonly id: number;
  readonly fullName: string;
  readonly path: string;
  readonly private: boolean;
  readonly defaultBranch: string;
}

/** One installation per account (owner), as on GitHub; `repositories` are full names. */
export interface StoredInstallation {
  readonly id: number;
  readonly account: string;
  repositories: string[];
  readonly createdAt: string;
}

export interface StoredUser {
  readonly id: number;
  readonly login: string;
  readonly name?: string;
  readonly organizations: readonly string[];
  /** `org/team-slug` */
  readonly teams: readonly string[];
}

export interface InstallationToken {
  readonly token: string;
  readonly installationId: number;
  readonly repositories: readonly string[];
  readonly permissions: Readonly<Record<string, Level>>;
  readonly expiresAt: string;
}

export interface UserToken {
  readonly token: string;
  readonly login: string;
  readonly expiresAt: string;
}

/** A one-time code: an OAuth authorization's, or a manifest conversion's (holding the new App's private key until converted). */
export interface OAuthCode {
  readonly code: string;
  readonly login: string;
  readonly clientId: string;
  readonly redirectUri: string;
  readonly expiresAt: string;
}
export interface ManifestCode { readonly code: string; readonly privateKey: string; readonly expiresAt: string }

export interface StoredStatus {
  readonly id: number;
  readonly sha: string;
  readonly context: string;
  readonly state: string;
  readonly description: string | null;
  readonly target_url: string | null;
  readonly created_at: string;
}

export interface StoredDeploymentStatus {
  readonly id: number;
  readonly state: string;
  readonly description: string;
  readonly environment_url?: string;
  readonly log_url?: string;
  readonly created_at: string;
}

export interface StoredDeployment {
  readonly id: number;
  readonly sha: string;
  readonly ref: string;
  readonly environment: string;
  readonly description: string | null;
  readonly production_environment: boolean;
  readonly transient_environment: boolean;
  readonly created_at: string;
  readonly statuses: StoredDeploymentStatus[];
}

export interface StoredDelivery {
  readonly id: number;
  readonly guid: string;
  readonly event: string;
  readonly action: string | null;
  readonly delivered_at: string;
  readonly redelivery: boolean;
  readonly status_code: number;
  readonly duration: number;
  readonly installation_id: number | null;
  readonly repository_id: number | null;
  /** The body as sent, so a redelivery sends the same bytes. */
  readonly body: string;
  /** What the webhook answered (at most 64 KiB), as GitHub's delivery log keeps it. */
  readonly response_body?: string;
}

export interface StandInState {
  nextId: number;
  app?: StoredApp;
  repositories: Record<string, StoredRepository>;
  installations: StoredInstallation[];
  users: StoredUser[];
  installationTokens: InstallationToken[];
  userTokens: UserToken[];
  oauthCodes: OAuthCode[];
  manifestCodes: ManifestCode[];
  /** Repository → its commit statuses, oldest first. */
  statuses: Record<string, StoredStatus[]>;
  /** Repository → its deployments, oldest first. */
  deployments: Record<string, StoredDeployment[]>;
  /** Oldest first. */
  deliveries: StoredDelivery[];
  /** Repository → its issue and pull request comments, oldest first. */
  comments: Record<string, StoredComment[]>;
}

/** A comment on an issue or pull request (`number`). */
export interface StoredComment {
  readonly id: number;
  readonly number: number;
  body: string;
  readonly created_at: string;
  updated_at: string;
}

const STATE_FILE = 'state.json';

/**
 * The stand-in's state: in memory, and when `dataDir` is given, also in `<dataDir>/state.json`
 * (mode 0600: it holds the App's secrets and live tokens), replaced whole and atomically after
 * every change, read back on start.
 */
export class StateFile {
  readonly state: StandInState;

  constructor(private readonly dataDir: string | undefined) {
    this.state = dataDir ? read(join(dataDir, STATE_FILE)) ?? empty() : empty();
  }

  /** A fresh id (GitHub's ids are numbers, unique across kinds here). */
  id(): number {
    return this.state.nextId++;
  }

  /** Drops what has expired, then writes the state down (when persisted). */
  save(now: Date = new Date()): void {
    const live = <T extends { expiresAt: string }>(items: T[]) => items.filter(item => Date.parse(item.expiresAt) > now.getTime());
    this.state.installationTokens = live(this.state.installationTokens);
    this.state.userTokens = live(this.state.userTokens);
    this.state.oauthCodes = live(this.state.oauthCodes);
    this.state.manifestCodes = live(this.state.manifestCodes);
    if (!this.dataDir) return;
    mkdirSync(this.dataDir, { recursive: true, mode: 0o700 });
    const file = join(this.dataDir, STATE_FILE);
    const temp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      writeFileSync(temp, `${JSON.stringify(this.state, null, 1)}\n`, { mode: 0o600, flag: 'wx' });
      renameSync(temp, file);
    } catch (error) {
      rmSync(temp, { force: true });
      throw error;
    }
  }
}

function empty(): StandInState {
  return {
    nextId: 1,
    repositories: {},
    installations: [],
    users: [],
    installationTokens: [],
    userTokens: [],
    oauthCodes: [],
    manifestCodes: [],
    statuses: {},
    deployments: {},
    deliveries: [],
    comments: {},
  };
}

function read(file: string): StandInState | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    return { ...empty(), ...JSON.parse(text) as Partial<StandInState> };
  } catch {
    throw new Error(`${file} is not the GitHub stand-in's state (not JSON): move it away to start afresh`);
  }
}
