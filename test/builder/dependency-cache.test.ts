import { existsSync, readdirSync, readFileSync } from 'fs';
import { join } from 'path';
import { BuildRun, BuilderHarness, endOf, phaseOutcomes } from './harness';
import { TinyRegistry, lockedPackage } from './support/tiny-registry';
import { LOCAL_BUILD_SETTINGS } from '../../src/local/local-build-settings';
import { appConfig, envConfig } from '../store/fixtures';

/**
 * The dependency cache end to end: the builder as a process, real npm against a registry on
 * 127.0.0.1, real git, the cache in a folder (as local mode keeps it; S3 in AWS sits behind
 * the same CacheStorage interface).
 */
describe('builder: dependency cache', () => {
  let harness: BuilderHarness;
  let registry: TinyRegistry;
  let cacheDir: string;
  let repo: { url: string; commits: string[] };
  // The test script fails unless the dependencies were really installed or restored.
  const scripts = { test: 'node -e "console.log(\'deps: \' + require(\'tiny-a\').value + (require(\'tiny-a/package.json\').version))"' };

  beforeAll(async () => {
    harness = await BuilderHarness.create();
    registry = await TinyRegistry.start([
      { name: 'tiny-a', version: '1.0.0', value: 'a1' },
      { name: 'tiny-b', version: '2.0.0', value: 'b2' },
    ]);
    cacheDir = harness.path('cache');
    await harness.configure([appConfig('cached', [
      envConfig('dev', { runTests: true, testCommand: [] }),
      envConfig('staging', { runTests: true, testCommand: [], dependencyCache: false }),
    ])]);
    const v1 = { 'serverless.yml': 'service: cached\n', ...await lockedPackage('cached', { 'tiny-a': '1.0.0' }, registry.url, scripts) };
    const v2 = { 'handler.js': 'module.exports = 2;\n' }; // the same lockfile
    const v3 = await lockedPackage('cached', { 'tiny-a': '1.0.0', 'tiny-b': '2.0.0' }, registry.url, scripts);
    repo = harness.repo('cached', v1, v2, v3);
  });

  afterAll(async () => {
    await registry?.stop();
    registry?.cleanup();
    harness?.cleanup();
  });

  /** Each build gets its own empty npm cache, so only Trellis' cache can spare the registry. */
  let builds = 0;
  const build = (commit: string, environment = 'dev'): Promise<BuildRun> => harness.run({
    application: 'cached',
    environment,
    commit,
    gitUrl: repo.url,
    params: {
      [LOCAL_BUILD_SETTINGS.cacheDir]: cacheDir,
      npm_config_registry: registry.url,
      npm_config_offline: undefined,
      npm_config_cache: harness.path(`npm-cache-${++builds}`),
    },
  });
  const npmCalls = (run: BuildRun) => run.records.filter(record => record.tool === 'npm').map(record => record.argv.join(' '));
  const cacheEntries = () => listFiles(cacheDir);

  let first: BuildRun;
  test('a miss installs from the registry and saves node_modules', async () => {
    first = await build(repo.commits[0]);
    expect(first.code).toBe(0);
    expect(phaseOutcomes(first.markers).slice(0, 6)).toEqual([
      'prepare:succeeded', 'clone:succeeded', 'detect:succeeded', 'restore-cache:succeeded', 'install:succeeded', 'save-cache:succeeded',
    ]);
    expect(endOf(first.markers, 'restore-cache')?.detail).toMatch(/^miss: npm node\d+-\w+-\w+ [0-9a-f]{12}$/);
    expect(endOf(first.markers, 'save-cache')?.detail).toMatch(/^saved npm node\d+-\w+-\w+ [0-9a-f]{12}, [\d.]+ [kM]B to /);
    expect(npmCalls(first)).toEqual(['ci', 'run test']);
    expect(registry.requests).toContain('/tiny-a/-/tiny-a-1.0.0.tgz');
    expect(first.output).toContain('deps: a11.0.0');
    expect(cacheEntries()).toEqual([expect.stringMatching(/^deps\/cached\/dev\/npm\/node\d+-\w+-\w+\/[0-9a-f]{64}$/)]);
  });

  test('the same lockfile restores node_modules with the registry unreachable, and nothing is installed', async () => {
    await registry.stop();
    try {
      const second = await build(repo.commits[1]);
      expect(second.code).toBe(0);
      expect(endOf(second.markers, 'restore-cache')).toMatchObject({ outcome: 'succeeded', detail: expect.stringMatching(/^hit: npm .*, [\d.]+ [kM]B from /) });
      expect(endOf(second.markers, 'install')).toMatchObject({ outcome: 'skipped', detail: 'node_modules restored from the dependency cache' });
      expect(endOf(second.markers, 'save-cache')).toBeUndefined();
      expect(npmCalls(second)).toEqual(['run test']);
      expect(second.output).toContain('deps: a11.0.0');
      expect(readFileSync(join(second.workspace, 'node_modules', 'tiny-a', 'index.js'), 'utf8')).toContain('"a1"');
    } finally {
      await registry.restart();
    }
  });

  test('a changed lockfile misses, installs and saves a second entry', async () => {
    const fetched = registry.requests.length;
    const third = await build(repo.commits[2]);
    expect(third.code).toBe(0);
    expect(endOf(third.markers, 'restore-cache')?.detail).toMatch(/^miss: /);
    expect(npmCalls(third)).toEqual(['ci', 'run test']);
    expect(registry.requests.slice(fetched)).toContain('/tiny-b/-/tiny-b-2.0.0.tgz');
    expect(existsSync(join(third.workspace, 'node_modules', 'tiny-b'))).toBe(true);
    expect(cacheEntries()).toHaveLength(2);
  });

  test('an environment with the cache off neither restores nor saves', async () => {
    const before = cacheEntries();
    const off = await build(repo.commits[2], 'staging');
    expect(off.code).toBe(0);
    expect(endOf(off.markers, 'restore-cache')).toMatchObject({ outcome: 'skipped', detail: 'the dependency cache is off for this environment' });
    expect(endOf(off.markers, 'install')?.outcome).toBe('succeeded');
    expect(endOf(off.markers, 'save-cache')).toBeUndefined();
    expect(cacheEntries()).toEqual(before);
  });

  test('entries are per environment: another environment with the same lockfile misses', async () => {
    await harness.configure([appConfig('cached', [envConfig('dev', { runTests: true, testCommand: [] }), envConfig('preview', { runTests: false })])]);
    const other = await build(repo.commits[0], 'preview');
    expect(other.code).toBe(0);
    expect(endOf(other.markers, 'restore-cache')?.detail).toMatch(/^miss: /);
    expect(cacheEntries().filter(entry => entry.startsWith('deps/cached/preview/'))).toHaveLength(1);
  });
});

function listFiles(root: string, prefix = ''): string[] {
  if (!existsSync(root)) return [];
  return readdirSync(join(root, prefix), { withFileTypes: true }).flatMap(entry => {
    const path = prefix ? `${prefix}/${entry.name}` : entry.name;
    return entry.isDirectory() ? listFiles(root, path) : [path];
  }).sort();
}
