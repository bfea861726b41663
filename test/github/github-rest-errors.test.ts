/**
 * The GitHub client never puts a credential into an error message: not the token it sent, not
 * one GitHub (or a proxy) echoes back, not a one-time code in the path.
 */
import { Server, createServer } from 'http';
import { AddressInfo } from 'net';
import { NotFoundError } from '../../src/runtime/core/errors';
import { GitHubApiError, GitHubRest } from '../../src/runtime/github/github-rest';
import { ManifestConversionClient } from '../../src/runtime/github/manifest-conversion';
import { UserAuthorizationClient } from '../../src/runtime/github/user-authorization';

const TOKEN = `ghs_${'A1b2C3d4E5'.repeat(4).slice(0, 36)}`;
const JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiIxIn0.c2lnbmF0dXJl';
const SECRET_CODE = 'one-time-code-4711';

/** What a call that must fail threw. */
async function failureOf(call: Promise<unknown>): Promise<Error & { status?: number }> {
  try {
    await call;
  } catch (error) {
    return error as Error & { status?: number };
  }
  throw new Error('the call did not fail');
}

describe('GitHub client errors', () => {
  let server: Server;
  let url: string;

  beforeAll(async () => {
    // Answers every request with `status` from the path's first segment, echoing the credential, the path and the body back.
    server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', chunk => chunks.push(chunk));
      request.on('end', () => {
        const status = Number(request.url!.split('/')[1]) || 500;
        const echoed = `${request.headers.authorization ?? ''} at ${request.url} with ${Buffer.concat(chunks).toString('utf8')}`;
        response.writeHead(status, { 'content-type': 'application/json' });
        response.end(JSON.stringify(status === 200 ? { error: 'bad_verification_code', error_description: `no: ${echoed}` } : { message: `refused ${echoed}` }));
      });
    });
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(() => new Promise(resolve => server.close(resolve)));

  test.each([401, 403, 422, 500])('GitHub answering %i with the token in its message: the error names the status, not the token', async status => {
    for (const token of [TOKEN, JWT, 'opaque-credential-without-a-known-shape']) {
      const error = await failureOf(new GitHubRest(url).json({ path: `/${status}/x`, token }));
      expect(error).toBeInstanceOf(GitHubApiError);
      expect(error.status).toBe(status);
      expect(error.message).toContain(`GitHub answered ${status} to GET /${status}/x: refused`);
      expect(error.message).not.toContain(token);
    }
  });

  test('404 is a NotFoundError, still without the token', async () => {
    const error = await failureOf(new GitHubRest(url).json({ path: '/404/y', token: TOKEN }));
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error.message).not.toContain(TOKEN);
  });

  test('no answer at all: the error names the call, not the token', async () => {
    const closed = createServer();
    await new Promise<void>(resolve => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise(resolve => closed.close(resolve));
    const error = await failureOf(new GitHubRest(`http://127.0.0.1:${port}`).json({ path: '/user', token: TOKEN }));
    expect(error.message).toMatch(/^GitHub did not answer GET \/user/);
    expect(error.message).not.toContain(TOKEN);
  });

  test('a manifest conversion that fails does not name its one-time code', async () => {
    const error = await failureOf(new ManifestConversionClient(`${url}/422`).convert(SECRET_CODE));
    expect(error.message).toContain('POST /app-manifests/{code}/conversions');
    expect(error.message).not.toContain(SECRET_CODE);
  });

  test('a refused sign-in code: neither the client secret nor the code is in the error', async () => {
    const users = new UserAuthorizationClient({ apiUrl: url, webUrl: `${url}/200` }, { clientId: 'Iv1.abc', clientSecret: 'client-secret-0815' });
    const error = await failureOf(users.exchangeCode(SECRET_CODE, 'http://127.0.0.1:9/callback'));
    expect(error.message).toMatch(/^GitHub did not accept the sign-in code/);
    expect(error.message).not.toContain('client-secret-0815');
    expect(error.message).not.toContain(SECRET_CODE);
  });
});
