import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { loadSecrets } from '../../src/builder/secrets';
import { secretNames } from '../../src/contract/secret-names';
import { FileSecretSource } from '../../src/local/file-secret-source';
import { NotFoundError, SecretSource, SecretStore, ValidationError } from '../../src/runtime/core';

describe('FileSecretSource', () => {
  let dir: string;
  let file: string;
  let secrets: FileSecretSource;
  const envSecret = secretNames.environment('local', 'shop', 'dev');

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'trellis-secrets-'));
    file = join(dir, 'data', 'secrets.json');
    secrets = new FileSecretSource(file);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('is core\'s SecretSource and SecretStore', () => {
    const source: SecretSource = secrets;
    const store: SecretStore = secrets;
    expect(source).toBe(store);
  });

  test('round trip: variables set, read back by name and by the builder, deleted', async () => {
    expect(await secrets.names(envSecret)).toEqual([]);
    expect(await secrets.update(envSecret, { STRIPE_KEY: 'sk_test_123456', DB_PASSWORD: 'hunter22' })).toEqual(['DB_PASSWORD', 'STRIPE_KEY']);
    expect(await secrets.update(envSecret, { DB_PASSWORD: null, API_TOKEN: 'token-value' })).toEqual(['API_TOKEN', 'STRIPE_KEY']);
    expect(await secrets.names(envSecret)).toEqual(['API_TOKEN', 'STRIPE_KEY']);
    await secrets.put(secretNames.githubToken('local'), 'ghp_localtoken');

    // The builder reads them exactly as it reads Secrets Manager.
    expect(await loadSecrets(secrets, 'local', 'shop', 'dev')).toEqual({
      githubToken: 'ghp_localtoken',
      variables: { STRIPE_KEY: 'sk_test_123456', API_TOKEN: 'token-value' },
    });

    expect(await secrets.update(envSecret, { STRIPE_KEY: null, API_TOKEN: null })).toEqual([]);
    await expect(secrets.get(envSecret)).rejects.toThrow(NotFoundError);
    await secrets.delete(secretNames.githubToken('local'));
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({});
  });

  test('the file is 0600 and replaced whole: no temp file is left behind', async () => {
    await secrets.update(envSecret, { A_SECRET: 'value-1' });
    expect(permissions(file)).toBe('600');
    // A file made by hand with loose permissions is tightened by the next change.
    writeFileSync(file, JSON.stringify({ other: 'x' }), { mode: 0o644 });
    await secrets.update(envSecret, { A_SECRET: 'value-2' });
    expect(permissions(file)).toBe('600');
    expect(readdirSync(join(dir, 'data'))).toEqual(['secrets.json']);
    expect(await secrets.get('other')).toBe('x');
  });

  test('concurrent changes of one process all land', async () => {
    await Promise.all(Array.from({ length: 20 }, (_, i) => secrets.update(envSecret, { [`VAR_${i}`]: `value-${i}` })));
    expect(await secrets.names(envSecret)).toHaveLength(20);
  });

  test('unknown secrets are NotFoundError; a secret that is not an object of strings is refused, not overwritten', async () => {
    await expect(secrets.get('trellis/local/nothing')).rejects.toThrow(NotFoundError);
    await secrets.put(envSecret, 'not json');
    await expect(secrets.names(envSecret)).rejects.toThrow(ValidationError);
    await expect(secrets.update(envSecret, { A: 'b' })).rejects.toThrow(ValidationError);
    expect(await secrets.get(envSecret)).toBe('not json');
  });

  test('a damaged file is an error that names it, never silently empty', async () => {
    mkdirSync(join(dir, 'data'));
    writeFileSync(file, '{ broken');
    await expect(secrets.get('x')).rejects.toThrow(file);
    await expect(secrets.update(envSecret, { A: 'b' })).rejects.toThrow(file);
    expect(readFileSync(file, 'utf8')).toBe('{ broken');
  });
});

/** The permission bits as octal digits ('600'). */
function permissions(path: string): string {
  return statSync(path).mode.toString(8).slice(-3);
}
