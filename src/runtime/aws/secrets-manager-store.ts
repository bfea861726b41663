import {
  CreateSecretCommand, GetSecretValueCommand, PutSecretValueCommand, ResourceExistsException, ResourceNotFoundException, SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { SecretCreator, SecretStore } from '../core/ports';

/**
 * An environment's secret variables in one Secrets Manager secret, a JSON object of
 * NAME → value (what the builder reads). Values are written, never returned or logged;
 * entries this API did not write are kept as they are.
 *
 * An update reads, merges and writes: Secrets Manager has no conditional write, so of two
 * updates at the same moment the last one wins.
 */
export class SecretsManagerStore implements SecretStore, SecretCreator {
  constructor(private readonly client = new SecretsManagerClient({})) {}

  /** A whole secret, only when none has the name: CreateSecret itself refuses a second one. */
  async create(name: string, value: string): Promise<boolean> {
    try {
      await this.client.send(new CreateSecretCommand({ Name: name, SecretString: value, Description: 'trellis: made on first use' }));
      return true;
    } catch (error) {
      if (error instanceof ResourceExistsException) return false;
      throw error;
    }
  }

  async names(secretName: string): Promise<string[]> {
    return Object.keys(await this.read(secretName) ?? {}).sort();
  }

  async update(secretName: string, changes: Readonly<Record<string, string | null>>): Promise<string[]> {
    for (let attempt = 0; ; attempt++) {
      const current = await this.read(secretName);
      const entries = new Map(Object.entries(current ?? {}));
      for (const [name, value] of Object.entries(changes)) {
        if (value === null) entries.delete(name);
        else entries.set(name, value);
      }
      const names = [...entries.keys()].sort();
      const SecretString = JSON.stringify(Object.fromEntries(entries));
      if (current !== undefined) {
        await this.client.send(new PutSecretValueCommand({ SecretId: secretName, SecretString }));
        return names;
      }
      if (entries.size === 0) return names; // only deletions of a secret that does not exist
      try {
        await this.client.send(new CreateSecretCommand({
          Name: secretName,
          SecretString,
          Description: 'trellis: secret variables of one environment (JSON object of NAME: value), set from the dashboard',
        }));
        return names;
      } catch (error) {
        // Created meanwhile by someone else: merge into theirs.
        if (!(error instanceof ResourceExistsException) || attempt > 0) throw error;
      }
    }
  }

  /** The secret's object; undefined when it does not exist. */
  private async read(secretName: string): Promise<Record<string, unknown> | undefined> {
    let text: string | undefined;
    try {
      text = (await this.client.send(new GetSecretValueCommand({ SecretId: secretName }))).SecretString;
    } catch (error) {
      if (error instanceof ResourceNotFoundException) return undefined;
      throw error;
    }
    const invalid = new Error(`secret ${secretName} is not a JSON object of NAME: "value" pairs; fix or delete it in Secrets Manager`);
    if (text === undefined) throw invalid;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw invalid; // the parser's message could quote the secret
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid;
    return value as Record<string, unknown>;
  }
}
