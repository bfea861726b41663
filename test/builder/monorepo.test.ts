import { execFile } from 'child_process';
import { createHash } from 'crypto';
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { delimiter, dirname, join } from 'path';
import { promisify } from 'util';
import { BuildRun, BuilderHarness, endOf, frameworkRecords, phaseOutcomes } from './harness';
import { TinyRegistry } from './support/tiny-registry';
import { LOCAL_BUILD_SETTINGS } from '../../src/local/local-build-settings';
import { EnvironmentConfig } from '../../src/runtime/core';
import { appConfig, envConfig } from '../store/fixtures';

/**
 * Apps in a folder of their repository (`rootDirectory`): detection, tests and deploy run in the
 * folder, the install at the workspace root above it with the real package manager (pnpm, npm,
 * yarn) against a registry on 127.0.0.1, and the dependency cache restores exactly the tree the
 * fresh install made: every node_modules of the workspace, compared file by file and link by link.
 */

const REPO_BIN = join(__dirname, '..', '..', 'node_modules', '.bin');
const run = promisify(execFile);

/**
 * The workspace's packages: `api` (the app, in packages/api) uses `lib` (a workspace package) and
 * tiny-a 1; lib uses tiny-b and tiny-a 2, so even npm and yarn, which hoist, keep a node_modules in a package.
 */
function workspacePackages(api: Record<string, string>, lib: Record<string, string>): Record<string, string> {
  const testScript = 'node -e "const lib = require(\'@mono/lib\'); console.log(\'api sees \' + lib.value + \' and \' + require(\'tiny-a\').value)"';
  return {
    'packages/lib/package.json': JSON.stringify({ name: '@mono/lib', version: '1.0.0', main: 'index.js', dependencies: lib }, null, 2),
    'packages/lib/index.js': 'module.exports = { value: \'lib+\' + require(\'tiny-b\').value + require(\'tiny-a\').value };\n',
    'packages/api/package.json': JSON.stringify({ name: '@mono/api', version: '1.0.0', private: true, scripts: { test: testScript }, dependencies: api }, null, 2),
    'packages/api/serverless.yml': 'service: mono-api\n',
    // A framework at the root that is not the app's: detection must look in the app's folder.
    'sst.config.ts': 'export default $config({});\n',
  };
}

