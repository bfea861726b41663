import { execFileSync } from 'child_process';
import {
  chownSync, closeSync, constants, existsSync, lchownSync, linkSync, lstatSync, mkdirSync, mkdtempSync, openSync, readdirSync,
  readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync, writeSync,
} from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { BuildRun, BuilderHarness, endOf, phaseOutcomes } from './harness';
import { asRoot, describeAsRoot } from './support/as-root';
import { APP_USER_SETTINGS } from '../../src/builder/app-user';
import { forgetStackOutputs } from '../../src/builder/health-check';
import {
  WorkspaceFileError, listWorkspaceDir, readWorkspaceFile, readWorkspaceText, removeWorkspacePath, workspaceEntry,
} from '../../src/builder/workspace-files';
import { LOCAL_BUILD_SETTINGS } from '../../src/local/local-build-settings';
import { BUILDER_EXIT, HealthCheckConfig } from '../../src/runtime/core';
import { appConfig, envConfig } from '../store/fixtures';
import { gitIn } from '../support/git-repo';

/**
 * The builder (root) reads and removes a few fixed files in the app's workspace after app code
 * ran there: the stack outputs file, the CDK assembly, the lockfile, the framework's config.
 * App code plants a symbolic link (or a FIFO) at such a path, or makes a parent directory a
 * link, so that root would read a file only root may read into the log, hang on a FIFO, or
 * remove a file outside the workspace. Each attack below is refused with a reason naming the
 * file, and nothing of the root-only file reaches the log.
 */
/** A build the attack would block ends well within this; the old code waited on the FIFO forever. */
const DEADLINE_MS = 20_000;

const check = (overrides: Partial<HealthCheckConfig>): HealthCheckConfig => ({
  minStatus: 200, maxStatus: 399, timeoutSeconds: 1, retries: 0, intervalSeconds: 0, ...overrides,
});

/** Node code (for `node -e`) that replaces `path` in the workspace with a link to `target`. */
const plantLink = (path: string, target: string) => ['node', '-e',
  `const fs = require("fs"), p = require("path"); fs.mkdirSync(p.dirname(${JSON.stringify(path)}), { recursive: true }); `
  + `fs.rmSync(${JSON.stringify(path)}, { recursive: true, force: true }); fs.symlinkSync(${JSON.stringify(target)}, ${JSON.stringify(path)})`];

