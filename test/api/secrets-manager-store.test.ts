import {
  CreateSecretCommand, GetSecretValueCommand, PutSecretValueCommand, ResourceExistsException, ResourceNotFoundException, SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { SecretsManagerStore } from '../../src/runtime/aws/secrets-manager-store';

/** Secrets Manager's three calls over a map; `raceCreate` makes the next CreateSecret lose to another writer. */
class FakeSecretsManager {
  readonly values = new Map<string, string>();
  readonly calls: string[] = [];
  raceCreate?: string;

  async send(command: unknown): Promise<unknown> {
    if (command instanceof GetSecretValueCommand) {
      this.calls.push('get');
      const value = this.values.get(command.input.SecretId!);
      if (value === undefined) throw new ResourceNotFoundException({ message: 'Secrets Manager can\'t find the specified secret.', $metadata: {} });
      return { SecretString: value };
    }
    if (command instanceof PutSecretValueCommand) {
      this.calls.push('put');
      if (!this.values.has(command.input.SecretId!)) throw new ResourceNotFoundException({ message: 'not found', $metadata: {} });
      this.values.set(command.input.SecretId!, command.input.SecretString!);
      return {};
    }
    if (command instanceof CreateSecretCommand) {
      this.calls.push('create');
      if (this.raceCreate !== undefined) {
        this.values.set(command.input.Name!, this.raceCreate);
        this.raceCreate = undefined;
      }
      if (this.values.has(command.input.Name!)) throw new ResourceExistsException({ message: 'exists', $metadata: {} });
      this.values.set(command.input.Name!, command.input.SecretString!);
      return {};
    }
    throw new Error(`unexpected command ${String(command)}`);
  }
}

const NAME = 'trellis/acme/web/dev';

describe('SecretsManagerStore', () => {
  let sm: FakeSecretsManager;
  let store: SecretsManagerStore;

  beforeEach(() => {
    sm = new FakeSecretsManager();
    store = new SecretsManagerStore(sm as unknown as SecretsManagerClient);
  });

  test('a missing secret has no names; the first update creates it as a JSON object', async () => {
    expect(await store.names(NAME)).toEqual([]);
    expect(await store.update(NAME, { B: 'two', A: 'one' })).toEqual(['A', 'B']);
    expect(JSON.parse(sm.values.get(NAME)!)).toEqual({ A: 'one', B: 'two' });
    expect(sm.calls).toEqual(['get', 'get', 'create']);
  });

  test('updates merge into the stored object: set, replace, delete; other entries are kept', async () => {
    sm.values.set(NAME, JSON.stringify({ KEEP: 'k', OLD: 'o', MANUAL: 42 }));
    expect(await store.update(NAME, { OLD: null, NEW: 'n', KEEP: 'k2' })).toEqual(['KEEP', 'MANUAL', 'NEW']);
    expect(JSON.parse(sm.values.get(NAME)!)).toEqual({ KEEP: 'k2', MANUAL: 42, NEW: 'n' });
    expect(await store.names(NAME)).toEqual(['KEEP', 'MANUAL', 'NEW']);
  });

  test('deleting from a secret that does not exist creates nothing', async () => {
    expect(await store.update(NAME, { GONE: null })).toEqual([]);
    expect(sm.values.has(NAME)).toBe(false);
  });

  test('created meanwhile by someone else: merged into theirs', async () => {
    sm.raceCreate = JSON.stringify({ THEIRS: 't' });
    expect(await store.update(NAME, { MINE: 'm' })).toEqual(['MINE', 'THEIRS']);
    expect(JSON.parse(sm.values.get(NAME)!)).toEqual({ MINE: 'm', THEIRS: 't' });
  });

  test('a secret that is not a JSON object is refused without quoting it', async () => {
    for (const value of ['hunter2-plain-text', '["a"]', 'null']) {
      sm.values.set(NAME, value);
      const error = await store.names(NAME).then(() => undefined, (e: Error) => e);
      expect(error?.message).toBe(`secret ${NAME} is not a JSON object of NAME: "value" pairs; fix or delete it in Secrets Manager`);
      await expect(store.update(NAME, { A: 'a' })).rejects.toThrow(/is not a JSON object/);
      expect(sm.values.get(NAME)).toBe(value);
    }
  });
});
