import { randomBytes } from 'crypto';
import { mkdir, open, readFile, rename, rm } from 'fs/promises';
import { dirname } from 'path';
import { NotFoundError, ValidationError } from '../runtime/core/errors';
import { SecretCreator, SecretSource, SecretStore } from '../runtime/core/ports';

/** Owner read/write only: the file holds every secret of the local installation. */
const FILE_MODE = 0o600;

/**
 * Local mode's Secrets Manager: `{ "<secret name>": "<value>" }` in one JSON file of the data
 * directory, mode 0600, replaced atomically (temp file + rename) on every change. Names are the
 * same as in AWS (core `secretNames`); an environment's secret is a JSON object of variables.
 * The file is read on every call, so an edit by hand is seen at once. Values are never logged.
 */
export class FileSecretSource implements SecretSource, SecretStore, SecretCreator {
  /** Changes of this process one after another; the rename makes each one whole for readers. */
  private writes: Promise<unknown> = Promise.resolve();

  constructor(readonly file: string) {}

  async get(name: string): Promise<string> {
    const secrets = await this.read();
    if (!Object.prototype.hasOwnProperty.call(secrets, name)) throw new NotFoundError(`secret ${name} does not exist`);
    return secrets[name];
  }

  /** The variable names in an environment's secret (a JSON object); none when it does not exist. */
  async names(secretName: string): Promise<string[]> {
    const secrets = await this.read();
    if (!Object.prototype.hasOwnProperty.call(secrets, secretName)) return [];
    return Object.keys(variablesOf(secretName, secrets[secretName])).sort();
  }

  /**
   * Set (string) or delete (null) variables of an environment's secret; the secret is created
   * when missing and deleted when its last variable goes. Returns the names afterwards.
   */
  async update(secretName: string, changes: Readonly<Record<string, string | null>>): Promise<string[]> {
    let names: string[] = [];
    await this.change(secrets => {
      const current = Object.prototype.hasOwnProperty.call(secrets, secretName) ? variablesOf(secretName, secrets[secretName]) : {};
      for (const [name, value] of Object.entries(changes)) {
        if (value === null) delete current[name];
        else current[name] = value;
      }
      if (Object.keys(current).length === 0) delete secrets[secretName];
      else secrets[secretName] = JSON.stringify(current);
      names = Object.keys(current).sort();
    });
    return names;
  }

  /** Set a whole secret (the GitHub token, say). */
  async put(name: string, value: string): Promise<void> {
    await this.change(secrets => { secrets[name] = value; });
  }

  /** Set a whole secret only when none has the name (changes of this process go one after another). */
  async create(name: string, value: string): Promise<boolean> {
    let created = false;
    await this.change(secrets => {
      if (Object.prototype.hasOwnProperty.call(secrets, name)) return;
      secrets[name] = value;
      created = true;
    });
    return created;
  }

  /** Delete a whole secret; deleting one that does not exist changes nothing. */
  async delete(name: string): Promise<void> {
    await this.change(secrets => { delete secrets[name]; });
  }

  private change(edit: (secrets: Record<string, string>) => void): Promise<void> {
    const next = this.writes.then(async () => {
      const secrets = await this.read();
      edit(secrets);
      await this.write(secrets);
    });
    this.writes = next.catch(() => undefined);
    return next;
  }

  private async read(): Promise<Record<string, string>> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw error;
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new Error(`${this.file} is not JSON; it must be an object of "secret name": "value"`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value) || Object.values(value).some(entry => typeof entry !== 'string')) {
      throw new Error(`${this.file} must be a JSON object of "secret name": "value" with string values`);
    }
    return { ...value as Record<string, string> };
  }

  private async write(secrets: Record<string, string>): Promise<void> {
    await mkdir(dirname(this.file), { recursive: true, mode: 0o700 });
    const temp = `${this.file}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      const handle = await open(temp, 'wx', FILE_MODE);
      try {
        await handle.chmod(FILE_MODE); // whatever the umask
        await handle.writeFile(`${JSON.stringify(secrets, null, 2)}\n`, 'utf8');
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp, this.file);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
  }
}

/** The variables of an environment's secret; anything but a JSON object of strings is refused. */
function variablesOf(secretName: string, raw: string): Record<string, string> {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    value = undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value) || Object.values(value).some(entry => typeof entry !== 'string')) {
    throw new ValidationError([{ path: secretName, message: 'is not a JSON object of NAME: "value" pairs' }]);
  }
  return { ...value as Record<string, string> };
}