describeAsRoot('builder: app-planted links and FIFOs in the workspace', 'the attack is on a root builder reading what the app uid planted', () => {
  // A uid no other test uses: stopping stray processes kills every process of the app's uid.
  const uid = 20000 + (process.pid % 20000);
  const canary = `ws-canary-${process.pid}-${Date.now()}`;
  let harness: BuilderHarness;
  let appHome: string;
  /** Root's private directory (0700): what the builder keeps for itself. */
  let privateDir: string;
  /** Root's directory the app may pass through (0711) but whose assets file only root reads. */
  let assemblyDir: string;
  /** A root-only file the app tries to make the builder remove. */
  let keepDir: string;
  let lockFifo: string;
  const repos: Record<string, { url: string; commit: string }> = {};

  beforeAll(async () => {
    harness = await BuilderHarness.create();
    appHome = harness.openToAppUser(uid);

    privateDir = harness.path('builder-private');
    mkdirSync(privateDir, { mode: 0o700 });
    writeFileSync(join(privateDir, 'outputs.json'), JSON.stringify({ SiteUrl: `http://127.0.0.1:9/${canary}` }), { mode: 0o600 });
    keepDir = harness.path('builder-keep');
    mkdirSync(keepDir, { mode: 0o700 });
    writeFileSync(join(keepDir, 'outputs.json'), 'keep me', { mode: 0o600 });
    assemblyDir = harness.path('builder-assembly');
    mkdirSync(assemblyDir, { mode: 0o711 });
    writeFileSync(join(assemblyDir, 'manifest.json'), JSON.stringify({ version: '36.0.0', artifacts: {} }), { mode: 0o644 });
    writeFileSync(join(assemblyDir, 'App.assets.json'), JSON.stringify({ version: '36.0.0', dockerImages: { [canary]: {} } }), { mode: 0o600 });
    lockFifo = harness.path('lock-fifo');
    execFileSync('mkfifo', ['-m', '600', lockFifo]);

    const deploy = (...code: string[]) => ['node', '-e', `const fs = require("fs"); fs.mkdirSync(".trellis", { recursive: true }); ${code.join(' ')}`];
    const custom = (overrides: { install?: string[]; deploy: string[] }) => ({ kind: 'custom' as const, remove: ['true'], ...overrides });
    const siteCheck = { healthCheck: check({ stackOutput: 'SiteUrl' }) };
    await harness.configure([
      appConfig('site', [
        // The deploy (app code) leaves a link where the builder reads the stack outputs.
        envConfig('link', { ...siteCheck, framework: custom({ deploy: plantLink('.trellis/outputs.json', join(privateDir, 'outputs.json')) }) }),
        // ... or makes the outputs file's directory a link to the builder's private directory.
        envConfig('parent', { ...siteCheck, framework: custom({ deploy: plantLink('.trellis', privateDir) }) }),
        // ... or leaves a FIFO there: a plain read would wait for a writer forever.
        envConfig('fifo', { ...siteCheck, framework: custom({ deploy: deploy('require("child_process").execFileSync("mkfifo", [".trellis/outputs.json"]);') }) }),
        // The install makes .trellis a link to a directory of root's: the builder forgets the outputs before the deploy.
        envConfig('forget', { ...siteCheck, framework: custom({ install: plantLink('.trellis', keepDir), deploy: ['true'] }) }),
      ]),
      // The install makes cdk.out a link to a directory of root's holding a root-only assets manifest.
      appConfig('assembly', [envConfig('dev', { framework: { kind: 'cdk', install: plantLink('cdk.out', assemblyDir) } })]),
      // The committed lockfile is a link to a FIFO: the cache key hashes it before any install.
      appConfig('locked', [envConfig('dev', { framework: { kind: 'custom', deploy: ['true'], remove: ['true'] } })]),
    ]);

    repos.site = commitWithLinks(harness.repo('site', { 'index.html': 'hi' }), {});
    repos.assembly = commitWithLinks(harness.repo('assembly', { 'cdk.json': '{}' }), {});
    repos.locked = commitWithLinks(harness.repo('locked', { 'package.json': '{"name":"locked","version":"1.0.0"}' }), { 'package-lock.json': lockFifo });
    for (const repo of Object.values(repos)) chownTree(repo.url.replace('file://', ''), uid);
  });

  afterAll(() => harness?.cleanup());

  /** Run a build; if it has not ended by the deadline, feed every FIFO it may wait on so it can end, and say so. */
  const build = async (application: string, environment: string): Promise<BuildRun & { late: boolean }> => {
    let late = false;
    const timer = setTimeout(() => {
      late = true;
      for (const fifo of [lockFifo, ...workspaceFifos(harness.root)]) feed(fifo);
    }, DEADLINE_MS);
    try {
      const run = await harness.run({
        application,
        environment,
        gitUrl: repos[application].url,
        commit: repos[application].commit,
        params: {
          [APP_USER_SETTINGS.uid]: String(uid),
          [APP_USER_SETTINGS.home]: appHome,
          [LOCAL_BUILD_SETTINGS.cacheDir]: harness.path('cache'),
          npm_config_cache: undefined,
        },
      });
      return { ...run, late };
    } finally {
      clearTimeout(timer);
    }
  };

  test('a link at .trellis/outputs.json to a root-only file: health fails naming the file, the file\'s content is not in the log', async () => {
    const run = await build('site', 'link');

    expect(run.late).toBe(false);
    expect(run.code).toBe(BUILDER_EXIT.unhealthy);
    expect(run.output).not.toContain(canary);
    expect(endOf(run.markers, 'health')?.detail).toBe(
      "stack output 'SiteUrl' not found: .trellis/outputs.json is a symbolic link (the builder follows no link in the workspace)",
    );
  }, DEADLINE_MS * 2);

  test('.trellis made a link to root\'s private directory: health fails naming the file, nothing of it in the log', async () => {
    const run = await build('site', 'parent');

    expect(run.late).toBe(false);
    expect(run.code).toBe(BUILDER_EXIT.unhealthy);
    expect(run.output).not.toContain(canary);
    expect(endOf(run.markers, 'health')?.detail).toBe(
      "stack output 'SiteUrl' not found: .trellis/outputs.json is under a symbolic link that leads out of the workspace",
    );
  }, DEADLINE_MS * 2);

  test('a FIFO at .trellis/outputs.json: the build ends at once with a clear reason instead of waiting for a writer', async () => {
    const run = await build('site', 'fifo');

    expect(run.late).toBe(false);
    expect(run.code).toBe(BUILDER_EXIT.unhealthy);
    expect(endOf(run.markers, 'health')?.detail).toBe("stack output 'SiteUrl' not found: .trellis/outputs.json is a FIFO, not a regular file");
  }, DEADLINE_MS * 2);

  test('.trellis made a link to a directory of root\'s: forgetting the stack outputs removes nothing there', async () => {
    const run = await build('site', 'forget');

    expect(run.late).toBe(false);
    expect(readFileSync(join(keepDir, 'outputs.json'), 'utf8')).toBe('keep me');
    expect(run.code).toBe(BUILDER_EXIT.unhealthy);
    expect(endOf(run.markers, 'health')?.detail).toBe(
      "stack output 'SiteUrl' not found: .trellis/outputs.json is under a symbolic link that leads out of the workspace",
    );
  }, DEADLINE_MS * 2);

  test('cdk.out made a link to a directory of root\'s: the build fails naming it, the root-only assets manifest is not read', async () => {
    const run = await build('assembly', 'dev');

    expect(run.late).toBe(false);
    expect(run.output).not.toContain(canary);
    expect(run.code).toBe(BUILDER_EXIT.failed);
    expect(phaseOutcomes(run.markers).slice(-1)).toEqual(['build:failed']);
    expect(endOf(run.markers, 'build')?.detail).toContain('cdk.out leads out of the workspace (a symbolic link)');
  }, DEADLINE_MS * 2);

  test('a committed lockfile that links to a FIFO: no cache key from it, the build does not wait on it', async () => {
    const run = await build('locked', 'dev');

    expect(run.late).toBe(false);
    expect(phaseOutcomes(run.markers).slice(0, 4)).toEqual(['prepare:succeeded', 'clone:succeeded', 'detect:succeeded', 'restore-cache:skipped']);
    expect(endOf(run.markers, 'restore-cache')?.detail).toBe(
      'the lockfile is not read: package-lock.json is a symbolic link (the builder follows no link in the workspace)',
    );
  }, DEADLINE_MS * 2);
});

