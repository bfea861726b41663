import { execFileSync } from 'child_process';
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'fs';
import { join } from 'path';
import { BuildRun, BuilderHarness, endOf, phaseOutcomes } from './harness';
import { describeAsRoot } from './support/as-root';
import { TinyRegistry, lockedPackage } from './support/tiny-registry';
import { APP_USER_SETTINGS, AppUser, chooseAppUser } from '../../src/builder/app-user';
import { restoreDependencies } from '../../src/builder/dependency-cache';
import { FolderCacheStorage } from '../../src/builder/folder-cache-storage';
import { BUILD_PARAMETERS } from '../../src/contract/build-environment';
import { LOCAL_BUILD_SETTINGS } from '../../src/local/local-build-settings';
import { appConfig, depId, envConfig, queuedDeployment } from '../store/fixtures';

/**
 * The app's commands under their own uid: the builder runs as root (as in its image) with
 * TRELLIS_APP_UID, and an app whose install scripts, test and deploy attack the builder: read
 * the environment of every ancestor process and of PID 1, read a file only the builder may
 * read, write into the builder's program directory, leave a process running in the background.
 * All of it fails while the build succeeds; the same app without the uid succeeds at all of it.
 */
describeAsRoot('builder: the app runs under its own uid', 'the builder must be root to run the app\'s commands as another uid', () => {
  // A uid no other test uses: stopping stray processes kills every process of the app's uid.
  const uid = 40000 + (process.pid % 20000);
  let harness: BuilderHarness;
  let registry: TinyRegistry;
  let appHome: string;
  let secretFile: string;
  let cacheDir: string;
  let artifactDir: string;
  let repo: { url: string; commits: string[] };
  let rootRepo: { url: string; commits: string[] };
  const envCanary = `env-canary-${process.pid}-${Date.now()}`;
  const uriCanary = `uri-canary-${process.pid}-${Date.now()}`;
  const fileCanary = `file-canary-${process.pid}-${Date.now()}`;
  let ids = 500;

  beforeAll(async () => {
    harness = await BuilderHarness.create();
    registry = await TinyRegistry.start([{ name: 'tiny-a', version: '1.0.0', value: 'a1' }]);
    appHome = harness.openToAppUser(uid);
    // What the builder keeps for itself: a root-only file (like a token it wrote).
    secretFile = harness.path('builder-secret');
    writeFileSync(secretFile, fileCanary, { mode: 0o600 });
    cacheDir = harness.path('cache');
    artifactDir = harness.path('artifacts');
    const programDir = harness.root; // where the bundled builder (entry.js) is

    const attack = `const fs = require('fs');
const phase = process.argv[2];
const attempt = (what, action) => {
  try { console.log('attack ' + phase + ' ' + what + ': succeeded ' + String(action()).replace(/\\0/g, ' ')); }
  catch (error) { console.log('attack ' + phase + ' ' + what + ': ' + (error.code || error.message)); }
};
const parentOf = pid => Number(fs.readFileSync('/proc/' + pid + '/stat', 'utf8').replace(/^.*\\) /, '').split(' ')[1]);
// The app's own processes (npm, sh) are its to read; from the builder up, none is.
let builderFound = false;
for (let pid = process.ppid; pid > 1; pid = parentOf(pid)) {
  const target = pid;
  builderFound = builderFound || fs.readFileSync('/proc/' + pid + '/cmdline', 'utf8').includes(${JSON.stringify(join(programDir, 'entry.js'))});
  if (builderFound) attempt('reads the environ of ancestor ' + target + (target === builderPid() ? ' (the builder)' : ''), () => fs.readFileSync('/proc/' + target + '/environ', 'latin1'));
}
function builderPid() {
  for (let pid = process.ppid; pid > 1; pid = parentOf(pid)) if (fs.readFileSync('/proc/' + pid + '/cmdline', 'utf8').includes('entry.js')) return pid;
}
attempt('reads the environ of pid 1', () => fs.readFileSync('/proc/1/environ', 'latin1'));
attempt('reads the builder secret', () => fs.readFileSync(${JSON.stringify(secretFile)}, 'utf8'));
attempt('writes into the builder program directory', () => { fs.writeFileSync(${JSON.stringify(join(programDir, 'planted.js'))}, 'x'); return 'planted'; });
attempt('changes the builder program', () => { fs.appendFileSync(${JSON.stringify(join(programDir, 'entry.js'))}, '\\n'); return 'changed'; });
console.log('attack ' + phase + ' ran as uid ' + process.getuid() + ' with groups ' + JSON.stringify(process.getgroups()));
`;
      // postinstall also leaves a process behind that would outlive the install.
    const stray = 'node -e "const c = require(\'child_process\').spawn(process.execPath, [\'-e\', \'setInterval(() => {}, 1000)\'], '
        + '{ detached: true, stdio: \'ignore\' }); require(\'fs\').writeFileSync(\'stray.pid\', String(c.pid)); c.unref()"';
    const scripts = {
      preinstall: 'node attack.js preinstall',
      postinstall: `node attack.js postinstall && ${stray}`,
      test: 'node attack.js test && node -e "console.log(\'deps: \' + require(\'tiny-a\').value)"',
    };
    const deploy = "require('fs').writeFileSync('deployed.txt', 'deployed by uid ' + process.getuid()); console.log('deployed by uid ' + process.getuid());\n";
    const files = {
      'attack.js': attack,
      'deploy.js': `require('child_process').execFileSync(process.execPath, ['attack.js', 'deploy'], { stdio: 'inherit' });\n${deploy}`,
      ...await lockedPackage('attacked', { 'tiny-a': '1.0.0' }, registry.url, scripts),
    };
    repo = harness.repo('attacked', files);
    // git refuses to fetch from a repository another user owns ("dubious ownership"): the fixture is the app's,
    // and the old way (git as root) clones a copy root owns.
    chownTree(repo.url.replace('file://', ''), uid);
    rootRepo = harness.repo('attacked-as-root', files);
    await harness.configure([appConfig('attacked', [envConfig('dev', {
      runTests: true,
      // With a deploy role the deploy gets the assumed role's credentials, never the task role's endpoint.
      deployRoleArn: 'arn:aws:iam::111122223333:role/attacked-dev-deploy',
      framework: { kind: 'custom', deploy: ['node', 'deploy.js'], remove: ['node', 'deploy.js'], artifact: ['deploy.js', 'attack.js'] },
    })])]);
  });

  afterAll(async () => {
    rmSync(join(harness.root, 'planted.js'), { force: true });
    await registry?.stop();
    registry?.cleanup();
    harness?.cleanup();
  });

  let builds = 0;
  const build = (options: { appUser: boolean; action?: 'rollback'; deploymentId?: string }): Promise<BuildRun> => harness.run({
    application: 'attacked',
    environment: 'dev',
    commit: options.appUser ? repo.commits[0] : rootRepo.commits[0],
    gitUrl: options.appUser ? repo.url : rootRepo.url,
    action: options.action,
    params: {
      ...(options.appUser ? { [APP_USER_SETTINGS.uid]: String(uid), [APP_USER_SETTINGS.home]: appHome } : {}),
      ...(options.deploymentId ? { [BUILD_PARAMETERS.deploymentId]: options.deploymentId } : {}),
      // What the container's environment holds and app code must never see.
      TRELLIS_TEST_CANARY: envCanary,
      AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: `/v2/credentials/${uriCanary}`,
      // The old way installs (its install scripts attack), the cache would restore instead.
      [LOCAL_BUILD_SETTINGS.cacheDir]: options.appUser ? cacheDir : undefined,
      [LOCAL_BUILD_SETTINGS.artifactDir]: artifactDir,
      npm_config_registry: registry.url,
      npm_config_offline: undefined,
      // The app's npm cache is in its HOME (the builder's own HOME is root's).
      npm_config_cache: options.appUser ? undefined : harness.path(`npm-cache-${++builds}`),
    },
  });
  const attackLines = (run: BuildRun, phase: string) => run.lines.filter(line => line.startsWith(`attack ${phase} `));
  const strayPid = (run: BuildRun) => Number(readFileSync(join(run.workspace, 'stray.pid'), 'utf8'));

  let first: BuildRun;
  test('install scripts, test and deploy run as the app uid: every attack on the builder fails with EACCES, the build succeeds', async () => {
    first = await build({ appUser: true });

    expect(first.code).toBe(0);
    expect(endOf(first.markers, 'save-artifact')?.detail).toMatch(/^saved custom artifact, /);
    expect(phaseOutcomes(first.markers)).toEqual([
      'prepare:succeeded', 'clone:succeeded', 'detect:succeeded', 'restore-cache:succeeded', 'install:succeeded', 'save-cache:succeeded',
      'test:succeeded', 'build:skipped', 'deploy:succeeded', 'save-artifact:succeeded',
    ]);
    // Logged once: which way the commands run.
    expect(first.lines.filter(line => line.startsWith('the app\'s commands run as'))).toEqual([
      `the app's commands run as uid ${uid}, gid ${uid} (HOME ${appHome}), not as the builder (uid 0)`,
    ]);
    for (const phase of ['preinstall', 'postinstall', 'test', 'deploy']) {
      const lines = attackLines(first, phase);
      expect(lines).toContain(`attack ${phase} ran as uid ${uid} with groups [${uid}]`);
      const attempts = lines.filter(line => !line.includes(' ran as uid '));
      expect(attempts.filter(line => / \(the builder\): /.test(line))).toHaveLength(1);
      // The builder, the harness above it, pid 1, the secret, the program directory and file.
      expect(attempts.length).toBeGreaterThanOrEqual(6);
      expect(attempts.filter(line => !line.endsWith(': EACCES'))).toEqual([]);
    }
    for (const canary of [envCanary, uriCanary, fileCanary]) expect(first.output).not.toContain(canary);
    expect(existsSync(join(harness.root, 'planted.js'))).toBe(false);
    expect(first.output).toContain('deps: a1');
  });

  test('the workspace and what the app made there are the app uid\'s; the HOME it used is its own', () => {
    for (const path of ['.', 'package.json', '.git', 'node_modules', 'node_modules/tiny-a/index.js', 'deployed.txt']) {
      expect({ path, uid: lstatSync(join(first.workspace, path)).uid }).toEqual({ path, uid });
    }
    expect(readFileSync(join(first.workspace, 'deployed.txt'), 'utf8')).toBe(`deployed by uid ${uid}`);
    expect((statSync(first.workspace).mode % 0o1000).toString(8)).toBe('700');
    expect(existsSync(join(appHome, '.npm'))).toBe(true);
  });

  test('a process an install script left running does not outlive its command', () => {
    expect(isRunning(strayPid(first))).toBe(false);
  });

  test('the cache entry and the artifact the builder saved are its own; a restore unpacks node_modules as the app uid', async () => {
    const stored = listFiles(cacheDir).concat(listFiles(artifactDir));
    expect(stored).toHaveLength(2);
    for (const file of stored) expect(statSync(file).uid).toBe(0);

    const second = await build({ appUser: true });
    expect(second.code).toBe(0);
    expect(endOf(second.markers, 'restore-cache')?.detail).toMatch(/^hit: /);
    expect(endOf(second.markers, 'install')?.outcome).toBe('skipped');
    expect(lstatSync(join(second.workspace, 'node_modules/tiny-a/index.js')).uid).toBe(uid);
    expect(second.output).toContain('deps: a1');
    expect(attackLines(second, 'test').filter(line => !line.includes(' ran as uid ') && !line.endsWith(': EACCES'))).toEqual([]);
  });

  test('a rollback unpacks the stored artifact as the app uid and deploys it', async () => {
    await harness.succeeded(first);
    await harness.storeLog(first);
    const id = depId(++ids);
    await harness.record(queuedDeployment(id, 'attacked', 'dev', {
      action: 'rollback', commit: repo.commits[0], trigger: { kind: 'rollback', actor: 'octocat', sourceDeploymentId: first.deploymentId },
    }));
    const rollback = await build({ appUser: true, action: 'rollback', deploymentId: id });

    expect(rollback.code).toBe(0);
    expect(phaseOutcomes(rollback.markers)).toEqual(['prepare:succeeded', 'fetch-artifact:succeeded', 'deploy:succeeded', 'save-artifact:skipped']);
    for (const path of ['.', 'deploy.js', 'deployed.txt']) expect({ path, uid: lstatSync(join(rollback.workspace, path)).uid }).toEqual({ path, uid });
    expect(attackLines(rollback, 'deploy').filter(line => !line.includes(' ran as uid ') && !line.endsWith(': EACCES'))).toEqual([]);
  });

  test('the old way, without TRELLIS_APP_UID: the same app reads the builder\'s environment and secret and plants a file', async () => {
    const old = await build({ appUser: false });
    try {
      expect({ code: old.code, output: old.code === 0 ? '' : old.output }).toEqual({ code: 0, output: '' });
      expect(old.lines).toContain('the app\'s commands run as the builder\'s own user (uid 0): TRELLIS_APP_UID is not set');
      expect(attackLines(old, 'preinstall')).toContainEqual(expect.stringMatching(/^attack preinstall ran as uid 0 with groups /));
      expect(attackLines(old, 'preinstall').find(line => / \(the builder\): /.test(line))).toContain(envCanary);
      expect(old.output).toContain(uriCanary);
      expect(old.output).toContain(fileCanary);
      expect(existsSync(join(harness.root, 'planted.js'))).toBe(true);
      expect(isRunning(strayPid(old))).toBe(true);
    } finally {
      if (existsSync(join(old.workspace, 'stray.pid')) && isRunning(strayPid(old))) process.kill(strayPid(old), 'SIGKILL');
      rmSync(join(harness.root, 'planted.js'), { force: true });
    }
  });

  test('a cache entry holding a root-owned setuid program unpacks as the app\'s file without setuid; as root it would stay root\'s and setuid', async () => {
    const source = harness.path('evil/node_modules');
    mkdirSync(source, { recursive: true });
    writeFileSync(join(source, 'su-me'), '#!/bin/sh\nid\n');
    chmodSync(join(source, 'su-me'), 0o4755);
    const storage = new FolderCacheStorage(harness.path('evil-cache'));
    execFileSync('tar', ['-cf', harness.path('evil.tar'), '-C', harness.path('evil'), 'node_modules']);
    await storage.store('deps/evil', harness.path('evil.tar'));
    const unpack = async (name: string, user?: AppUser) => {
      const workspace = harness.path(name);
      mkdirSync(workspace);
      if (user) chownSync(workspace, user.uid, user.gid);
      expect(await restoreDependencies(storage, 'deps/evil', workspace, harness.path(`${name}.tar`), user)).toMatchObject({ hit: true });
      const stat = statSync(join(workspace, 'node_modules/su-me'));
      return { uid: stat.uid, setuid: Math.floor(stat.mode / 0o4000) % 2 === 1 };
    };

    expect(await unpack('evil-app', { uid, gid: uid, home: appHome })).toEqual({ uid, setuid: false });
    expect(await unpack('evil-root')).toEqual({ uid: 0, setuid: true });
  });

  test('a wrong app user setting fails prepare with exit 2 and names the setting; nothing is cloned', async () => {
    const wrongHome = harness.path('not-the-apps');
    mkdirSync(wrongHome, { recursive: true });
    for (const [params, message] of [
      [{ [APP_USER_SETTINGS.uid]: '0', [APP_USER_SETTINGS.home]: appHome }, `${APP_USER_SETTINGS.uid}: '0' is not a uid from 1 to`],
      [{ [APP_USER_SETTINGS.uid]: `${uid}; id`, [APP_USER_SETTINGS.home]: appHome }, `${APP_USER_SETTINGS.uid}: '${uid}; id' is not a uid`],
      [{ [APP_USER_SETTINGS.uid]: String(uid) }, `${APP_USER_SETTINGS.home}: is not set`],
      [{ [APP_USER_SETTINGS.uid]: String(uid), [APP_USER_SETTINGS.home]: wrongHome }, `${APP_USER_SETTINGS.home}: ${wrongHome} is owned by uid 0, not by ${uid}`],
      // The image's builder (root) without an app user runs nothing rather than the app as root.
      [{ TRELLIS_TEST_APP_USER_REQUIRED: '1' }, 'the app user: none, and this builder may not run app code as itself'],
    ] as const) {
      const run = await harness.run({ application: 'attacked', environment: 'dev', commit: repo.commits[0], gitUrl: repo.url, params });
      expect(run.code).toBe(2);
      expect(phaseOutcomes(run.markers)).toEqual(['prepare:failed']);
      expect(run.output).toContain(message);
      expect(readdirSync(run.workspace)).toEqual([]);
    }
  });
});

