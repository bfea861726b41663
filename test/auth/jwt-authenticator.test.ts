import { createHmac, sign as signWith } from 'crypto';
import { LocalIdentity } from '../../src/local/local-identity';
import { JwtAuthenticator, JwtSettings } from '../../src/runtime/auth/jwt-authenticator';
import { principalFromClaims } from '../../src/runtime/core/access';
import { UnauthorizedError } from '../../src/runtime/core/errors';
import { Clock } from '../../src/runtime/core/ports';
import { JwksServer, TestIssuer, createTestIssuer, encodePart, serveJwks } from '../support/jwt';

/** A clock the test moves. */
class ManualClock implements Clock {
  private ms = Date.parse('2026-11-23T12:00:00.000Z');

  now(): Date {
    return new Date(this.ms);
  }

  /** Whole seconds since the epoch, as in JWT claims. */
  seconds(): number {
    return Math.floor(this.ms / 1000);
  }

  advance(seconds: number): void {
    this.ms += seconds * 1000;
  }
}

const clock = new ManualClock();
let idp: TestIssuer;
let impostor: TestIssuer;
let server: JwksServer;

beforeAll(async () => {
  idp = createTestIssuer({ clock });
  // Same issuer and kid, another private key: what a forger without the key can do at best.
  impostor = createTestIssuer({ clock, issuer: idp.issuer, audience: idp.audience, kid: idp.kid });
  server = await serveJwks(idp.jwks);
});

afterAll(async () => {
  await server.close();
});

function authenticator(settings: Partial<JwtSettings> = {}, jwksUrl = server.url): JwtAuthenticator {
  return new JwtAuthenticator({ issuer: idp.issuer, audiences: [idp.audience], jwksUrl, ...settings }, undefined, clock);
}

async function expectRefused(auth: JwtAuthenticator, token: string | undefined, reason: RegExp): Promise<void> {
  const outcome = auth.authenticate(token);
  await expect(outcome).rejects.toBeInstanceOf(UnauthorizedError);
  await expect(outcome).rejects.toThrow(reason);
}

describe('JwtAuthenticator accepts', () => {
  test('a Cognito ID token (aud): subject, name from email, grants from cognito:groups', async () => {
    const token = idp.sign({
      'sub': '6f1c2d3e-aaaa-bbbb-cccc-0123456789ab',
      'token_use': 'id',
      'email': 'ada@example.com',
      'cognito:username': 'ada',
      'cognito:groups': ['viewer', 'deployer:shop', 'owner'],
    });
    await expect(authenticator().authenticate(token)).resolves.toEqual({
      subject: '6f1c2d3e-aaaa-bbbb-cccc-0123456789ab',
      name: 'ada@example.com',
      grants: [{ role: 'viewer', application: '*' }, { role: 'deployer', application: 'shop' }],
    });
  });

  test('a Cognito access token (client_id, no aud)', async () => {
    const token = idp.sign({ 'aud': undefined, 'client_id': idp.audience, 'token_use': 'access', 'username': 'ada', 'cognito:groups': ['admin'] });
    expect(JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString())).not.toHaveProperty('aud');
    await expect(authenticator().authenticate(token)).resolves.toEqual({
      subject: 'user-1', name: 'ada', grants: [{ role: 'admin', application: '*' }],
    });
  });

  test.each<[string, Record<string, unknown>, string]>([
    ['name first', { 'name': 'Ada Lovelace', 'email': 'ada@example.com', 'cognito:username': 'ada' }, 'Ada Lovelace'],
    ['then email', { 'email': 'ada@example.com', 'cognito:username': 'ada' }, 'ada@example.com'],
    ['then cognito:username', { 'cognito:username': 'ada' }, 'ada'],
    ['then the subject', {}, 'user-1'],
  ])('the display name: %s', async (_label, claims, name) => {
    await expect(authenticator().authenticate(idp.sign(claims))).resolves.toMatchObject({ subject: 'user-1', name });
  });

  test('no groups: a principal without grants', async () => {
    await expect(authenticator().authenticate(idp.sign())).resolves.toEqual({ subject: 'user-1', name: 'user-1', grants: [] });
  });

  test('an OIDC groups claim, as well as cognito:groups', async () => {
    const principal = await authenticator().authenticate(idp.sign({ 'groups': ['viewer:blog'], 'cognito:groups': 'deployer:shop' }));
    expect(principal.grants).toEqual(expect.arrayContaining([
      { role: 'viewer', application: 'blog' },
      { role: 'deployer', application: 'shop' },
    ]));
    expect(principal.grants).toHaveLength(2);
  });

  test('an aud array that contains an accepted audience', async () => {
    await expect(authenticator().authenticate(idp.sign({ aud: ['someone-else', idp.audience] }))).resolves.toMatchObject({ subject: 'user-1' });
  });

  test('any of several accepted audiences', async () => {
    const auth = authenticator({ audiences: ['dashboard-client', 'cli-client'] });
    await expect(auth.authenticate(idp.sign({ aud: 'cli-client' }))).resolves.toMatchObject({ subject: 'user-1' });
    await expect(auth.authenticate(idp.sign({ aud: undefined, client_id: 'dashboard-client' }))).resolves.toMatchObject({ subject: 'user-1' });
  });

  test('a token expired less than the 30 s leeway ago', async () => {
    await expect(authenticator().authenticate(idp.sign({ exp: clock.seconds() - 25 }))).resolves.toMatchObject({ subject: 'user-1' });
  });

  test('a token whose nbf is less than the 30 s leeway ahead', async () => {
    await expect(authenticator().authenticate(idp.sign({ nbf: clock.seconds() + 25 }))).resolves.toMatchObject({ subject: 'user-1' });
  });
});