/** Write `files` to a temp folder, run the package manager there to make its lockfile, return the files with it. */
async function withLockfile(files: Record<string, string>, command: string[], lockfile: string,
  env: Record<string, string>): Promise<Record<string, string>> {
  const dir = mkdtempSync(join(tmpdir(), 'trellis-mono-lock-'));
  try {
    for (const [file, content] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, file)), { recursive: true });
      writeFileSync(join(dir, file), content);
    }
    await run(command[0], command.slice(1), { cwd: dir, env: { ...process.env, PATH: `${REPO_BIN}${delimiter}${process.env.PATH}`, ...env } });
    return { ...files, [lockfile]: readFileSync(join(dir, lockfile), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Every entry under each node_modules of `root`: path → file hash, link target or 'dir'. */
function tree(root: string): Map<string, string> {
  const entries = new Map<string, string>();
  const walk = (relative: string, inside: boolean) => {
    for (const entry of readdirSync(join(root, relative), { withFileTypes: true })) {
      const path = relative ? `${relative}/${entry.name}` : entry.name;
      if (!inside && entry.name !== 'node_modules') {
        if (entry.isDirectory() && entry.name !== '.git') walk(path, false);
        continue;
      }
      const full = join(root, path);
      const stat = lstatSync(full);
      if (stat.isSymbolicLink()) {
        entries.set(path, `link ${readlinkSync(full)}`);
      } else if (stat.isDirectory()) {
        entries.set(path, 'dir');
        walk(path, true);
      } else {
        entries.set(path, `file ${stat.mode.toString(8)} ${createHash('sha256').update(readFileSync(full)).digest('hex')}`);
      }
    }
  };
  walk('', false);
  return entries;
}

describe('builder: apps in a folder of a workspace, and the package manager corepack could not fetch', () => {
  let harness: BuilderHarness;
  let registry: TinyRegistry;
  let builds = 0;

  beforeAll(async () => {
    harness = await BuilderHarness.create();
    registry = await TinyRegistry.start([
      { name: 'tiny-a', version: '1.0.0', value: 'a1' },
      { name: 'tiny-a', version: '2.0.0', value: 'a2' },
      { name: 'tiny-b', version: '2.0.0', value: 'b2' },
    ]);
  });

  afterAll(async () => {
    await registry?.stop();
    registry?.cleanup();
    harness?.cleanup();
  });

  /** A build with its own empty package manager caches and store: only Trellis' cache can spare the registry. */
  const build = (application: string, commit: string, gitUrl: string, cacheDir?: string): Promise<BuildRun> => {
    builds++;
    return harness.run({
      application,
      environment: 'dev',
      commit,
      gitUrl,
      params: {
        PATH: `${harness.bin}${delimiter}${REPO_BIN}${delimiter}${process.env.PATH}`,
        ...cacheDir && { [LOCAL_BUILD_SETTINGS.cacheDir]: cacheDir },
        npm_config_registry: registry.url,
        npm_config_offline: undefined,
        npm_config_cache: harness.path(`npm-cache-${builds}`),
        npm_config_store_dir: harness.path(`pnpm-store-${builds}`),
        YARN_CACHE_FOLDER: harness.path(`yarn-cache-${builds}`),
      },
    });
  };
  const registryEnv = () => ({ npm_config_registry: registry.url, npm_config_cache: harness.path('lock-cache'), npm_config_store_dir: harness.path('lock-store') });
  const dev = (overrides: Partial<EnvironmentConfig> = {}) => envConfig('dev', { runTests: true, testCommand: [], ...overrides });
  // The builder's own `$ ` lines (yarn echoes a script's command the same way: not the builder's).
  const commandsRun = (result: BuildRun) => result.lines.filter(line => line.startsWith('$ ') && !/^\$ (git|node -e) /.test(line));

  interface WorkspaceFixture {
    readonly manager: string;
    readonly root: Record<string, string>;
    readonly workspaceDep: string;
    readonly lock: string[];
    readonly lockfile: string;
    readonly install: string;
  }
  const managers: WorkspaceFixture[] = [
    {
      manager: 'pnpm',
      root: { 'package.json': JSON.stringify({ name: 'mono', private: true }), 'pnpm-workspace.yaml': 'packages:\n  - "packages/*"\n' },
      workspaceDep: 'workspace:*',
      lock: ['pnpm', 'install', '--lockfile-only', '--ignore-scripts'],
      lockfile: 'pnpm-lock.yaml',
      install: '$ pnpm install --frozen-lockfile',
    },
    {
      manager: 'npm',
      root: { 'package.json': JSON.stringify({ name: 'mono', private: true, workspaces: ['packages/*'] }) },
      workspaceDep: '1.0.0',
      lock: ['npm', 'install', '--package-lock-only', '--ignore-scripts', '--no-audit', '--no-fund'],
      lockfile: 'package-lock.json',
      install: '$ npm ci',
    },
    {
      manager: 'yarn',
      root: { 'package.json': JSON.stringify({ name: 'mono', private: true, workspaces: ['packages/*'] }) },
      workspaceDep: '1.0.0',
      lock: ['yarn', 'install', '--ignore-scripts', '--non-interactive', '--registry', 'REGISTRY'],
      lockfile: 'yarn.lock',
      install: '$ yarn install --frozen-lockfile',
    },
  ];

  test.each(managers)('$manager workspace, app in packages/api: installed at the root, tested and deployed in the folder; '
    + 'the cache restores every node_modules exactly', async fixture => {
    const app = `mono-${fixture.manager}`;
    const files = { ...fixture.root, ...workspacePackages({ '@mono/lib': fixture.workspaceDep, 'tiny-a': '1.0.0' }, { 'tiny-b': '2.0.0', 'tiny-a': '2.0.0' }) };
    const lockCommand = fixture.lock.map(arg => (arg === 'REGISTRY' ? registry.url : arg));
    const repo = harness.repo(app, await withLockfile(files, lockCommand, fixture.lockfile, {
      ...registryEnv(), YARN_CACHE_FOLDER: harness.path('lock-yarn-cache'),
    }));
    await harness.configure([appConfig(app, [dev({ rootDirectory: 'packages/api' })])]);
    const cacheDir = harness.path(`cache-${fixture.manager}`);

    const fresh = await build(app, repo.commits[0], repo.url, cacheDir);
    expect(fresh.code).toBe(0);
    expect(endOf(fresh.markers, 'detect')?.detail).toBe(`serverless with ${fixture.manager}; in packages/api, installed at the repository root`);
    expect(phaseOutcomes(fresh.markers)).toEqual([
      'prepare:succeeded', 'clone:succeeded', 'detect:succeeded', 'restore-cache:succeeded', 'install:succeeded', 'save-cache:succeeded',
      'test:succeeded', 'build:succeeded', 'deploy:succeeded',
    ]);
    expect(commandsRun(fresh)).toEqual([
      fixture.install,
      `$ ${fixture.manager} run test   (in packages/api)`,
      '$ serverless package --stage dev --package .trellis/package   (in packages/api)',
      '$ serverless deploy --stage dev --package .trellis/package   (in packages/api)',
    ]);
    expect(fresh.lines).toContain('api sees lib+b2a2 and a1');
    expect(frameworkRecords(fresh).map(record => record.cwd)).toEqual([join(fresh.workspace, 'packages/api'), join(fresh.workspace, 'packages/api')]);

    const requests = registry.requests.length;
    const warm = await build(app, repo.commits[0], repo.url, cacheDir);
    expect(warm.code).toBe(0);
    expect(endOf(warm.markers, 'install')).toMatchObject({ outcome: 'skipped', detail: 'node_modules restored from the dependency cache' });
    expect(registry.requests.length).toBe(requests);
    expect(warm.lines).toContain('api sees lib+b2a2 and a1');
    // Exactly the fresh install's tree: every node_modules (the root's and the packages'), each file, mode and link.
    const freshTree = tree(fresh.workspace);
    expect([...freshTree.keys()].filter(path => path.startsWith('packages/')).length).toBeGreaterThan(0);
    expect(tree(warm.workspace)).toEqual(freshTree);
  }, 180_000);

  test('the application\'s rootDirectory applies to environments without their own; an environment\'s own wins', async () => {
    const files = {
      'services/a/package.json': JSON.stringify({ name: 'a', version: '1.0.0', scripts: { test: 'node -e "console.log(\'tests of a\')"' } }),
      'services/a/serverless.yml': 'service: a\n',
      'services/b/package.json': JSON.stringify({ name: 'b', version: '1.0.0', scripts: { test: 'node -e "console.log(\'tests of b\')"' } }),
      'services/b/cdk.json': '{ "app": "node app.js" }',
    };
    const repo = harness.repo('two-services', files);
    await harness.configure([{
      ...appConfig('two-services', [dev(), envConfig('other', { runTests: true, testCommand: [], rootDirectory: 'services/b' })]),
      rootDirectory: 'services/a',
    }]);
    const a = await build('two-services', repo.commits[0], repo.url);
    expect(a.code).toBe(0);
    expect(endOf(a.markers, 'detect')?.detail).toBe('serverless with npm (no lockfile); in services/a');
    expect(a.lines).toContain('tests of a');
    expect(commandsRun(a)[0]).toBe('$ npm install   (in services/a)');

    const b = await harness.run({ application: 'two-services', environment: 'other', commit: repo.commits[0], gitUrl: repo.url });
    expect(b.code).toBe(0);
    expect(endOf(b.markers, 'detect')?.detail).toBe('cdk with npm (no lockfile); in services/b');
    expect(b.lines).toContain('tests of b');
  }, 120_000);

  test('a lockfile above the app that is not a workspace root is not the app\'s: the app installs in its own folder', async () => {
    const files = {
      // The repository's own tooling at the root, no workspaces.
      'package.json': JSON.stringify({ name: 'examples', private: true }),
      'package-lock.json': JSON.stringify({ name: 'examples', lockfileVersion: 3, requires: true, packages: { '': { name: 'examples' } } }),
      'examples/api/package.json': JSON.stringify({ name: 'api', version: '1.0.0' }),
      'examples/api/serverless.yml': 'service: api\n',
    };
    const repo = harness.repo('examples', files);
    await harness.configure([appConfig('examples', [dev({ rootDirectory: 'examples/api' })])]);
    const result = await build('examples', repo.commits[0], repo.url);
    expect(result.code).toBe(0);
    expect(endOf(result.markers, 'detect')?.detail).toBe('serverless with npm (no lockfile); in examples/api');
    expect(commandsRun(result)[0]).toBe('$ npm install   (in examples/api)');
  }, 120_000);

  test.each([
    ['missing', { 'other/package.json': '{}' }, 'apps/api', "rootDirectory 'apps/api': apps does not exist in the repository at this commit"],
    ['a link', { 'real/serverless.yml': 'service: x\n' }, 'apps', "rootDirectory 'apps': apps is a symbolic link (the app folder must be a real folder)"],
    ['a file', { 'apps/api': 'not a folder' }, 'apps/api', "rootDirectory 'apps/api': apps/api is not a folder"],
  ])('a rootDirectory that is %s fails the build at detect with the reason, running nothing of the app', async (name, files, rootDirectory, reason) => {
    const app = `bad-root-${name.replace(/\W/g, '')}`;
    const repo = harness.repo(app, files);
    if (name === 'a link') {
      const dir = join(harness.root, 'repos', app);
      await run('ln', ['-s', '/etc', join(dir, 'apps')]);
      await run('git', ['add', '-A'], { cwd: dir });
      await run('git', ['-c', 'user.name=T', '-c', 'user.email=t@example.invalid', 'commit', '-q', '-m', 'link'], { cwd: dir });
      repo.commits.push((await run('git', ['rev-parse', 'HEAD'], { cwd: dir })).stdout.trim());
    }
    await harness.configure([appConfig(app, [dev({ rootDirectory })])]);
    const result = await build(app, repo.commits[repo.commits.length - 1], repo.url);
    expect(result.code).not.toBe(0);
    expect(endOf(result.markers, 'detect')).toMatchObject({ outcome: 'failed', detail: reason });
    expect(commandsRun(result)).toEqual([]);
  }, 60_000);

  test.each([
    ['corepack\'s request error', true, 'Internal Error: Error when performing the request to https://registry.npmjs.org/pnpm/-/pnpm-9.1.0.tgz; for troubleshooting help, see https://github.com/nodejs/corepack#troubleshooting'],
    ['Node\'s fetch failure inside corepack', true, 'TypeError: fetch failed\n    at node:internal/deps/undici (/usr/local/lib/node_modules/corepack/dist/lib/corepack.cjs:1:1)'],
    ['an install error of pnpm itself', false, ' ERR_PNPM_OUTDATED_LOCKFILE  Cannot install with "frozen-lockfile" because pnpm-lock.yaml is not up to date'],
  ])('pnpm (corepack\'s shim) fails with %s: the image\'s own pnpm runs instead: %p', async (_, fallsBack, message) => {
    // A pnpm on PATH that fails as corepack's shim does; the image's own pnpm is the real one.
    const app = `corepack-${fallsBack ? 'fetch' : 'other'}-${message.length}`;
    const shim = harness.path(`corepack-shim-${message.length}`);
    const own = harness.path(`image-pm-${message.length}`);
    mkdirSync(join(shim), { recursive: true });
    mkdirSync(join(own, 'bin'), { recursive: true });
    writeFileSync(join(shim, 'pnpm'), `#!/bin/sh\nprintf '%s\\n' ${JSON.stringify(message)} >&2\nexit 1\n`, { mode: 0o755 });
    await run('ln', ['-s', join(REPO_BIN, 'pnpm'), join(own, 'bin', 'pnpm')]);
    const files = {
      'package.json': JSON.stringify({ name: app, version: '1.0.0', packageManager: 'pnpm@9.1.0', dependencies: { 'tiny-a': '1.0.0' } }),
      'serverless.yml': 'service: s\n',
    };
    const lock = ['pnpm', 'install', '--lockfile-only', '--ignore-scripts', '--config.manage-package-manager-versions=false'];
    const repo = harness.repo(app, await withLockfile(files, lock, 'pnpm-lock.yaml', registryEnv()));
    await harness.configure([appConfig(app, [dev({ runTests: false })])]);
    builds++;
    const result = await harness.run({
      application: app,
      environment: 'dev',
      commit: repo.commits[0],
      gitUrl: repo.url,
      params: {
        PATH: `${harness.bin}${delimiter}${shim}${delimiter}${process.env.PATH}`,
        TRELLIS_TEST_PACKAGE_MANAGERS: own,
        npm_config_registry: registry.url,
        npm_config_offline: undefined,
        npm_config_store_dir: harness.path(`pnpm-store-${builds}`),
        COREPACK_ENABLE_STRICT: '0',
      },
    });
    const note = 'corepack could not download the pnpm the repository asks for (packageManager); running the image\'s own pnpm instead';
    if (fallsBack) {
      expect(result.code).toBe(0);
      expect(result.lines).toContain(note);
      expect(commandsRun(result)).toEqual([
        '$ pnpm install --frozen-lockfile',
        `$ ${join(own, 'bin', 'pnpm')} install --frozen-lockfile --config.manage-package-manager-versions=false`,
        '$ serverless package --stage dev --package .trellis/package',
        '$ serverless deploy --stage dev --package .trellis/package',
      ]);
    } else {
      expect(result.code).not.toBe(0);
      expect(result.lines).not.toContain(note);
      expect(endOf(result.markers, 'install')).toMatchObject({ outcome: 'failed', detail: expect.stringContaining('ERR_PNPM_OUTDATED_LOCKFILE') });
    }
  }, 120_000);
});