describe('forgetStackOutputs', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'trellis-forget-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  test('with the outputs file\'s directory a link out of the workspace, the file there stays', () => {
    const workspace = join(root, 'workspace');
    const outside = join(root, 'outside');
    mkdirSync(workspace);
    mkdirSync(outside);
    writeFileSync(join(outside, 'outputs.json'), 'keep me');
    symlinkSync(outside, join(workspace, '.trellis'));

    forgetStackOutputs(workspace, '.trellis/outputs.json');

    expect(readFileSync(join(outside, 'outputs.json'), 'utf8')).toBe('keep me');
  });

  test('a committed outputs file is removed; a link there is removed, not what it points to', () => {
    const workspace = join(root, 'workspace');
    mkdirSync(join(workspace, '.trellis'), { recursive: true });
    writeFileSync(join(workspace, '.trellis/outputs.json'), '{}');
    forgetStackOutputs(workspace, '.trellis/outputs.json');
    expect(existsSync(join(workspace, '.trellis/outputs.json'))).toBe(false);

    writeFileSync(join(root, 'target.json'), 'keep me');
    symlinkSync(join(root, 'target.json'), join(workspace, '.trellis/outputs.json'));
    forgetStackOutputs(workspace, '.trellis/outputs.json');
    expect(() => lstatSync(join(workspace, '.trellis/outputs.json'))).toThrow(/ENOENT/);
    expect(readFileSync(join(root, 'target.json'), 'utf8')).toBe('keep me');
  });
});

