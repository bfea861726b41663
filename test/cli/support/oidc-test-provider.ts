import { createHash, randomBytes } from 'crypto';
import { IncomingMessage, Server, createServer } from 'http';
import { AddressInfo } from 'net';

/** What the provider saw, for the tests to check. */
export interface ProviderRecord {
  readonly authorizeQueries: URLSearchParams[];
  readonly tokenForms: URLSearchParams[];
}

export interface OidcTestProvider {
  readonly url: string;
  readonly authorizeUrl: string;
  readonly tokenUrl: string;
  readonly clientId: string;
  readonly seen: ProviderRecord;
  /** Every ID token it issued, in order. */
  readonly issued: string[];
  /** Forgets a refresh token, as a revocation does. */
  revoke(refreshToken: string): void;
  close(): Promise<void>;
}

const CLIENT_ID = 'trellis-cli-test-client';

/**
 * A small OpenID provider over real HTTP, as strict as Cognito about what `trellis login` sends:
 * the authorize endpoint takes only the client, `response_type=code` and an S256 challenge, and
 * redirects at once to the redirect URI with a one-use code (no login page: the test is the
 * browser); the token endpoint checks the code's client, redirect URI and the verifier against
 * the challenge, and honours refresh tokens. ID tokens are JWT-shaped (not signed: the CLI only
 * reads `exp` and who).
 */
export async function startOidcTestProvider(options: { user?: string; lifetimeSeconds?: number } = {}): Promise<OidcTestProvider> {
  const codes = new Map<string, { challenge: string; redirectUri: string; clientId: string }>();
  const refreshTokens = new Set<string>();
  const seen: ProviderRecord = { authorizeQueries: [], tokenForms: [] };
  const issued: string[] = [];
  const lifetime = options.lifetimeSeconds ?? 3600;
  const user = options.user ?? 'ada@example.com';

  const idToken = () => {
    const now = Math.floor(Date.now() / 1000);
    const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const claims = { 'sub': randomBytes(4).toString('hex'), 'email': user, 'aud': CLIENT_ID, 'cognito:groups': ['admin'], 'iat': now, 'exp': now + lifetime };
    const token = `${part({ alg: 'none', typ: 'JWT' })}.${part(claims)}.sig`;
    issued.push(token);
    return token;
  };
  const tokens = (withRefresh: boolean) => {
    const answer: Record<string, unknown> = { id_token: idToken(), access_token: `access-${randomBytes(8).toString('hex')}`, token_type: 'Bearer', expires_in: lifetime };
    if (withRefresh) {
      const refresh = `refresh-${randomBytes(16).toString('hex')}`;
      refreshTokens.add(refresh);
      answer.refresh_token = refresh;
    }
    return answer;
  };

  const server: Server = createServer(async (request, response) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const send = (status: number, body: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    };
    const refuse = (error: string, description: string) => send(400, { error, error_description: description });
    if (request.method === 'GET' && url.pathname === '/oauth2/authorize') {
      const query = url.searchParams;
      seen.authorizeQueries.push(query);
      if (query.get('client_id') !== CLIENT_ID) return refuse('invalid_client', 'unknown client');
      if (query.get('response_type') !== 'code') return refuse('unsupported_response_type', 'code only');
      if (query.get('code_challenge_method') !== 'S256' || !/^[\w-]{43}$/.test(query.get('code_challenge') ?? '')) return refuse('invalid_request', 'S256 PKCE required');
      const code = randomBytes(16).toString('hex');
      codes.set(code, { challenge: query.get('code_challenge')!, redirectUri: query.get('redirect_uri')!, clientId: CLIENT_ID });
      const back = new URL(query.get('redirect_uri')!);
      back.searchParams.set('code', code);
      back.searchParams.set('state', query.get('state') ?? '');
      response.writeHead(302, { location: back.toString() });
      return response.end();
    }
    if (request.method === 'POST' && url.pathname === '/oauth2/token') {
      const form = new URLSearchParams(await bodyOf(request));
      seen.tokenForms.push(form);
      if (form.get('client_id') !== CLIENT_ID) return refuse('invalid_client', 'unknown client');
      if (form.get('grant_type') === 'authorization_code') {
        const kept = codes.get(form.get('code') ?? '');
        codes.delete(form.get('code') ?? '');
        if (!kept) return refuse('invalid_grant', 'unknown or used code');
        if (kept.redirectUri !== form.get('redirect_uri')) return refuse('invalid_grant', 'redirect_uri differs from the authorize request');
        const challenge = createHash('sha256').update(form.get('code_verifier') ?? '').digest('base64url');
        if (challenge !== kept.challenge) return refuse('invalid_grant', 'code_verifier does not match the code_challenge');
        return send(200, tokens(true));
      }
      if (form.get('grant_type') === 'refresh_token') {
        // Like Cognito: a new ID token, no new refresh token.
        if (!refreshTokens.has(form.get('refresh_token') ?? '')) return refuse('invalid_grant', 'refresh token revoked or unknown');
        return send(200, tokens(false));
      }
      return refuse('unsupported_grant_type', 'authorization_code or refresh_token');
    }
    send(404, { error: 'not_found' });
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    authorizeUrl: `${url}/oauth2/authorize`,
    tokenUrl: `${url}/oauth2/token`,
    clientId: CLIENT_ID,
    seen,
    issued,
    revoke: refreshToken => refreshTokens.delete(refreshToken),
    close: () => new Promise(resolve => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

function bodyOf(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    request.setEncoding('utf8');
    request.on('data', chunk => text += chunk);
    request.on('end', () => resolve(text));
    request.on('error', reject);
  });
}
