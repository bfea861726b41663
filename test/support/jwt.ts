import { KeyObject, generateKeyPairSync, sign as signWith } from 'crypto';
import { Server, createServer } from 'http';
import { AddressInfo } from 'net';
import { Clock, systemClock } from '../../src/runtime/core/ports';

/**
 * A test identity provider: an RSA key pair, its public JWK, and RS256 tokens signed with it
 * (node crypto only). Serve `jwks` with `serveJwks` to let a JwtAuthenticator fetch it.
 */

export interface TestJwk {
  readonly kty: string;
  readonly n: string;
  readonly e: string;
  readonly kid: string;
  readonly alg: 'RS256';
  readonly use: 'sig';
}

export interface JwkSet {
  readonly keys: readonly TestJwk[];
}

export interface SignOptions {
  /** Header `kid`; default the issuer's. `undefined` leaves it out. */
  readonly kid?: string | undefined;
  /** Header fields merged over `{ alg: 'RS256', typ: 'JWT', kid }` (the signature is RS256 whatever `alg` says). */
  readonly header?: Record<string, unknown>;
}

export interface TestIssuer {
  /** The `iss` of its tokens. */
  readonly issuer: string;
  /** The default `aud`. */
  readonly audience: string;
  readonly kid: string;
  readonly publicKey: KeyObject;
  readonly privateKey: KeyObject;
  /** The public key as a JWK, with kid, alg and use. */
  readonly jwk: TestJwk;
  /** `{ keys: [jwk] }`, as a JWKS endpoint answers. */
  readonly jwks: JwkSet;
  /**
   * A signed token. Claims are merged over the defaults
   * `{ iss, aud, sub: 'user-1', iat: now, exp: now + 3600 }`; a claim set to `undefined` is left out.
   */
  sign(claims?: Record<string, unknown>, options?: SignOptions): string;
}

export interface TestIssuerOptions {
  readonly issuer?: string;
  readonly audience?: string;
  readonly kid?: string;
  /** Where `iat` and the default `exp` come from (pass the authenticator's clock). */
  readonly clock?: Clock;
}

export const TEST_ISSUER = 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_TrellisTest';
export const TEST_AUDIENCE = '3n4b5urk1ft4fl3mg5e7test';

let keyCount = 0;

export function createTestIssuer(options: TestIssuerOptions = {}): TestIssuer {
  const issuer = options.issuer ?? TEST_ISSUER;
  const audience = options.audience ?? TEST_AUDIENCE;
  const kid = options.kid ?? `test-key-${++keyCount}`;
  const clock = options.clock ?? systemClock;
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const exported = publicKey.export({ format: 'jwk' });
  const jwk: TestJwk = { kty: exported.kty!, n: exported.n!, e: exported.e!, kid, alg: 'RS256', use: 'sig' };

  return {
    issuer,
    audience,
    kid,
    publicKey,
    privateKey,
    jwk,
    jwks: { keys: [jwk] },
    sign(claims = {}, signOptions = {}) {
      const now = Math.floor(clock.now().getTime() / 1000);
      const header = { alg: 'RS256', typ: 'JWT', kid: 'kid' in signOptions ? signOptions.kid : kid, ...signOptions.header };
      const payload = { iss: issuer, aud: audience, sub: 'user-1', iat: now, exp: now + 3600, ...claims };
      return signJwt(header, payload, privateKey);
    },
  };
}

/** base64url of the JSON of `value`: one part of a JWT. */
export function encodePart(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** `header.payload.signature` with an RS256 signature by `privateKey`. */
export function signJwt(header: Record<string, unknown>, payload: Record<string, unknown>, privateKey: KeyObject): string {
  const signingInput = `${encodePart(header)}.${encodePart(payload)}`;
  return `${signingInput}.${signWith('RSA-SHA256', Buffer.from(signingInput), privateKey).toString('base64url')}`;
}

/** A real HTTP server on 127.0.0.1 answering a JWKS, counting the requests for it. */
export interface JwksServer {
  /** http://127.0.0.1:<port> */
  readonly origin: string;
  /** The URL the key set is served at. */
  readonly url: string;
  /** Requests for the key set so far. */
  readonly requests: number;
  /** What the server answers from now on (key rotation). */
  setKeys(jwks: JwkSet): void;
  /** Answer requests for the key set with this error status from now on; `undefined` serves the keys again. */
  failWith(status: number | undefined): void;
  close(): Promise<void>;
}

export async function serveJwks(jwks: JwkSet, path = '/.well-known/jwks.json'): Promise<JwksServer> {
  let current = jwks;
  let requests = 0;
  let failure: number | undefined;
  const server: Server = createServer((request, response) => {
    if (request.method !== 'GET' || request.url !== path) {
      response.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"not found"}');
      return;
    }
    requests++;
    if (failure !== undefined) {
      response.writeHead(failure, { 'content-type': 'text/plain' }).end('unavailable');
      return;
    }
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(current));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    url: `${origin}${path}`,
    get requests() {
      return requests;
    },
    setKeys(next) {
      current = next;
    },
    failWith(status) {
      failure = status;
    },
    close: () => new Promise<void>((resolve, reject) => {
      server.closeAllConnections();
      server.close(error => (error ? reject(error) : resolve()));
    }),
  };
}
