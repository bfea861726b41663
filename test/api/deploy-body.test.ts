import { execFileSync } from 'child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { join } from 'path';
import { Harness, admin, apiHarness, deployer } from './harness';
import { cloneCommands } from '../../src/builder/git';
import { LocalCommitSource } from '../../src/local/local-commit-source';
import { ApiDeps, handleApiRequest } from '../../src/runtime/api/control-api';
import { Deployment } from '../../src/runtime/core';
import { gitIn } from '../support/git-repo';

/**
 * Deploy with a body: another branch's newest commit, or one commit by its SHA (of any branch,
 * not its head), resolved by a real git repository (local mode's commit source) and checked out
 * the way the builder clones.
 */
describe('control API: deploy a branch or a commit', () => {
  let h: Harness;
  let root: string;
  let repo: string;
  let deps: ApiDeps;
  const commits: Record<string, string> = {};

  beforeAll(() => {
    root = mkdtempSync(join(process.env.TMPDIR ?? '/tmp', 'trellis-deploy-body-'));
    repo = join(root, 'web');
    mkdirSync(repo);
    const git = gitIn(repo);
    const commit = (file: string, message: string) => {
      writeFileSync(join(repo, 'version.txt'), file);
      git('add', '-A');
      git('commit', '-q', '-m', message);
      return git('rev-parse', 'HEAD');
    };
    git('init', '-q', '-b', 'main');
    commits.main = commit('main 1', 'Main one');
    git('checkout', '-q', '-b', 'feature/login');
    commits.featureOld = commit('feature 1', 'Feature one');
    commits.featureHead = commit('feature 2', 'Feature two');
    git('checkout', '-q', 'main');
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  beforeEach(async () => {
    h = await apiHarness();
    deps = { ...h.deps, commits: LocalCommitSource.fromMap({ 'acme/web': repo }) };
  });

  const deploy = async (env: string, body: unknown, principal = deployer) => {
    const response = await handleApiRequest({ method: 'POST', path: `/api/apps/web/environments/${env}/deploy`, query: {}, body: JSON.stringify(body), principal }, deps);
    return { status: response.statusCode, json: JSON.parse(response.body) };
  };

  test('no body field: the newest commit of the environment\'s branch', async () => {
    expect((await deploy('dev', {})).json).toMatchObject({ commit: commits.main, branch: 'main', commitMessage: 'Main one' });
  });

  test('branch: that branch\'s newest commit, recorded with the branch', async () => {
    const response = await deploy('dev', { branch: 'feature/login' });
    expect(response.status).toBe(202);
    expect(response.json).toMatchObject({ commit: commits.featureHead, branch: 'feature/login', commitMessage: 'Feature two', trigger: { kind: 'manual', actor: 'dora' } });
    expect(h.queue.sent).toEqual([{ deploymentId: (response.json as Deployment).id }]);
  });

  test('commit: that commit, of another branch and not its head; even where the environment tracks no branch', async () => {
    const response = await deploy('dev', { commit: commits.featureOld });
    expect(response.status).toBe(202);
    expect(response.json).toMatchObject({ commit: commits.featureOld, commitMessage: 'Feature one' });
    expect(response.json.branch).toBeUndefined();
    expect((await deploy('staging', { commit: commits.featureOld.toUpperCase() })).json).toMatchObject({ commit: commits.featureOld, environment: 'staging' });

    // The builder's clone (exactly one commit, shallow, by SHA) checks it out.
    const workspace = join(root, `checkout-${Date.now()}`);
    mkdirSync(workspace);
    for (const [command, ...args] of cloneCommands(repo, commits.featureOld)) execFileSync(command, args, { cwd: workspace, stdio: 'pipe' });
    expect(readFileSync(join(workspace, 'version.txt'), 'utf8')).toBe('feature 1');
    expect(gitIn(workspace)('rev-parse', 'HEAD')).toBe(commits.featureOld);
  });

  test('a commit or branch the repository does not have: 404, nothing queued', async () => {
    expect(await deploy('dev', { commit: 'f'.repeat(40) })).toMatchObject({ status: 404, json: { reason: expect.stringMatching(/^commit f{40} does not exist in acme\/web/) } });
    expect(await deploy('dev', { branch: 'nope' })).toMatchObject({ status: 404, json: { reason: expect.stringMatching(/^branch nope does not exist in acme\/web/) } });
    expect(h.queue.sent).toEqual([]);
  });

  test('bad bodies: 400 naming the field', async () => {
    const reason = async (body: unknown) => (await deploy('dev', body)).json.reason as string;
    expect(await reason({ commit: 'abc123' })).toBe('commit: must be a full commit SHA: 40 hexadecimal characters');
    expect(await reason({ commit: 'g'.repeat(40) })).toBe('commit: must be a full commit SHA: 40 hexadecimal characters');
    expect(await reason({ commit: 42 })).toBe('commit: must be a full commit SHA: 40 hexadecimal characters');
    expect(await reason({ branch: 'a..b' })).toBe("branch: branch 'a..b' contains '..' or '@{'");
    expect(await reason({ branch: '--upload-pack=x' })).toBe("branch: branch '--upload-pack=x' starts with a hyphen");
    expect(await reason({ branch: 7 })).toBe('branch: must be a branch name');
    expect(await reason({ branch: 'main', commit: commits.main })).toBe('commit: give a branch or a commit, not both');
    expect(await reason({ ref: 'main' })).toMatch(/^ref: /);
    expect(h.queue.sent).toEqual([]);
  });

  test('the role is checked before the body: a viewer learns nothing from a bad body', async () => {
    const viewer = { ...admin, grants: [{ application: 'web', role: 'viewer' as const }] };
    expect(await deploy('dev', { commit: 'nope' }, viewer)).toMatchObject({ status: 403 });
  });
});