describe('JwtAuthenticator refuses', () => {
  test.each<[string, string | undefined, RegExp]>([
    ['no token', undefined, /required/],
    ['an empty token', '', /required/],
    ['two parts', 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1In0', /not a JWT/],
    ['four parts', 'a.b.c.d', /not a JWT/],
    ['a header that is not JSON', 'bm90IGpzb24.eyJzdWIiOiJ1In0.c2ln', /malformed/],
    ['a header that is a JSON string', `${encodePart('RS256')}.${encodePart({ sub: 'u' })}.c2ln`, /malformed/],
    ['a header that is a JSON array', `${encodePart(['RS256'])}.${encodePart({ sub: 'u' })}.c2ln`, /malformed/],
  ])('%s', async (_label, token, reason) => {
    await expectRefused(authenticator(), token, reason);
  });

  test('alg none, unsigned', async () => {
    const token = `${encodePart({ alg: 'none', typ: 'JWT', kid: idp.kid })}.${encodePart({ iss: idp.issuer, aud: idp.audience, sub: 'root', exp: clock.seconds() + 3600 })}.`;
    await expectRefused(authenticator(), token, /RS256/);
  });

  test('HS256 signed with the public key as the secret (algorithm confusion)', async () => {
    const header = encodePart({ alg: 'HS256', typ: 'JWT', kid: idp.kid });
    const payload = encodePart({ 'iss': idp.issuer, 'aud': idp.audience, 'sub': 'root', 'exp': clock.seconds() + 3600, 'cognito:groups': ['admin'] });
    const secret = idp.publicKey.export({ format: 'pem', type: 'spki' });
    const signature = createHmac('sha256', secret).update(`${header}.${payload}`).digest('base64url');
    await expectRefused(authenticator(), `${header}.${payload}.${signature}`, /RS256/);
  });

  test('RS512 in the header (signed with RS256 all the same)', async () => {
    await expectRefused(authenticator(), idp.sign({}, { header: { alg: 'RS512' } }), /RS256/);
  });

  test('a tampered payload', async () => {
    const [header, , signature] = idp.sign({ 'cognito:groups': ['viewer'] }).split('.');
    const forged = encodePart({ 'iss': idp.issuer, 'aud': idp.audience, 'sub': 'user-1', 'exp': clock.seconds() + 3600, 'cognito:groups': ['admin'] });
    await expectRefused(authenticator(), `${header}.${forged}.${signature}`, /signature/);
  });

  test('a tampered signature', async () => {
    const [header, payload, signature] = idp.sign().split('.');
    const flipped = Buffer.from(signature, 'base64url');
    flipped[10] = 255 - flipped[10];
    await expectRefused(authenticator(), `${header}.${payload}.${flipped.toString('base64url')}`, /signature/);
  });

  test('no signature', async () => {
    const [header, payload] = idp.sign().split('.');
    await expectRefused(authenticator(), `${header}.${payload}.`, /signature/);
  });

  test('a signature by another key under the same kid', async () => {
    await expectRefused(authenticator(), impostor.sign({ 'cognito:groups': ['admin'] }), /signature/);
  });

  test('an unknown kid', async () => {
    await expectRefused(authenticator(), idp.sign({}, { kid: 'not-in-the-jwks' }), /unknown key/);
  });

  test('no kid', async () => {
    await expectRefused(authenticator(), idp.sign({}, { kid: undefined }), /unknown key/);
  });

  test('a payload that is not JSON, correctly signed', async () => {
    const input = `${encodePart({ alg: 'RS256', kid: idp.kid })}.${Buffer.from('sub=root').toString('base64url')}`;
    const token = `${input}.${signWith('RSA-SHA256', Buffer.from(input), idp.privateKey).toString('base64url')}`;
    await expectRefused(authenticator(), token, /malformed/);
  });

  test('another issuer', async () => {
    await expectRefused(authenticator(), idp.sign({ iss: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Other' }), /issuer/);
  });

  test('no issuer', async () => {
    await expectRefused(authenticator(), idp.sign({ iss: undefined }), /issuer/);
  });

  test('a token expired beyond the 30 s leeway', async () => {
    await expectRefused(authenticator(), idp.sign({ exp: clock.seconds() - 31 }), /expired/);
  });

  test('a token that expires as the clock moves on', async () => {
    const auth = authenticator();
    const token = idp.sign({ exp: clock.seconds() + 60 });
    await expect(auth.authenticate(token)).resolves.toMatchObject({ subject: 'user-1' });
    clock.advance(91);
    await expectRefused(auth, token, /expired/);
  });

  test.each<[string, unknown]>([
    ['no exp', undefined],
    ['an exp as a string', '9999999999'],
  ])('%s', async (_label, exp) => {
    await expectRefused(authenticator(), idp.sign({ exp }), /expired/);
  });

  test('nbf beyond the leeway in the future', async () => {
    await expectRefused(authenticator(), idp.sign({ nbf: clock.seconds() + 120 }), /not valid yet/);
  });

  test.each<[string, Record<string, unknown>]>([
    ['another aud', { aud: 'another-client' }],
    ['an aud array without ours', { aud: ['a', 'b'] }],
    ['another client_id and no aud', { aud: undefined, client_id: 'another-client' }],
    ['neither aud nor client_id', { aud: undefined }],
  ])('the wrong audience: %s', async (_label, claims) => {
    await expectRefused(authenticator(), idp.sign(claims), /audience/);
  });

  test.each<[string, unknown]>([
    ['no sub', undefined],
    ['an empty sub', ''],
    ['a numeric sub', 42],
  ])('%s', async (_label, sub) => {
    await expectRefused(authenticator(), idp.sign({ sub }), /subject/);
  });

  test('a key set key that is not RS256 is not used', async () => {
    const rs512 = createTestIssuer({ clock, issuer: idp.issuer, audience: idp.audience });
    const keys = await serveJwks({ keys: [{ ...rs512.jwk, alg: 'RS512' as 'RS256' }] });
    try {
      await expectRefused(authenticator({}, keys.url), rs512.sign(), /unknown key/);
    } finally {
      await keys.close();
    }
  });
});

describe('JwtAuthenticator key set fetching', () => {
  let rotating: JwksServer;
  let next: TestIssuer;

  beforeAll(async () => {
    next = createTestIssuer({ clock, issuer: idp.issuer, audience: idp.audience });
  });

  beforeEach(async () => {
    rotating = await serveJwks(idp.jwks);
  });

  afterEach(async () => {
    await rotating.close();
  });

  test('fetches the key set once for many tokens', async () => {
    const auth = authenticator({}, rotating.url);
    for (let i = 0; i < 25; i++) {
      await expect(auth.authenticate(idp.sign({ sub: `user-${i}` }))).resolves.toMatchObject({ subject: `user-${i}` });
      clock.advance(1);
    }
    expect(rotating.requests).toBe(1);
  });

  test('accepts a token with a new kid once the key set has it (refetch on an unknown kid)', async () => {
    const auth = authenticator({}, rotating.url);
    await expect(auth.authenticate(idp.sign())).resolves.toMatchObject({ subject: 'user-1' });
    expect(rotating.requests).toBe(1);

    rotating.setKeys({ keys: [...idp.jwks.keys, ...next.jwks.keys] });
    clock.advance(31);
    await expect(auth.authenticate(next.sign({ sub: 'rotated' }))).resolves.toMatchObject({ subject: 'rotated' });
    expect(rotating.requests).toBe(2);
    // Both keys are known now: no further fetches.
    await expect(auth.authenticate(idp.sign())).resolves.toMatchObject({ subject: 'user-1' });
    await expect(auth.authenticate(next.sign())).resolves.toMatchObject({ subject: 'user-1' });
    expect(rotating.requests).toBe(2);
  });

  test('refetches for an unknown kid at most every 30 s', async () => {
    const auth = authenticator({}, rotating.url);
    await auth.authenticate(idp.sign());
    rotating.setKeys({ keys: [...idp.jwks.keys, ...next.jwks.keys] });

    // Within 30 s of the last fetch, unknown kids (here: garbage ones) do not reach the issuer.
    for (let i = 0; i < 10; i++) {
      await expectRefused(auth, idp.sign({}, { kid: `random-${i}` }), /unknown key/);
      clock.advance(2);
    }
    await expectRefused(auth, next.sign(), /unknown key/);
    expect(rotating.requests).toBe(1);

    clock.advance(11); // 31 s since the fetch
    await expect(auth.authenticate(next.sign())).resolves.toMatchObject({ subject: 'user-1' });
    expect(rotating.requests).toBe(2);
    await expectRefused(auth, idp.sign({}, { kid: 'random-again' }), /unknown key/);
    expect(rotating.requests).toBe(2);
  });

  test('refetches the key set after 10 minutes, dropping a retired key', async () => {
    const auth = authenticator({}, rotating.url);
    await auth.authenticate(idp.sign());
    rotating.setKeys(next.jwks);
    clock.advance(9 * 60);
    await expect(auth.authenticate(idp.sign())).resolves.toMatchObject({ subject: 'user-1' });
    expect(rotating.requests).toBe(1);
    clock.advance(61);
    await expectRefused(auth, idp.sign(), /unknown key/);
    expect(rotating.requests).toBe(2);
    await expect(auth.authenticate(next.sign())).resolves.toMatchObject({ subject: 'user-1' });
  });

  test('uses <issuer>/.well-known/jwks.json when no jwksUrl is given', async () => {
    const local = createTestIssuer({ clock, issuer: `${rotating.origin}/`, audience: idp.audience });
    rotating.setKeys(local.jwks);
    const auth = new JwtAuthenticator({ issuer: local.issuer, audiences: [local.audience] }, undefined, clock);
    await expect(auth.authenticate(local.sign({ sub: 'default-url' }))).resolves.toMatchObject({ subject: 'default-url' });
    expect(rotating.requests).toBe(1);
  });

  test('a key set that cannot be fetched lets no token in, and is fetched again on the next token', async () => {
    const auth = authenticator({}, rotating.url);
    rotating.failWith(503);
    const outcome = auth.authenticate(idp.sign());
    await expect(outcome).rejects.toThrow();
    expect(rotating.requests).toBe(1);
    rotating.failWith(undefined);
    await expect(auth.authenticate(idp.sign())).resolves.toMatchObject({ subject: 'user-1' });
    expect(rotating.requests).toBe(2);
  });

  test('a path other than the key set is not found', async () => {
    await expect(authenticator({}, `${rotating.origin}/missing`).authenticate(idp.sign())).rejects.toThrow();
    expect(rotating.requests).toBe(0);
  });

  test('concurrent first use fetches the key set once', async () => {
    const auth = authenticator({}, rotating.url);
    const principals = await Promise.all(Array.from({ length: 10 }, (_, i) => auth.authenticate(idp.sign({ sub: `user-${i}` }))));
    expect(principals.map(principal => principal.subject)).toEqual(Array.from({ length: 10 }, (_, i) => `user-${i}`));
    expect(rotating.requests).toBe(1);
  });
});

/** The WebSocket path and local mode turn verified claims into a principal with the control API's function. */
describe('one principal from claims on every path', () => {
  test('the WebSocket authenticator refuses a group named "release admin" and "admin:*", and logs both', async () => {
    const logged: Array<Record<string, unknown>> = [];
    const settings = { issuer: idp.issuer, audiences: [idp.audience], jwksUrl: server.url };
    const auth = new JwtAuthenticator(settings, undefined, clock, entry => logged.push(entry));
    const claims = { 'sub': 'user-9', 'cognito:groups': ['release admin', 'admin:*', 'viewer:shop'] };
    const principal = await auth.authenticate(idp.sign(claims));
    expect(principal).toEqual(principalFromClaims({ ...claims, iss: idp.issuer }));
    expect(principal.grants).toEqual([{ role: 'viewer', application: 'shop' }]);
    expect(logged.map(entry => [entry.message, entry.group])).toEqual([['group refused', 'release admin'], ['group refused', 'admin:*']]);
  });

  test("local mode's tokens (LocalIdentity, as the local server and its WebSocket use them) give the same principal", async () => {
    const identity = new LocalIdentity([]);
    const user = { name: 'ada', password: 'pw', groups: ['release admin', 'admin:*', 'deployer:shop'] };
    const token = identity.token(user);
    const principal = await identity.authenticator.authenticate(token);
    const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')) as Record<string, unknown>;
    expect(principal).toEqual(principalFromClaims(claims));
    expect(principal).toEqual({ subject: 'local:ada', name: 'ada', grants: [{ role: 'deployer', application: 'shop' }] });
  });
});