describe('chooseAppUser', () => {
  test('not root, or no uid configured: the builder\'s own user, and the log line says why', () => {
    expect(chooseAppUser({ [APP_USER_SETTINGS.uid]: '10001', [APP_USER_SETTINGS.home]: '/' }, 1000)).toEqual({
      description: 'the app\'s commands run as the builder\'s own user (uid 1000): the builder is not root, so TRELLIS_APP_UID cannot be used',
    });
    expect(chooseAppUser({}, 0)).toEqual({ description: 'the app\'s commands run as the builder\'s own user (uid 0): TRELLIS_APP_UID is not set' });
  });

  test('the gid defaults to the uid; ids must be plain numbers above 0', () => {
    expect(chooseAppUser({ [APP_USER_SETTINGS.uid]: '12', [APP_USER_SETTINGS.gid]: '-1', [APP_USER_SETTINGS.home]: '/' }, 0))
      .toEqual({ problem: 'TRELLIS_APP_GID: \'-1\' is not a gid from 1 to 2147483646' });
    expect(chooseAppUser({ [APP_USER_SETTINGS.uid]: '4294967295', [APP_USER_SETTINGS.home]: '/' }, 0))
      .toEqual({ problem: 'TRELLIS_APP_UID: \'4294967295\' is not a uid from 1 to 2147483646' });
    expect(chooseAppUser({ [APP_USER_SETTINGS.uid]: '12', [APP_USER_SETTINGS.home]: 'home' }, 0))
      .toEqual({ problem: 'TRELLIS_APP_HOME: \'home\' is not an absolute path' });
  });
});

function isRunning(pid: number): boolean {
  try {
    // A killed orphan may linger as a zombie until its new parent reaps it.
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

function chownTree(path: string, uid: number): void {
  chownSync(path, uid, uid);
  if (!lstatSync(path).isDirectory()) return;
  for (const entry of readdirSync(path)) chownTree(join(path, entry), uid);
}

function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap(entry => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? listFiles(path) : [path];
  });
}
