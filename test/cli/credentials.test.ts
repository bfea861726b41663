import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'fs';
import { createServer } from 'http';
import { AddressInfo } from 'net';
import { tmpdir } from 'os';
import { join } from 'path';
import { CredentialStore, configDirectory, installationUrl } from '../../src/cli/credentials';
import { CliError, EXIT } from '../../src/cli/exit-codes';
import { openSession } from '../../src/cli/session';

/** The credentials file and the choice of installation and token, without a server. */

let scratch: string;
beforeEach(() => { scratch = mkdtempSync(join(tmpdir(), 'trellis-credentials-')); });
afterEach(() => rmSync(scratch, { recursive: true, force: true }));

const entry = (url: string, token = 'jwt-for-test') => ({ url, apiUrl: url, webSocketUrl: `${url.replace('http', 'ws')}/live`, token });
const mode = (path: string) => (statSync(path).mode % 0o1000).toString(8);

test('the config directory: TRELLIS_CONFIG_DIR, else %APPDATA% on Windows, else XDG_CONFIG_HOME, else ~/.config', () => {
  expect(configDirectory({ TRELLIS_CONFIG_DIR: '/c', XDG_CONFIG_HOME: '/x' }, 'linux', '/home/ada')).toBe('/c');
  expect(configDirectory({ APPDATA: 'C:\\Users\\ada\\AppData\\Roaming', XDG_CONFIG_HOME: '/x' }, 'win32', 'C:\\Users\\ada')).toBe('C:\\Users\\ada\\AppData\\Roaming');
  expect(configDirectory({ XDG_CONFIG_HOME: '/x' }, 'linux', '/home/ada')).toBe('/x');
  expect(configDirectory({}, 'darwin', '/Users/ada')).toBe(join('/Users/ada', '.config'));
});

test('an installation URL: one spelling; https, or http on loopback only', () => {
  expect(installationUrl('https://trellis.example.com/')).toBe('https://trellis.example.com');
  expect(installationUrl('http://127.0.0.1:4100/?x=1#y')).toBe('http://127.0.0.1:4100');
  expect(installationUrl('https://example.com/trellis/')).toBe('https://example.com/trellis');
  for (const bad of ['http://trellis.example.com', 'ftp://127.0.0.1', 'trellis.example.com']) {
    expect(() => installationUrl(bad, 'TRELLIS_URL')).toThrow(expect.objectContaining({ exitCode: EXIT.usage, message: expect.stringMatching(/^TRELLIS_URL must be/) }));
  }
});

test('saved whole with mode 0600 in a 0700 directory, one entry per URL, the last sign-in current; no temp file left', () => {
  const store = new CredentialStore(scratch);
  store.save(entry('https://a.example.com'));
  store.save(entry('https://b.example.com'));
  store.save(entry('https://a.example.com', 'renewed'), false);
  expect(mode(store.file)).toBe('600');
  expect(mode(store.directory)).toBe('700');
  expect(readdirSync(store.directory)).toEqual(['credentials.json']);
  const file = store.read();
  expect(file.current).toBe('https://b.example.com');
  expect(file.installations['https://a.example.com'].token).toBe('renewed');
  expect(store.remove('https://b.example.com')).toBe(true);
  expect(store.read().current).toBeUndefined();
  expect(store.remove('https://b.example.com')).toBe(false);
});

test('a damaged file is named, with what to do', () => {
  const store = new CredentialStore(scratch);
  store.save(entry('https://a.example.com'));
  writeFileSync(store.file, '{ not json');
  expect(() => store.read()).toThrow(`cannot read ${store.file}`);
});

describe('the session', () => {
  const now = () => new Date('2030-01-01T00:00:00Z');

  test('--url > TRELLIS_URL > current; TRELLIS_TOKEN (with --url or TRELLIS_URL) > the stored token', async () => {
    const credentials = new CredentialStore(scratch);
    credentials.save(entry('http://127.0.0.1:1', 'one'));
    credentials.save(entry('http://127.0.0.1:2', 'two'));
    const open = (given: { url?: string }, env: NodeJS.ProcessEnv = {}) => openSession(given, { env, credentials, now });
    expect(await open({})).toMatchObject({ url: 'http://127.0.0.1:2', token: 'two', tokenSource: 'credentials' });
    expect(await open({}, { TRELLIS_URL: 'http://127.0.0.1:1' })).toMatchObject({ url: 'http://127.0.0.1:1', token: 'one' });
    expect(await open({ url: 'http://127.0.0.1:2/' }, { TRELLIS_URL: 'http://127.0.0.1:1' })).toMatchObject({ token: 'two' });
    expect(await open({}, { TRELLIS_URL: 'http://127.0.0.1:2', TRELLIS_TOKEN: 'trellis_x' })).toMatchObject({ url: 'http://127.0.0.1:2', token: 'trellis_x', tokenSource: 'TRELLIS_TOKEN' });
    // The token belongs to one installation: not sent to the current one unless named.
    await expect(open({}, { TRELLIS_TOKEN: 'trellis_x' })).rejects.toMatchObject({ exitCode: EXIT.usage, message: 'TRELLIS_TOKEN is set, but which installation? set TRELLIS_URL or pass --url' });
    await expect(open({ url: 'http://127.0.0.1:3' })).rejects.toThrow(new CliError('not signed in to http://127.0.0.1:3: run `trellis login --url http://127.0.0.1:3` (or set TRELLIS_TOKEN)', EXIT.auth));
  });

  test('an expired stored token without a refresh token: sign in again (exit 3), the file unchanged', async () => {
    const credentials = new CredentialStore(scratch);
    credentials.save({ ...entry('http://127.0.0.1:1', 'old'), expiresAt: '2029-12-31T23:59:50Z' });
    const expired = openSession({}, { env: {}, credentials, now });
    await expect(expired).rejects.toThrow('the sign-in to http://127.0.0.1:1 expired: run `trellis login --url http://127.0.0.1:1`');
    await expect(expired).rejects.toMatchObject({ exitCode: EXIT.auth });
    expect(JSON.parse(readFileSync(credentials.file, 'utf8')).installations['http://127.0.0.1:1'].token).toBe('old');
  });

  test('an expired stored token with a refresh token: renewed with the installation\'s config, saved, the current installation kept', async () => {
    const config = { apiUrl: 'http://127.0.0.1:9', webSocketUrl: 'ws://127.0.0.1:9/live', auth: { kind: 'oidc', tokenUrl: 'http://127.0.0.1:9/token' } };
    const server = createServer((request, response) => {
      response.writeHead(request.url === '/config.json' ? 200 : 404, { 'content-type': 'application/json' }).end(JSON.stringify(config));
    });
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const credentials = new CredentialStore(scratch);
      credentials.save({ ...entry(url, 'old'), refreshToken: 'refresh-1', expiresAt: '2029-12-31T23:00:00Z' });
      credentials.save(entry('https://other.example.com'));
      const seen: unknown[] = [];
      const session = await openSession({ url }, {
        env: {},
        credentials,
        now,
        refreshSession: async (stored, given) => {
          seen.push([stored.refreshToken, given]);
          return { ...stored, token: 'new', expiresAt: '2030-01-01T01:00:00Z' };
        },
      });
      expect(session).toMatchObject({ url, token: 'new' });
      expect(seen).toEqual([['refresh-1', config]]);
      const file = credentials.read();
      expect(file.installations[url]).toMatchObject({ token: 'new', refreshToken: 'refresh-1', expiresAt: '2030-01-01T01:00:00Z' });
      expect(file.current).toBe('https://other.example.com');
    } finally {
      server.close();
    }
  });
});