/** Add `links` (path → target) to the repository in one more commit; returns its URL and that commit. */
function commitWithLinks(repo: { url: string; commits: string[] }, links: Record<string, string>): { url: string; commit: string } {
  const dir = repo.url.replace('file://', '');
  if (Object.keys(links).length === 0) return { url: repo.url, commit: repo.commits[repo.commits.length - 1] };
  for (const [path, target] of Object.entries(links)) symlinkSync(target, join(dir, path));
  const git = gitIn(dir);
  git('add', '-A');
  git('commit', '-q', '-m', 'links');
  return { url: repo.url, commit: git('rev-parse', 'HEAD') };
}

/** The app owns its fixture repository (git refuses another user's); links are changed, never what they point to. */
function chownTree(path: string, uid: number): void {
  lchownSync(path, uid, uid);
  if (!lstatSync(path).isDirectory()) return;
  for (const entry of readdirSync(path)) chownTree(join(path, entry), uid);
}

/** FIFOs at .trellis/outputs.json in the harness's workspaces. */
function workspaceFifos(root: string): string[] {
  return readdirSync(root).filter(name => name.startsWith('workspace-')).map(name => join(root, name, '.trellis/outputs.json'))
    .filter(path => {
      try {
        return lstatSync(path).isFIFO();
      } catch {
        return false;
      }
    });
}

/** Write `{}` to a FIFO a reader waits on (none waiting: nothing to do). */
function feed(fifo: string): void {
  try {
    // eslint-disable-next-line no-bitwise
    const fd = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
    try {
      writeSync(fd, '{}');
    } finally {
      closeSync(fd);
    }
  } catch {
    // no reader
  }
}

