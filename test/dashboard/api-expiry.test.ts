import { createServer } from 'http';
import { AddressInfo } from 'net';
import { Api, ApiError, EXPIRY_MARGIN_MS } from '../../src/dashboard/api';

/**
 * In AWS the control API's CORS headers come from its function, so a 401 of API Gateway's JWT
 * authorizer (an expired token) reaches the page as a network error. The client then treats a
 * network error with an (almost) expired token as the end of the session. Real fetch, against a
 * port nothing listens on.
 */
describe('Api: a network error with an expiring token ends the session', () => {
  let deadUrl: string;

  beforeAll(async () => {
    const server = createServer();
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
    deadUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    await new Promise<void>(resolve => server.close(() => resolve()));
  });

  function jwt(exp: number): string {
    const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    return `${part({ alg: 'RS256' })}.${part({ sub: 'u-1', exp })}.c2ln`;
  }

  async function callWith(token: string): Promise<{ error: unknown; unauthorized: number }> {
    let unauthorized = 0;
    const api = new Api(deadUrl, token, () => unauthorized++);
    const error = await api.apps().then(() => undefined, (thrown: unknown) => thrown);
    return { error, unauthorized };
  }

  const now = () => Math.floor(Date.now() / 1000);

  test('an expired token, or one within the margin, signs out', async () => {
    for (const exp of [now() - 60, now() + EXPIRY_MARGIN_MS / 1000 - 60]) {
      const { error, unauthorized } = await callWith(jwt(exp));
      expect(error).toBeInstanceOf(ApiError);
      expect((error as ApiError).status).toBe(0);
      expect(unauthorized).toBe(1);
    }
  });

  test('a token good for longer, or one that is not a JWT, keeps the session: a plain network error', async () => {
    for (const token of [jwt(now() + 3600), 'local-opaque-token']) {
      const { error, unauthorized } = await callWith(token);
      expect((error as ApiError).code).toBe('network');
      expect(unauthorized).toBe(0);
    }
  });
});
