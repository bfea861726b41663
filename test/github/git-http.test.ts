import { spawn } from 'child_process';
import { mkdtempSync, readFileSync, rmSync } from 'fs';
import { Server, createServer } from 'http';
import { AddressInfo } from 'net';
import { tmpdir } from 'os';
import { join } from 'path';
import { authorizationHeader, cloneCommands, gitEnvironment } from '../../src/builder/git';
import { GitHttpAccess, serveGitHttp } from '../../src/local/github-stand-in/git-http';
import { gitIn, gitRepo } from '../support/git-repo';

/**
 * Git smart HTTP over real `git http-backend` and a real git client: what the builder runs
 * (cloneCommands with the token in gitEnvironment's extraheader) against a server whose access
 * rules are the test's: `acme/private` is covered by GOOD only, `acme/public` is public.
 */
describe('stand-in git smart HTTP', () => {
  const GOOD = 'ghs_coversPrivateRepository0123456789';
  const OTHER = 'ghs_coversAnotherRepository0123456789';
  let root: string;
  let server: Server;
  let url: string;
  let commits: Record<string, string[]>;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'trellis-git-http-'));
    commits = {
      'acme/private': gitRepo(join(root, 'private'), { 'README.md': 'private v1\n' }, { 'README.md': 'private v2\n' }),
      'acme/public': gitRepo(join(root, 'public'), { 'README.md': 'public\n' }),
    };
    const access: GitHttpAccess = {
      repositoryPath: name => ({ 'acme/private': join(root, 'private'), 'acme/public': join(root, 'public') } as Record<string, string>)[name],
      tokenCovers: (token, name) => token === GOOD && name === 'acme/private',
      isPublic: name => name === 'acme/public',
    };
    server = createServer((request, response) => void serveGitHttp(request, response, access));
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise(resolve => server.close(resolve));
    rmSync(root, { recursive: true, force: true });
  });

  /** A git command as its own process (asynchronously: the server answers in this one). */
  async function run(argv: readonly string[], cwd: string, env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
    const child = spawn(argv[0], argv.slice(1), { cwd, env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', chunk => { stderr += chunk; });
    const code = await new Promise<number | null>(resolve => child.on('close', resolve));
    return { code, stderr };
  }

  /** The builder's clone of `commit` from `repository` into a fresh directory, with `token` (or none). */
  async function clone(repository: string, commit: string, token?: string): Promise<{ code: number | null; stderr: string; dir: string }> {
    const dir = mkdtempSync(join(root, 'clone-'));
    const remote = `${url}/${repository}.git`;
    const env = gitEnvironment({ PATH: process.env.PATH ?? '', HOME: root }, remote, token);
    for (const argv of cloneCommands(remote, commit)) {
      const result = await run(argv, dir, env);
      if (result.code !== 0) return { ...result, dir };
    }
    return { code: 0, stderr: '', dir };
  }

  test('a private repository is cloned (one commit, by its sha) with a token covering it', async () => {
    const cloned = await clone('acme/private', commits['acme/private'][0], GOOD);
    expect(cloned).toMatchObject({ code: 0 });
    expect(readFileSync(join(cloned.dir, 'README.md'), 'utf8')).toBe('private v1\n');
    expect(gitIn(cloned.dir)('rev-parse', 'HEAD')).toBe(commits['acme/private'][0]);
  });

  test('without a token the private repository is refused (401) and git fails', async () => {
    expect((await clone('acme/private', commits['acme/private'][1])).code).not.toBe(0);
    const answer = await fetch(`${url}/acme/private.git/info/refs?service=git-upload-pack`);
    expect(answer.status).toBe(401);
    expect(answer.headers.get('www-authenticate')).toMatch(/^Basic/);
  });

  test('a token that does not cover it gets 404, as GitHub hides private repositories', async () => {
    const cloned = await clone('acme/private', commits['acme/private'][1], OTHER);
    expect(cloned.code).not.toBe(0);
    expect(cloned.stderr).not.toContain(OTHER);
    const answer = await fetch(`${url}/acme/private.git/info/refs?service=git-upload-pack`, { headers: { authorization: authorizationHeader(OTHER).split(': ')[1] } });
    expect(answer.status).toBe(404);
  });

  test('a public repository is cloned without a token', async () => {
    const cloned = await clone('acme/public', commits['acme/public'][0]);
    expect(cloned).toMatchObject({ code: 0 });
    expect(readFileSync(join(cloned.dir, 'README.md'), 'utf8')).toBe('public\n');
  });

  test('an unknown repository is 404', async () => {
    expect((await fetch(`${url}/acme/missing.git/info/refs?service=git-upload-pack`)).status).toBe(404);
  });

  test('a push is refused, even with a covering token, and changes nothing', async () => {
    const cloned = await clone('acme/private', commits['acme/private'][1], GOOD);
    expect(cloned.code).toBe(0);
    const git = gitIn(cloned.dir);
    git('commit', '-q', '--allow-empty', '-m', 'pushed');
    const remote = `${url}/acme/private.git`;
    const push = await run(['git', 'push', remote, 'HEAD:refs/heads/main'], cloned.dir, gitEnvironment({ PATH: process.env.PATH ?? '', HOME: root }, remote, GOOD));
    expect(push.code).not.toBe(0);
    expect(gitIn(join(root, 'private'))('rev-parse', 'main')).toBe(commits['acme/private'][1]);
    const headers = { authorization: authorizationHeader(GOOD).split(': ')[1] };
    expect((await fetch(`${url}/acme/private.git/info/refs?service=git-receive-pack`, { headers })).status).toBe(403);
    expect((await fetch(`${url}/acme/private.git/git-receive-pack`, { method: 'POST', headers, body: '0000' })).status).toBe(403);
  });

  test("the dumb protocol's files are not served", async () => {
    expect((await fetch(`${url}/acme/public.git/HEAD`)).status).toBe(404);
    expect((await fetch(`${url}/acme/public.git/info/refs`)).status).toBe(404);
  });
});
