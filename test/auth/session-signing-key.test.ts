import { generateKeyPairSync } from 'crypto';
import { mkdtempSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { CreateSecretCommand, GetSecretValueCommand, ResourceExistsException, ResourceNotFoundException, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { FileSecretSource } from '../../src/local/file-secret-source';
import { SessionSigningKey } from '../../src/runtime/auth/session-signing-key';
import { SecretsManagerSource } from '../../src/runtime/aws/secrets-manager-source';
import { SecretsManagerStore } from '../../src/runtime/aws/secrets-manager-store';

const NAME = 'trellis/acme/session-signing-key';

/** Secrets Manager as the key needs it: GetSecretValue and CreateSecret (which refuses an existing name). */
class OneAccountSecrets {
  readonly values = new Map<string, string>();
  readonly created: string[] = [];
  refusedCreates = 0;

  async send(command: unknown): Promise<unknown> {
    if (command instanceof GetSecretValueCommand) {
      const value = this.values.get(command.input.SecretId!);
      if (value === undefined) throw new ResourceNotFoundException({ message: 'not found', $metadata: {} });
      return { SecretString: value };
    }
    if (command instanceof CreateSecretCommand) {
      if (this.values.has(command.input.Name!)) {
        this.refusedCreates++;
        throw new ResourceExistsException({ message: 'exists', $metadata: {} });
      }
      this.values.set(command.input.Name!, command.input.SecretString!);
      this.created.push(command.input.Name!);
      return {};
    }
    throw new Error(`unexpected command ${String(command)}`);
  }
}

/** The key of one Lambda: its own cache-holding adapters over the account's secrets; its reads wait at `gate`. */
function lambdaKey(account: OneAccountSecrets, gate?: Promise<void>, arrived?: () => void) {
  const client = account as unknown as SecretsManagerClient;
  const source = new SecretsManagerSource(client);
  const store = new SecretsManagerStore(client);
  const secrets = {
    get: async (name: string) => {
      arrived?.();
      await gate;
      return source.get(name);
    },
    create: (name: string, value: string) => store.create(name, value),
  };
  return new SessionSigningKey(secrets, NAME);
}

describe('SessionSigningKey', () => {
  test('two first sign-ins at the same moment in two Lambdas end with one key: the loser reads the winner\'s', async () => {
    const account = new OneAccountSecrets();
    // Both read (and find nothing) before either creates.
    let waiting = 0;
    let open: () => void = () => undefined;
    const gate = new Promise<void>(resolve => { open = resolve; });
    const arrived = () => {
      if (++waiting === 2) open();
    };
    const [first, second] = await Promise.all([lambdaKey(account, gate, arrived).get(), lambdaKey(account, gate, arrived).get()]);
    expect(first.kid).toBe(second.kid);
    expect(account.created).toEqual([NAME]);
    expect(account.refusedCreates).toBe(1);
    // Later readers get the same key from the secret.
    expect((await lambdaKey(account).get()).kid).toBe(first.kid);
  });

  test('concurrent callers in one process share one read and one creation', async () => {
    const account = new OneAccountSecrets();
    const key = lambdaKey(account);
    const kids = (await Promise.all([key.get(), key.get(), key.jwks()])).map(answer => 'kid' in answer ? answer.kid : answer.keys[0].kid);
    expect(new Set(kids).size).toBe(1);
    expect(account.created).toEqual([NAME]);
    expect(account.refusedCreates).toBe(0);
  });

  test('a key stored by hand is used as it is; its kid is the RFC 7638 thumbprint, the same in every process', async () => {
    const account = new OneAccountSecrets();
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    account.values.set(NAME, privateKey.export({ format: 'pem', type: 'pkcs1' }) as string);
    const [a, b] = [await lambdaKey(account).get(), await lambdaKey(account).get()];
    expect(a.kid).toBe(b.kid);
    expect(a.kid).toMatch(/^[\w-]{43}$/);
    expect(account.created).toEqual([]);
  });

  test('a secret that is not an RSA private key is named, never quoted', async () => {
    const account = new OneAccountSecrets();
    account.values.set(NAME, 'not-a-key-but-secret-text');
    await expect(lambdaKey(account).get()).rejects.toThrow(`the secret ${NAME} does not hold an RSA private key`);
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
    account.values.set(NAME, ec);
    await expect(lambdaKey(account).get()).rejects.toThrow(/does not hold an RSA private key/);
    await expect(lambdaKey(account).get()).rejects.not.toThrow('secret-text');
  });

  test('local mode\'s secrets file creates a secret once: a second create leaves the first value', async () => {
    const secrets = new FileSecretSource(join(mkdtempSync(join(tmpdir(), 'trellis-key-')), 'secrets.json'));
    expect(await Promise.all([secrets.create(NAME, 'first'), secrets.create(NAME, 'second')])).toEqual([true, false]);
    expect(await secrets.get(NAME)).toBe('first');
    const keys = await Promise.all([new SessionSigningKey(secrets, 'other').get(), new SessionSigningKey(secrets, 'other').get()]);
    expect(keys[0].kid).toBe(keys[1].kid);
  });
});
