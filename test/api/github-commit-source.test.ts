import { createServer, IncomingMessage, Server } from 'http';
import { AddressInfo } from 'net';
import { GitHubCommitSource } from '../../src/runtime/aws/github-commit-source';
import { NotFoundError, SecretSource } from '../../src/runtime/core';

/** GitHub's REST API on 127.0.0.1, answering what each test sets. */
class FakeGitHub {
  readonly requests: Array<{ url: string; authorization?: string; accept?: string }> = [];
  private server?: Server;
  answer: (request: IncomingMessage) => { status: number; body?: unknown; delayMs?: number } = () => ({ status: 404 });

  async start(): Promise<string> {
    this.server = createServer((request, response) => {
      this.requests.push({ url: request.url ?? '', authorization: request.headers.authorization, accept: request.headers.accept });
      const { status, body, delayMs } = this.answer(request);
      setTimeout(() => {
        response.writeHead(status, { 'content-type': 'application/json' });
        response.end(JSON.stringify(body ?? { message: 'Not Found' }));
      }, delayMs ?? 0);
    });
    await new Promise<void>(resolve => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise(resolve => this.server?.close(resolve));
  }
}

const TOKEN = 'ghp_test_token_0123456789abcdef';
const SHA = '0123456789abcdef0123456789abcdef01234567';
const secretsWith = (values: Record<string, string>): SecretSource => ({
  get: async name => {
    if (!(name in values)) throw new NotFoundError(`secret ${name} does not exist`);
    return values[name];
  },
});

describe('GitHubCommitSource', () => {
  const github = new FakeGitHub();
  let apiUrl: string;

  beforeAll(async () => {
    apiUrl = await github.start();
  });
  afterAll(() => github.stop());
  beforeEach(() => {
    github.requests.length = 0;
  });

  test('asks for the branch head with the installation token and answers sha, first message line and author', async () => {
    github.answer = () => ({ status: 200, body: { sha: SHA, commit: { message: 'Ship it\n\nLong description', author: { name: 'The Octocat' } }, author: { login: 'octocat' } } });
    const source = new GitHubCommitSource('acme', secretsWith({ 'trellis/acme/github-token': TOKEN }), { apiUrl });

    expect(await source.latestCommit('acme/web', 'feature/a/b')).toEqual({ sha: SHA, message: 'Ship it', author: 'octocat' });
    expect(github.requests).toEqual([{ url: '/repos/acme/web/commits/feature%2Fa%2Fb', authorization: `Bearer ${TOKEN}`, accept: 'application/vnd.github+json' }]);
  });

  test('a full SHA asks for that commit (on any branch); one GitHub does not have is a 404 naming the commit', async () => {
    github.answer = request => (request.url === `/repos/acme/web/commits/${SHA}` ? { status: 200, body: { sha: SHA, commit: { message: 'Old one' } } } : { status: 422 });
    const source = new GitHubCommitSource('acme', secretsWith({ 'trellis/acme/github-token': TOKEN }), { apiUrl });
    expect(await source.latestCommit('acme/web', SHA)).toEqual({ sha: SHA, message: 'Old one', author: undefined });
    await expect(source.latestCommit('acme/web', 'f'.repeat(40))).rejects.toThrow(new NotFoundError(`commit ${'f'.repeat(40)} of acme/web was not found on GitHub`));
  });

  test('with a GitHub App, its token for the repository is used; where it has none, the token secret', async () => {
    github.answer = () => ({ status: 200, body: { sha: SHA, commit: { message: 'x' } } });
    const asked: string[] = [];
    const source = new GitHubCommitSource('acme', secretsWith({ 'trellis/acme/github-token': TOKEN }), {
      apiUrl,
      appToken: async repository => {
        asked.push(repository);
        return repository === 'acme/web' ? 'ghs_app_token_for_web' : undefined;
      },
    });
    await source.latestCommit('acme/web', 'main');
    await source.latestCommit('acme/other', 'main');
    expect(asked).toEqual(['acme/web', 'acme/other']);
    expect(github.requests.map(request => request.authorization)).toEqual(['Bearer ghs_app_token_for_web', `Bearer ${TOKEN}`]);
  });

  test('public repositories work without a token; the author falls back to the commit author name', async () => {
    github.answer = () => ({ status: 200, body: { sha: SHA, commit: { message: 'x', author: { name: 'Ada' } }, author: null } });
    const source = new GitHubCommitSource('acme', secretsWith({}), { apiUrl });
    expect(await source.latestCommit('acme/web', 'main')).toEqual({ sha: SHA, message: 'x', author: 'Ada' });
    expect(github.requests[0].authorization).toBeUndefined();
  });

  test('404 and 422 are NotFoundError; without a token the reason says where the token goes', async () => {
    github.answer = () => ({ status: 404 });
    const anonymous = new GitHubCommitSource('acme', secretsWith({}), { apiUrl });
    await expect(anonymous.latestCommit('acme/private', 'main')).rejects.toThrow(
      new NotFoundError("branch 'main' of acme/private was not found on GitHub (a private repository needs the GitHub App installed on it, or a GitHub token in trellis/acme/github-token)"));
    github.answer = () => ({ status: 422, body: { message: 'No commit found for SHA: nope' } });
    const withToken = new GitHubCommitSource('acme', secretsWith({ 'trellis/acme/github-token': TOKEN }), { apiUrl });
    await expect(withToken.latestCommit('acme/web', 'nope')).rejects.toThrow(new NotFoundError("branch 'nope' of acme/web was not found on GitHub"));
  });

  test('other failures are errors that never contain the token', async () => {
    const source = new GitHubCommitSource('acme', secretsWith({ 'trellis/acme/github-token': TOKEN }), { apiUrl, timeoutMs: 200 });
    for (const answer of [{ status: 401 }, { status: 403 }, { status: 500 }, { status: 200, body: { sha: 'not-a-sha' } }, { status: 200, delayMs: 1000, body: { sha: SHA } }]) {
      github.answer = () => answer;
      const error = await source.latestCommit('acme/web', 'main').then(() => undefined, (e: Error) => e);
      expect(error).toBeInstanceOf(Error);
      expect(error).not.toBeInstanceOf(NotFoundError);
      expect(String(error?.message)).not.toContain(TOKEN);
    }
  });

  test('names that break the rules are refused before any request', async () => {
    const source = new GitHubCommitSource('acme', secretsWith({}), { apiUrl });
    await expect(source.latestCommit('acme/web', '../../x')).rejects.toMatchObject({ name: 'ValidationError' });
    await expect(source.latestCommit('https://evil/x', 'main')).rejects.toMatchObject({ name: 'ValidationError' });
    expect(github.requests).toEqual([]);
  });
});
