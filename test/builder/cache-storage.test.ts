import { randomBytes } from 'crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { decideCache, restoreDependencies, saveDependencies, shortKey } from '../../src/builder/dependency-cache';
import { Project } from '../../src/builder/detect';
import { FolderCacheStorage } from '../../src/builder/folder-cache-storage';
import { envConfig } from '../store/fixtures';

describe('dependency cache: keys, folder storage, archives', () => {
  let root: string;
  beforeEach(() => { root = mkdtempSync(join(tmpdir(), 'trellis-cache-unit-')); });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const npmProject: Project = { packageManager: 'npm', lockfile: 'package-lock.json', hasPackageJson: true, hasTestScript: true, framework: { kind: 'sst', label: 'sst' } };
  const runtime = { node: '22.11.0', platform: 'linux', arch: 'x64' };
  const workspaceWith = (lockfile: string) => {
    const dir = join(root, `ws-${Math.random().toString(36).slice(2)}`);
    mkdirSync(dir);
    writeFileSync(join(dir, 'package-lock.json'), lockfile);
    return dir;
  };
  const keyOf = (decision: ReturnType<typeof decideCache>) => ('key' in decision ? decision.key : decision.skip);

  test('the key names app, environment, package manager, Node major, platform and the lockfile hash', () => {
    const key = keyOf(decideCache('shop', envConfig('dev'), npmProject, workspaceWith('{"a":1}'), runtime));
    expect(key).toMatch(/^deps\/shop\/dev\/npm\/node22-linux-x64\/[0-9a-f]{64}$/);
    expect(shortKey(key)).toMatch(/^npm node22-linux-x64 [0-9a-f]{12}$/);
  });

  test('a different lockfile, environment or Node major is a different key; a Node minor is not', () => {
    const ws = workspaceWith('{"a":1}');
    const base = keyOf(decideCache('shop', envConfig('dev'), npmProject, ws, runtime));
    expect(keyOf(decideCache('shop', envConfig('dev'), npmProject, workspaceWith('{"a":2}'), runtime))).not.toBe(base);
    expect(keyOf(decideCache('shop', envConfig('prod'), npmProject, ws, runtime))).not.toBe(base);
    expect(keyOf(decideCache('shop', envConfig('dev'), npmProject, ws, { ...runtime, node: '24.0.0' }))).not.toBe(base);
    expect(keyOf(decideCache('shop', envConfig('dev'), npmProject, ws, { ...runtime, node: '22.12.1' }))).toBe(base);
  });

  test.each([
    ['off for the environment', envConfig('dev', { dependencyCache: false }), npmProject, 'the dependency cache is off for this environment'],
    ['no package.json', envConfig('dev'), { ...npmProject, hasPackageJson: false }, 'no package.json'],
    ['a configured install command', envConfig('dev', { framework: { kind: 'custom', install: ['make', 'deps'], deploy: ['make', 'deploy'] } }), npmProject,
      'a configured install command is not cached'],
    ['no lockfile', envConfig('dev'), { ...npmProject, lockfile: undefined }, 'no lockfile to key the cache by'],
  ])('no cache: %s', (_name, env, project, reason) => {
    expect(decideCache('shop', env, project, workspaceWith('{}'), runtime)).toEqual({ skip: reason });
  });

  test('folder storage: store then fetch returns the same bytes; an unknown key is a miss', async () => {
    const storage = new FolderCacheStorage(join(root, 'cache'));
    writeFileSync(join(root, 'in'), 'archive bytes');
    await storage.store('deps/a/dev/npm/node22-linux-x64/abc.tar.gz', join(root, 'in'));
    expect(await storage.fetch('deps/a/dev/npm/node22-linux-x64/abc.tar.gz', join(root, 'out'))).toBe(true);
    expect(readFileSync(join(root, 'out'), 'utf8')).toBe('archive bytes');
    expect(await storage.fetch('deps/a/dev/npm/node22-linux-x64/other.tar.gz', join(root, 'out2'))).toBe(false);
    expect(existsSync(join(root, 'out2'))).toBe(false);
  });

  test('folder storage: over the cap, the least recently used entries go and the new one stays', async () => {
    const storage = new FolderCacheStorage(join(root, 'cache'), 25);
    const put = async (key: string, at: number) => {
      writeFileSync(join(root, 'in'), '0123456789'); // 10 bytes
      await storage.store(key, join(root, 'in'));
      utimesSync(join(root, 'cache', key), at, at);
    };
    await put('old', 1000);
    await put('used', 2000);
    await storage.fetch('old', join(root, 'out')); // now the most recently used
    await put('new', 3000);
    expect([existsSync(join(root, 'cache', 'old')), existsSync(join(root, 'cache', 'used')), existsSync(join(root, 'cache', 'new'))])
      .toEqual([true, false, true]);
  });

  test('folder storage: a key cannot leave the folder', async () => {
    const storage = new FolderCacheStorage(join(root, 'cache'));
    writeFileSync(join(root, 'in'), 'x');
    await expect(storage.store('../escaped', join(root, 'in'))).rejects.toThrow("invalid cache key '../escaped'");
    await expect(storage.fetch('deps/../../escaped', join(root, 'out'))).rejects.toThrow(/invalid cache key/);
    expect(existsSync(join(root, 'escaped'))).toBe(false);
  });

  test('save then restore round-trips node_modules; a damaged archive is a miss and leaves no node_modules', async () => {
    const storage = new FolderCacheStorage(join(root, 'cache'));
    const source = workspaceWith('{}');
    mkdirSync(join(source, 'node_modules', 'dep'), { recursive: true });
    writeFileSync(join(source, 'node_modules', 'dep', 'index.js'), 'module.exports = 42;');
    expect(await saveDependencies(storage, 'k.tar.gz', source, join(root, 'save.tgz'))).toMatchObject({ saved: true });
    expect(existsSync(join(root, 'save.tgz'))).toBe(false); // the temporary archive is removed

    const target = workspaceWith('{}');
    expect(await restoreDependencies(storage, 'k.tar.gz', target, join(root, 'restore.tgz'))).toMatchObject({ hit: true });
    expect(readFileSync(join(target, 'node_modules', 'dep', 'index.js'), 'utf8')).toBe('module.exports = 42;');

    writeFileSync(join(root, 'damaged'), 'not a gzip archive');
    await storage.store('damaged.tar.gz', join(root, 'damaged'));
    const third = workspaceWith('{}');
    const result = await restoreDependencies(storage, 'damaged.tar.gz', third, join(root, 'restore.tgz'));
    expect(result).toMatchObject({ hit: false, problem: expect.stringMatching(/^the cached archive could not be unpacked/) });
    expect(existsSync(join(third, 'node_modules'))).toBe(false);
  });

  test('a local folder keeps plain tar archives; a storage that compresses (S3) gets gzip, and both restore', async () => {
    const folder = new FolderCacheStorage(join(root, 'cache'));
    const gzipped = Object.assign(Object.create(folder) as FolderCacheStorage, { compress: true });
    const source = workspaceWith('{}');
    mkdirSync(join(source, 'node_modules', 'dep'), { recursive: true });
    writeFileSync(join(source, 'node_modules', 'dep', 'index.js'), 'module.exports = 7;');
    await saveDependencies(folder, 'plain', source, join(root, 'plain.tar'));
    await saveDependencies(gzipped, 'gzipped', source, join(root, 'gzipped.tar'));
    expect(readFileSync(join(root, 'cache', 'plain')).subarray(257, 262).toString()).toBe('ustar');
    expect([...readFileSync(join(root, 'cache', 'gzipped')).subarray(0, 2)]).toEqual([0x1f, 0x8b]);
    for (const [storage, key] of [[folder, 'plain'], [gzipped, 'gzipped']] as const) {
      const target = workspaceWith('{}');
      expect(await restoreDependencies(storage, key, target, join(root, 'restore'))).toMatchObject({ hit: true });
      expect(readFileSync(join(target, 'node_modules', 'dep', 'index.js'), 'utf8')).toBe('module.exports = 7;');
    }
  });

  test('save: no node_modules, or an archive over the limit, is not saved', async () => {
    const storage = new FolderCacheStorage(join(root, 'cache'));
    const empty = workspaceWith('{}');
    expect(await saveDependencies(storage, 'a.tar.gz', empty, join(root, 'a.tgz')))
      .toEqual({ saved: false, reason: 'the install made no node_modules: nothing to cache (no dependencies?)' });
    writeFileSync(join(empty, '.pnp.cjs'), '');
    expect(await saveDependencies(storage, 'a.tar.gz', empty, join(root, 'a.tgz'))).toEqual({ saved: false, reason: "Yarn Plug'n'Play keeps no node_modules to cache" });
    const big = workspaceWith('{}');
    mkdirSync(join(big, 'node_modules'));
    writeFileSync(join(big, 'node_modules', 'blob'), randomBytes(100_000)); // does not compress
    const result = await saveDependencies(storage, 'b.tar.gz', big, join(root, 'b.tgz'), 1000);
    expect(result).toEqual({ saved: false, reason: expect.stringMatching(/^the archive is [\d.]+ kB, over the 1.0 kB limit$/) });
    expect(existsSync(join(root, 'cache', 'b.tar.gz'))).toBe(false);
  });
});
