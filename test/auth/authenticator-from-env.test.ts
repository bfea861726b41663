import { LOG_SETTINGS } from '../../src/contract/log-settings';
import { authenticatorFromEnvironment, refuseEveryone } from '../../src/runtime/auth/authenticator-from-env';
import { JwtAuthenticator } from '../../src/runtime/auth/jwt-authenticator';
import { UnauthorizedError } from '../../src/runtime/core/errors';
import { JwksServer, TestIssuer, createTestIssuer, serveJwks } from '../support/jwt';

// The authenticator built from the environment uses the system clock, so tokens are signed with it too.
let server: JwksServer;
let idp: TestIssuer;

beforeAll(async () => {
  server = await serveJwks({ keys: [] });
  // The issuer is the test server, so the default JWKS URL <issuer>/.well-known/jwks.json reaches it.
  idp = createTestIssuer({ issuer: server.origin, audience: 'dashboard-client' });
  server.setKeys(idp.jwks);
});

afterAll(async () => {
  await server.close();
});

async function expectRefused(promise: Promise<unknown>, reason: RegExp): Promise<void> {
  await expect(promise).rejects.toBeInstanceOf(UnauthorizedError);
  await expect(promise).rejects.toThrow(reason);
}

describe('authenticatorFromEnvironment', () => {
  test.each<[string, NodeJS.ProcessEnv]>([
    ['an empty environment', {}],
    ['an audience but no issuer', { [LOG_SETTINGS.authAudience]: 'dashboard-client' }],
    ['an empty issuer', { [LOG_SETTINGS.authIssuer]: '', [LOG_SETTINGS.authAudience]: 'dashboard-client' }],
    ['an issuer but no audience', { [LOG_SETTINGS.authIssuer]: 'https://idp.example.com' }],
    ['an issuer and only blank audiences', { [LOG_SETTINGS.authIssuer]: 'https://idp.example.com', [LOG_SETTINGS.authAudience]: ' , ,' }],
  ])('with %s every token is refused', async (_label, env) => {
    const auth = authenticatorFromEnvironment(env);
    expect(auth).toBe(refuseEveryone);
    const before = server.requests;
    await expectRefused(auth.authenticate(idp.sign()), /no identity provider/);
    await expectRefused(auth.authenticate(undefined), /no identity provider/);
    expect(server.requests).toBe(before);
  });

  test('reads process.env by default', () => {
    const saved = { issuer: process.env[LOG_SETTINGS.authIssuer], audience: process.env[LOG_SETTINGS.authAudience] };
    try {
      delete process.env[LOG_SETTINGS.authIssuer];
      process.env[LOG_SETTINGS.authAudience] = 'dashboard-client';
      expect(authenticatorFromEnvironment()).toBe(refuseEveryone);
      process.env[LOG_SETTINGS.authIssuer] = idp.issuer;
      expect(authenticatorFromEnvironment()).toBeInstanceOf(JwtAuthenticator);
    } finally {
      for (const [name, value] of [[LOG_SETTINGS.authIssuer, saved.issuer], [LOG_SETTINGS.authAudience, saved.audience]] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });

  describe('with an issuer and audiences', () => {
    const env = (): NodeJS.ProcessEnv => ({
      [LOG_SETTINGS.authIssuer]: idp.issuer,
      [LOG_SETTINGS.authAudience]: ' cli-client , dashboard-client ',
    });

    test('is a JwtAuthenticator that fetches <issuer>/.well-known/jwks.json and accepts a valid token', async () => {
      const auth = authenticatorFromEnvironment(env());
      expect(auth).toBeInstanceOf(JwtAuthenticator);
      const before = server.requests;
      await expect(auth.authenticate(idp.sign({ 'sub': 'u-42', 'email': 'ada@example.com', 'cognito:groups': ['deployer:shop'] }))).resolves.toEqual({
        subject: 'u-42', name: 'ada@example.com', grants: [{ role: 'deployer', application: 'shop' }],
      });
      expect(server.requests).toBe(before + 1);
    });

    test('accepts each comma-separated audience, trimmed', async () => {
      const auth = authenticatorFromEnvironment(env());
      await expect(auth.authenticate(idp.sign({ aud: 'cli-client' }))).resolves.toMatchObject({ subject: 'user-1' });
      await expect(auth.authenticate(idp.sign({ aud: undefined, client_id: 'dashboard-client' }))).resolves.toMatchObject({ subject: 'user-1' });
    });

    test.each<[string, (issuer: TestIssuer) => string | undefined, RegExp]>([
      ['no token', () => undefined, /required/],
      ['another audience', issuer => issuer.sign({ aud: 'someone-else' }), /audience/],
      ['another issuer', issuer => issuer.sign({ iss: 'https://idp.example.com' }), /issuer/],
      ['an expired token', issuer => issuer.sign({ exp: Math.floor(Date.now() / 1000) - 120 }), /expired/],
      ['an unknown key', issuer => issuer.sign({}, { kid: 'elsewhere' }), /unknown key/],
    ])('refuses %s', async (_label, token, reason) => {
      await expectRefused(authenticatorFromEnvironment(env()).authenticate(token(idp)), reason);
    });

    test('uses AUTH_JWKS_URL when it is set', async () => {
      const other = createTestIssuer({ issuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_FromEnv', audience: 'dashboard-client' });
      const keys = await serveJwks(other.jwks, '/keys/pool.json');
      try {
        const auth = authenticatorFromEnvironment({
          [LOG_SETTINGS.authIssuer]: other.issuer,
          [LOG_SETTINGS.authAudience]: 'dashboard-client',
          [LOG_SETTINGS.authJwksUrl]: keys.url,
        });
        await expect(auth.authenticate(other.sign({ sub: 'from-env' }))).resolves.toMatchObject({ subject: 'from-env' });
        expect(keys.requests).toBe(1);
      } finally {
        await keys.close();
      }
    });

    test('an empty AUTH_JWKS_URL falls back to the default URL', async () => {
      const auth = authenticatorFromEnvironment({ ...env(), [LOG_SETTINGS.authJwksUrl]: '' });
      const before = server.requests;
      await expect(auth.authenticate(idp.sign())).resolves.toMatchObject({ subject: 'user-1' });
      expect(server.requests).toBe(before + 1);
    });
  });
});
