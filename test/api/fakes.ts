import { CommitSource, LaunchMessage, LaunchQueue, NotFoundError, SecretStore } from '../../src/runtime/core';

/** GitHub as a map of `owner/repo@branch` → newest commit. */
export class FakeCommitSource implements CommitSource {
  readonly asked: Array<{ repository: string; branch: string }> = [];
  private readonly heads = new Map<string, { sha: string; message?: string; author?: string }>();

  push(repository: string, branch: string, commit: { sha: string; message?: string; author?: string }): void {
    this.heads.set(`${repository}@${branch}`, commit);
  }

  async latestCommit(repository: string, branch: string): Promise<{ sha: string; message?: string; author?: string }> {
    this.asked.push({ repository, branch });
    const head = this.heads.get(`${repository}@${branch}`);
    if (!head) throw new NotFoundError(`branch '${branch}' of ${repository} was not found on GitHub`);
    return head;
  }
}

/** Secrets Manager as a map of secret name → (NAME → value). */
export class FakeSecretStore implements SecretStore {
  readonly secrets = new Map<string, Map<string, string>>();
  failNext?: string;

  async names(secretName: string): Promise<string[]> {
    return [...this.secrets.get(secretName)?.keys() ?? []].sort();
  }

  async update(secretName: string, changes: Readonly<Record<string, string | null>>): Promise<string[]> {
    if (this.failNext) {
      const reason = this.failNext;
      this.failNext = undefined;
      throw new Error(reason);
    }
    const entries = this.secrets.get(secretName) ?? new Map<string, string>();
    for (const [name, value] of Object.entries(changes)) {
      if (value === null) entries.delete(name);
      else entries.set(name, value);
    }
    this.secrets.set(secretName, entries);
    return this.names(secretName);
  }

  /** What the builder would read. */
  value(secretName: string): Record<string, string> {
    return Object.fromEntries(this.secrets.get(secretName) ?? []);
  }
}

/** The launch queue: records messages, can refuse the next one. */
export class FakeLaunchQueue implements LaunchQueue {
  readonly sent: LaunchMessage[] = [];
  failNext?: string;

  async send(message: LaunchMessage): Promise<void> {
    if (this.failNext) {
      const reason = this.failNext;
      this.failNext = undefined;
      throw new Error(reason);
    }
    this.sent.push(message);
  }
}