describe('workspace-files: reads, listings and removals in the app\'s workspace', () => {
  let root: string;
  let workspace: string;
  let outside: string;
  beforeEach(() => {
    root = realpathSync(mkdtempSync(join(tmpdir(), 'trellis-wsfiles-')));
    workspace = join(root, 'workspace');
    outside = join(root, 'outside');
    mkdirSync(join(workspace, 'dir'), { recursive: true });
    mkdirSync(outside);
    writeFileSync(join(workspace, 'dir/file.json'), '{"ok":true}');
    writeFileSync(join(outside, 'secret.json'), 'outside-secret');
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const refusal = (path: string, maxBytes?: number) => {
    try {
      readWorkspaceText(workspace, path, maxBytes);
      return 'read';
    } catch (error) {
      return error instanceof WorkspaceFileError ? `${error.missing ? 'missing: ' : ''}${error.message}` : `other: ${String(error)}`;
    }
  };

  test('a regular file inside is read; through a directory link that stays inside, too', () => {
    symlinkSync('dir', join(workspace, 'alias'));
    expect(readWorkspaceText(workspace, 'dir/file.json')).toBe('{"ok":true}');
    expect(readWorkspaceText(workspace, 'alias/file.json')).toBe('{"ok":true}');
  });

  test('a link as the file, a directory link out, a missing file: refused or missing, each naming the path', () => {
    symlinkSync(join(outside, 'secret.json'), join(workspace, 'dir/link.json'));
    symlinkSync('file.json', join(workspace, 'dir/inner-link.json'));
    symlinkSync(outside, join(workspace, 'out'));
    expect(refusal('dir/link.json')).toBe('dir/link.json is a symbolic link (the builder follows no link in the workspace)');
    expect(refusal('dir/inner-link.json')).toBe('dir/inner-link.json is a symbolic link (the builder follows no link in the workspace)');
    expect(refusal('out/secret.json')).toBe('out/secret.json is under a symbolic link that leads out of the workspace');
    expect(refusal('dir/none.json')).toBe('missing: dir/none.json does not exist');
    expect(refusal('none/none.json')).toBe('missing: none/none.json does not exist');
    expect(() => readWorkspaceText(workspace, '../outside/secret.json')).toThrow('not a path inside the workspace');
    expect(() => readWorkspaceText(workspace, join(outside, 'secret.json'))).toThrow('not a path inside the workspace');
  });

  test('a FIFO, a directory, a device and an oversized file are refused at once', () => {
    execFileSync('mkfifo', [join(workspace, 'fifo')]);
    symlinkSync('/dev/zero', join(workspace, 'zero'));
    writeFileSync(join(workspace, 'big'), Buffer.alloc(2048));
    expect(refusal('fifo')).toBe('fifo is a FIFO, not a regular file');
    expect(refusal('dir')).toBe('dir is a directory, not a regular file');
    expect(refusal('zero')).toBe('zero is a symbolic link (the builder follows no link in the workspace)');
    expect(refusal('big', 1024)).toBe('big is larger than 1024 bytes');
    expect(readWorkspaceFile(workspace, 'big', 2048)).toHaveLength(2048);
  });

  test('entries are as lstat sees them; a link to a directory out is a link, listing through it is refused', () => {
    symlinkSync(outside, join(workspace, 'out'));
    expect(workspaceEntry(workspace, 'out')).toBe('link');
    expect(workspaceEntry(workspace, 'dir')).toBe('directory');
    expect(workspaceEntry(workspace, 'dir/file.json')).toBe('file');
    expect(workspaceEntry(workspace, 'out/secret.json')).toBeUndefined();
    expect(workspaceEntry(workspace, 'none')).toBeUndefined();
    expect(listWorkspaceDir(workspace, '.')?.map(entry => `${entry.name}:${entry.isDirectory()}`).sort()).toEqual(['dir:true', 'out:false']);
    expect(() => listWorkspaceDir(workspace, 'out')).toThrow('out leads out of the workspace (a symbolic link)');
    expect(listWorkspaceDir(workspace, 'none')).toBeUndefined();
  });

  test('removal never reaches out: a link is removed itself, under a directory link out nothing is removed', () => {
    symlinkSync(outside, join(workspace, 'out'));
    symlinkSync(join(outside, 'secret.json'), join(workspace, 'dir/link.json'));
    removeWorkspacePath(workspace, 'out/secret.json');
    removeWorkspacePath(workspace, 'dir/link.json');
    expect(readFileSync(join(outside, 'secret.json'), 'utf8')).toBe('outside-secret');
    expect(workspaceEntry(workspace, 'dir/link.json')).toBeUndefined();
    // A directory holding a link out: the directory goes, what the link points to stays.
    symlinkSync(outside, join(workspace, 'dir/out'));
    removeWorkspacePath(workspace, 'dir');
    expect(workspaceEntry(workspace, 'dir')).toBeUndefined();
    expect(readFileSync(join(outside, 'secret.json'), 'utf8')).toBe('outside-secret');
  });

  (asRoot ? test : test.skip)('in a workspace another uid owns, a hard link to root\'s file is refused (needs root)', () => {
    const uid = 20000 + (process.pid % 20000);
    chownSync(workspace, uid, uid);
    chownSync(join(workspace, 'dir'), uid, uid);
    chownSync(join(workspace, 'dir/file.json'), uid, uid);
    linkSync(join(outside, 'secret.json'), join(workspace, 'dir/hard.json'));
    expect(readWorkspaceText(workspace, 'dir/file.json')).toBe('{"ok":true}');
    expect(refusal('dir/hard.json')).toBe(`dir/hard.json is owned by uid 0, not by the workspace's owner (uid ${uid})`);
  });
});
