import { execFileSync } from 'child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { pathToFileURL } from 'url';
import { LocalCommitSource } from '../../src/local/local-commit-source';
import { CommitSource, NotFoundError } from '../../src/runtime/core';

describe('LocalCommitSource', () => {
  let root: string;
  let repo: string;
  const git = (...args: string[]) => execFileSync('git', args, {
    cwd: repo,
    encoding: 'utf8',
    env: { ...process.env, GIT_AUTHOR_NAME: 'Ada Lovelace', GIT_AUTHOR_EMAIL: 'ada@example.invalid', GIT_COMMITTER_NAME: 'Ada Lovelace', GIT_COMMITTER_EMAIL: 'ada@example.invalid' },
  }).trim();

  beforeAll(() => {
    root = realpathSync(mkdtempSync(join(tmpdir(), 'trellis-commits-')));
    repo = join(root, 'site');
    mkdirSync(repo);
    git('init', '-q', '-b', 'main');
    writeFileSync(join(repo, 'a.txt'), 'one');
    git('add', '-A');
    git('commit', '-q', '-m', 'First version');
    git('checkout', '-q', '-b', 'feature/x');
    writeFileSync(join(repo, 'a.txt'), 'two');
    git('commit', '-q', '-am', 'Second version\n\nWith a body that is not the message.');
    git('checkout', '-q', 'main');
    mkdirSync(join(root, 'not-a-repo'));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  test('is core\'s CommitSource: the branch head with its subject and author', async () => {
    const commits: CommitSource = LocalCommitSource.fromMap({ 'acme/site': repo });
    expect(await commits.latestCommit('acme/site', 'main')).toEqual({ sha: git('rev-parse', 'main'), message: 'First version', author: 'Ada Lovelace' });
    // Not the checked-out branch: the branch asked for.
    expect(await commits.latestCommit('acme/site', 'feature/x')).toEqual({ sha: git('rev-parse', 'feature/x'), message: 'Second version', author: 'Ada Lovelace' });
  });

  test('a new commit on the branch is seen at once; file:// URLs work too', async () => {
    const commits = LocalCommitSource.fromMap({ 'acme/site': pathToFileURL(repo).href });
    writeFileSync(join(repo, 'b.txt'), 'three');
    git('add', '-A');
    git('commit', '-q', '-m', 'Third version');
    expect((await commits.latestCommit('acme/site', 'main')).sha).toBe(git('rev-parse', 'HEAD'));
  });

  test('an unknown branch, repository or a hostile branch name is NotFoundError', async () => {
    const commits = LocalCommitSource.fromMap({ 'acme/site': repo });
    await expect(commits.latestCommit('acme/site', 'nope')).rejects.toThrow(NotFoundError);
    await expect(commits.latestCommit('acme/site', 'nope')).rejects.toThrow('branch nope does not exist in acme/site');
    await expect(commits.latestCommit('acme/other', 'main')).rejects.toThrow(NotFoundError);
    await expect(commits.latestCommit('acme/site', '--output=/tmp/x')).rejects.toThrow(NotFoundError);
    await expect(commits.latestCommit('acme/site', 'main; touch pwned')).rejects.toThrow(NotFoundError);
    await expect(commits.latestCommit('constructor', 'main')).rejects.toThrow(NotFoundError);
  });

  test('a path that is not a repository is an error, not a missing branch', async () => {
    const commits = LocalCommitSource.fromMap({ 'acme/site': join(root, 'not-a-repo') });
    const error = await commits.latestCommit('acme/site', 'main').catch(caught => caught);
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(NotFoundError);
    expect(error.message).toContain('git rev-parse');
  });
});
