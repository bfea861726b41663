import { execFile } from 'child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { promisify } from 'util';
import { TinyIndex, TinyWheel } from './support/tiny-index';
import { BuildError } from '../../src/builder/build-error';
import { FolderCacheStorage } from '../../src/builder/folder-cache-storage';
import { restorePythonCache, savePythonCache } from '../../src/builder/python-cache';
import {
  PYTHON_VENV, PipfileLockError, PythonPlan, pipfileRequirements, planPythonDependencies, pythonCacheKey, systemPythonVersion,
} from '../../src/builder/python-deps';
import { ensureUv } from '../support/python-tools';

/**
 * A Python app's dependencies: the plan for each shape (uv.lock, requirements.txt,
 * pyproject.toml, Pipfile.lock), then the plan really run with the pinned uv against a PEP 503
 * index on 127.0.0.1 serving wheels this test builds, uv's cache saved and restored into
 * another folder, and the install repeated with the index gone.
 */

const run = promisify(execFile);
const A: TinyWheel = { name: 'tdemo', version: '1.2.0' };
const A2: TinyWheel = { name: 'tdemo', version: '1.3.0' };
const B: TinyWheel = { name: 'tother', version: '2.0.1' };

type Shape = 'requirements.txt' | 'pyproject.toml' | 'uv.lock' | 'Pipfile.lock';
const SHAPES: readonly Shape[] = ['requirements.txt', 'pyproject.toml', 'uv.lock', 'Pipfile.lock'];

let uvDir: string;
let scratch: string;
let python: string;

beforeAll(async () => {
  uvDir = join(await ensureUv(), '..'); // a fresh machine: pip installs uv from PyPI once
  scratch = mkdtempSync(join(tmpdir(), 'trellis-python-'));
  python = systemPythonVersion();
}, 10 * 60_000);

afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

let dirs = 0;
const newDir = (name: string) => {
  const dir = join(scratch, `${name}-${++dirs}`);
  mkdirSync(dir, { recursive: true });
  return dir;
};
const writeFiles = (dir: string, files: Record<string, string>) => {
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
  return dir;
};

/** What the commands see besides the plan's env: uv on PATH, no user config, the test's index, no retries. */
const commandEnv = (plan: PythonPlan, index: TinyIndex | undefined): Record<string, string> => ({
  PATH: [...plan.pathFirst, uvDir, process.env.PATH].join(':'),
  HOME: scratch,
  UV_NO_CONFIG: '1',
  UV_HTTP_RETRIES: '0',
  UV_HTTP_TIMEOUT: '10',
  ...index && { UV_DEFAULT_INDEX: index.url },
  ...plan.env,
});

const runInstall = async (plan: PythonPlan, dir: string, index?: TinyIndex) => {
  for (const argv of plan.install) await run(argv[0], argv.slice(1), { cwd: dir, env: commandEnv(plan, index) });
};

/** `VERSION` of each module, imported by the venv's python. */
const importedVersions = async (dir: string, modules: readonly string[]) => {
  const code = `import ${modules.join(', ')}; print(" ".join([${modules.map(m => `${m}.VERSION`).join(', ')}]))`;
  const { stdout } = await run(join(dir, PYTHON_VENV, 'bin', 'python'), ['-c', code], { cwd: dir });
  return stdout.trim();
};

const plan = (dir: string, cacheDir = newDir('uv-cache')): PythonPlan => {
  const planned = planPythonDependencies(dir, { cacheDir, scratchDir: scratch });
  if (!planned || 'skip' in planned) throw new Error(`no plan: ${JSON.stringify(planned)}`);
  return planned;
};

const PYPROJECT = (deps: readonly string[]) =>
  `[project]\nname = "demo-app"\nversion = "0.1.0"\nrequires-python = ">=3.8"\ndependencies = [${deps.map(d => JSON.stringify(d)).join(', ')}]\n`;

const pipfileLock = (index: TinyIndex, wheels: readonly TinyWheel[]) => JSON.stringify({
  _meta: { 'hash': { sha256: 'x' }, 'pipfile-spec': 6, 'requires': {}, 'sources': [{ name: 'local', url: index.url, verify_ssl: false }] },
  default: Object.fromEntries(wheels.map(w => [w.name, { hashes: [index.sha256(w)], index: 'local', version: `==${w.version}` }])),
  develop: { pytest: { hashes: [], version: '==8.0.0' } },
}, null, 4);

/** An app folder of `shape` asking for `wheels`; uv.lock is written by the real `uv lock` against `index`. */
async function writeApp(dir: string, shape: Shape, index: TinyIndex, wheels: readonly TinyWheel[]): Promise<string> {
  const pins = wheels.map(w => `${w.name}==${w.version}`);
  writeFiles(dir, { 'app.py': 'print("app")\n', 'cdk.json': '{"app": "python3 app.py"}\n' });
  if (shape === 'requirements.txt') writeFiles(dir, { 'requirements.txt': `# the app's\n${pins.join('\n')}\n` });
  if (shape === 'pyproject.toml' || shape === 'uv.lock') writeFiles(dir, { 'pyproject.toml': PYPROJECT(pins) });
  if (shape === 'Pipfile.lock') writeFiles(dir, { 'Pipfile': '[packages]\n', 'Pipfile.lock': pipfileLock(index, wheels) });
  if (shape === 'uv.lock') {
    await run('uv', ['lock'], {
      cwd: dir,
      env: { PATH: `${uvDir}:${process.env.PATH}`, HOME: scratch, UV_NO_CONFIG: '1', UV_DEFAULT_INDEX: index.url, UV_CACHE_DIR: newDir('lock-cache') },
    });
  }
  return dir;
}

describe('planPythonDependencies: which file, which commands', () => {
  const cacheDir = '/var/cache/trellis-uv';
  const shapes: ReadonlyArray<[string, Record<string, string>, string, (venv: string) => string[][], string[]]> = [
    ['requirements.txt', { 'requirements.txt': 'boto3==1.0\n' }, 'python requirements.txt with uv',
      venv => [['uv', 'venv', '--clear', '--force', '--python', 'python3', venv], ['uv', 'pip', 'install', '--python', `${venv}/bin/python`, '-r', 'requirements.txt']],
      ['requirements.txt']],
    ['pyproject.toml', { 'pyproject.toml': PYPROJECT(['boto3']) }, 'python pyproject.toml with uv',
      venv => [['uv', 'venv', '--clear', '--force', '--python', 'python3', venv], ['uv', 'pip', 'install', '--python', `${venv}/bin/python`, '-r', 'pyproject.toml']],
      ['pyproject.toml']],
    ['uv.lock', { 'pyproject.toml': PYPROJECT(['boto3']), 'uv.lock': 'version = 1\n' }, 'python uv.lock with uv',
      venv => [['uv', 'venv', '--clear', '--force', '--python', 'python3', venv], ['uv', 'sync', '--locked', '--python', 'python3']],
      ['pyproject.toml', 'uv.lock']],
  ];

  test.each(shapes)('%s', (_name, files, label, install, dependencyFiles) => {
    const dir = writeFiles(newDir('shape'), files);
    const venv = join(dir, '.venv');
    expect(planPythonDependencies(dir, { cacheDir })).toEqual({
      label,
      dependencyFiles,
      install: install(venv),
      env: {
        UV_PYTHON_DOWNLOADS: 'never',
        UV_PYTHON_PREFERENCE: 'only-system',
        UV_LINK_MODE: 'copy',
        UV_NO_PROGRESS: '1',
        UV_CACHE_DIR: cacheDir,
        VIRTUAL_ENV: venv,
        UV_PROJECT_ENVIRONMENT: venv,
      },
      pathFirst: [join(venv, 'bin')],
    });
  });

  test('Pipfile.lock: its default section becomes a requirements file outside the checkout, installed without resolving', () => {
    const lock = { default: { boto3: { version: '==1.34.0', hashes: [`sha256:${'a'.repeat(64)}`] } } };
    const dir = writeFiles(newDir('pipfile'), { 'Pipfile': '[packages]\nboto3 = "*"\n', 'Pipfile.lock': JSON.stringify(lock) });
    const planned = planPythonDependencies(dir, { cacheDir, scratchDir: scratch }) as PythonPlan;
    expect(planned.label).toBe('python Pipfile.lock with uv');
    expect(planned.dependencyFiles).toEqual(['Pipfile.lock']);
    expect(planned.generated?.startsWith(`${scratch}/trellis-pipfile-`)).toBe(true);
    const requirements = join(planned.generated!, 'requirements.txt');
    expect(planned.install[1]).toEqual(['uv', 'pip', 'install', '--python', `${dir}/.venv/bin/python`, '--no-deps', '-r', requirements]);
    expect(readFileSync(requirements, 'utf8')).toBe(`boto3==1.34.0 --hash=sha256:${'a'.repeat(64)}\n`);
    expect(readdirSync(dir).sort()).toEqual(['Pipfile', 'Pipfile.lock']); // nothing written into the checkout
  });

  test.each([
    [['uv.lock', 'pyproject.toml', 'requirements.txt', 'Pipfile.lock'], 'python uv.lock with uv; requirements.txt and Pipfile.lock ignored'],
    [['requirements.txt', 'pyproject.toml'], 'python requirements.txt with uv; pyproject.toml ignored'],
    [['requirements.txt', 'Pipfile.lock', 'Pipfile'], 'python requirements.txt with uv; Pipfile.lock ignored'],
    [['pyproject.toml', 'Pipfile.lock'], 'python pyproject.toml with uv; Pipfile.lock ignored'],
    // A pyproject.toml with only tool settings (black, pytest) is no dependency file.
    [['requirements.txt', 'pyproject.toml:tools'], 'python requirements.txt with uv'],
  ])('several files %j: the first of uv.lock, requirements.txt, pyproject.toml, Pipfile.lock, the others named', (files, label) => {
    const dir = newDir('several');
    for (const file of files) {
      const [name, variant] = file.split(':');
      const text: Record<string, string> = {
        'uv.lock': 'version = 1\n',
        'pyproject.toml': variant === 'tools' ? '[tool.black]\nline-length = 100\n' : PYPROJECT(['boto3']),
        'requirements.txt': 'boto3\n',
        'Pipfile.lock': JSON.stringify({ default: {} }),
        'Pipfile': '',
      };
      writeFiles(dir, { [name]: text[name] });
    }
    const planned = planPythonDependencies(dir, { cacheDir, scratchDir: scratch });
    expect(planned && 'label' in planned && planned.label).toBe(label);
  });

  test.each([
    [{ Pipfile: '[packages]\nboto3 = "*"\n' }, /Pipfile without Pipfile\.lock: run `pipenv lock` and commit Pipfile\.lock/],
    [{ 'pyproject.toml': '[tool.poetry]\nname = "x"\n[tool.poetry.dependencies]\npython = "^3.11"\n' }, /Poetry project .*poetry export/],
    [{ 'pyproject.toml': '[tool.ruff]\n', 'poetry.lock': '' }, /Poetry project/],
    [{ 'uv.lock': 'version = 1\n' }, /uv\.lock without a pyproject\.toml/],
  ])('%j: skipped, saying what to do', (files, message) => {
    const planned = planPythonDependencies(writeFiles(newDir('skip'), files), { cacheDir });
    expect(planned && 'skip' in planned && planned.skip).toMatch(message);
  });

  test.each([
    [{}],
    [{ 'package.json': '{}', 'cdk.json': '{}' }],
    [{ 'pyproject.toml': '[tool.black]\n' }],
    [{ 'requirements-dev.txt': 'pytest\n' }],
  ])('%j: no Python dependencies, no plan', files => {
    expect(planPythonDependencies(writeFiles(newDir('none'), files), { cacheDir })).toBeUndefined();
  });

  test('a .venv link in the checkout is refused (the install would write through it); a committed .venv directory is replaced', () => {
    const linked = writeFiles(newDir('venv-link'), { 'requirements.txt': 'boto3\n' });
    symlinkSync('/tmp', join(linked, '.venv'));
    expect(() => planPythonDependencies(linked, { cacheDir })).toThrow(/\.venv in the checkout is a symbolic link: remove it from the repository/);
    const committed = writeFiles(newDir('venv-dir'), { 'requirements.txt': 'boto3\n' });
    mkdirSync(join(committed, '.venv'));
    expect((planPythonDependencies(committed, { cacheDir }) as PythonPlan).install[0]).toContain('--clear');
  });

  test('a pyproject.toml or Pipfile.lock that is a link is not read (BuildError naming it)', () => {
    for (const file of ['pyproject.toml', 'Pipfile.lock']) {
      const dir = newDir('link');
      symlinkSync('/etc/passwd', join(dir, file));
      expect(() => planPythonDependencies(dir, { cacheDir })).toThrow(new RegExp(`${file.replace('.', '\\.')} is a symbolic link.*it is not read`));
    }
  });
});

describe('pipfileRequirements: the lock is the app\'s, every value is checked', () => {
  const hash = `sha256:${'0'.repeat(64)}`;
  test('names, extras, pinned versions, markers, hashes and sources become requirement lines', () => {
    const lock = {
      _meta: { sources: [{ name: 'private', url: 'https://pkgs.example.com/simple/', verify_ssl: true }, { name: 'pypi', url: 'https://pypi.org/simple', verify_ssl: true }] },
      default: {
        'aws-cdk-lib': { version: '==2.150.0', hashes: [hash, `sha512:${'f'.repeat(128)}`] },
        'requests': { version: '==2.31.0', extras: ['security', 'socks'], markers: "python_version >= '3.7' and sys_platform != \"win32\"" },
        'zope.interface': { version: '==6.0.post1' },
        'tzdata': { version: '==2024.1rc2+local.1' },
      },
      develop: { 'not-installed': { version: '==1.0' } },
    };
    expect(pipfileRequirements(JSON.stringify(lock)).split('\n')).toEqual([
      '--index-url https://pkgs.example.com/simple/',
      '--extra-index-url https://pypi.org/simple',
      `aws-cdk-lib==2.150.0 --hash=${hash} --hash=sha512:${'f'.repeat(128)}`,
      'requests[security,socks]==2.31.0 ; python_version >= \'3.7\' and sys_platform != "win32"',
      'zope.interface==6.0.post1',
      'tzdata==2024.1rc2+local.1',
      '',
    ]);
    // PyPI as the only source needs no option; no default section installs nothing.
    expect(pipfileRequirements(JSON.stringify({ _meta: { sources: [{ url: 'https://pypi.org/simple/' }] } }))).toBe('\n');
  });

  test.each([
    ['a shell command as a name', { 'x; rm -rf /': { version: '==1.0' } }, /^Pipfile\.lock default\["x; rm -rf \/"\]: is not a package name/],
    ['an option as a name', { '--index-url=https://evil.example/simple': { version: '==1.0' } }, /default\["--index-url=https:\/\/evil\.example\/simple"\]: is not a package name/],
    ['a newline in a name', { 'boto3\n--index-url https://evil.example': { version: '==1.0' } }, /default\["boto3\\n--index-url .*: is not a package name/],
    ['an option after the version', { boto3: { version: '==1.0 --index-url https://evil.example' } }, /default\["boto3"\]\.version: "==1.0 --index-url .* is not an exact version/],
    ['a newline in the version', { boto3: { version: '==1.0\n-e /etc' } }, /default\["boto3"\]\.version: .* is not an exact version/],
    ['a range', { boto3: { version: '>=1.0' } }, /default\["boto3"\]\.version: ">=1\.0" is not an exact version/],
    ['no version', { boto3: { hashes: [] } }, /default\["boto3"\]\.version: missing is not an exact version/],
    ['an option in the markers', { boto3: { version: '==1.0', markers: "python_version > '3' --index-url https://evil.example" } }, /default\["boto3"\]\.markers: /],
    ['a comment in the markers', { boto3: { version: '==1.0', markers: "python_version > '3' # x" } }, /default\["boto3"\]\.markers: /],
    ['a newline in the markers', { boto3: { version: '==1.0', markers: "python_version > '3'\n-r /etc/passwd" } }, /default\["boto3"\]\.markers: /],
    ['an option as a hash', { boto3: { version: '==1.0', hashes: ['--index-url=https://evil.example'] } }, /default\["boto3"\]\.hashes: is not a list/],
    ['a short hash', { boto3: { version: '==1.0', hashes: ['sha256:abc'] } }, /default\["boto3"\]\.hashes: /],
    ['an option as an extra', { boto3: { version: '==1.0', extras: ['--pre'] } }, /default\["boto3"\]\.extras: is not a list of extra names/],
    ['a git dependency', { tool: { git: 'https://github.com/x/y.git', ref: 'abc' } }, /default\["tool"\]\.git: only packages from an index/],
    ['a path dependency', { local: { path: '.', editable: true } }, /default\["local"\]\.path: only packages from an index/],
    ['a string for an entry', { boto3: '==1.0' }, /default\["boto3"\]: is not an object/],
  ])('%s is refused naming the field', (_what, packages, message) => {
    const convert = () => pipfileRequirements(JSON.stringify({ default: packages }));
    expect(convert).toThrow(PipfileLockError);
    expect(convert).toThrow(message);
  });

  test.each([
    [{ _meta: { sources: [{ url: 'file:///etc' }] } }, /_meta\.sources\[0\]\.url: "file:\/\/\/etc" is not an http\(s\) URL/],
    [{ _meta: { sources: [{ url: 'https://pypi.org/simple' }, { url: 'https://x.example/ --trusted-host x' }] } }, /_meta\.sources\[1\]\.url: /],
    [{ _meta: { sources: 'https://x.example' } }, /_meta\.sources: is not a list/],
    [{ default: [] }, /Pipfile\.lock default: is not an object of packages/],
    [[], /is not a JSON object/],
  ])('%j is refused naming the field', (lock, message) => {
    expect(() => pipfileRequirements(JSON.stringify(lock))).toThrow(message);
  });

  test('not JSON: a BuildError that says so; through the plan, the same errors', () => {
    expect(() => pipfileRequirements('{')).toThrow(new BuildError('Pipfile.lock is not valid JSON'));
    const dir = writeFiles(newDir('hostile'), { 'Pipfile.lock': JSON.stringify({ default: { 'x; rm -rf /': { version: '==1' } } }) });
    expect(() => planPythonDependencies(dir, { cacheDir: '/c', scratchDir: scratch })).toThrow(/default\["x; rm -rf \/"\]: is not a package name/);
  });
});

describe('installs with the real uv, offline (an index on 127.0.0.1)', () => {
  let index: TinyIndex;
  beforeAll(async () => {
    index = await TinyIndex.start([A, A2, B]);
  });
  afterAll(async () => {
    await index?.stop();
    index?.cleanup();
  });

  test.each(SHAPES)('%s: the plan installs the app\'s packages into <dir>/.venv', async shape => {
    const wheels = shape === 'pyproject.toml' ? [A2, B] : [A, B];
    const dir = await writeApp(newDir(`install-${shape}`), shape, index, wheels);
    const planned = plan(dir);
    // Before the install nothing imports them (what the builder did before: no install at all).
    await expect(run('python3', ['-c', 'import tdemo'], { cwd: dir })).rejects.toThrow(/ModuleNotFoundError/);
    await runInstall(planned, dir, index);
    expect(await importedVersions(dir, ['tdemo', 'tother'])).toBe(`${wheels[0].version} ${B.version}`);
    // Later commands find the venv's python first on PATH.
    const { stdout } = await run('python3', ['-c', 'import sys, tdemo; print(sys.prefix)'], { cwd: dir, env: commandEnv(planned, undefined) });
    expect(stdout.trim()).toBe(join(dir, '.venv'));
  });

  test('a committed .venv from another machine is replaced', async () => {
    const dir = await writeApp(newDir('committed-venv'), 'requirements.txt', index, [A]);
    mkdirSync(join(dir, '.venv', 'bin'), { recursive: true });
    writeFiles(join(dir, '.venv', 'bin'), { python: '#!/bin/sh\nexit 3\n' });
    await runInstall(plan(dir), dir, index);
    expect(await importedVersions(dir, ['tdemo'])).toBe(A.version);
  });

  test('uv.lock that no longer matches pyproject.toml fails the install (--locked), it does not install the stale lock', async () => {
    const dir = await writeApp(newDir('stale-lock'), 'uv.lock', index, [A]);
    writeFiles(dir, { 'pyproject.toml': PYPROJECT([`tdemo==${A2.version}`]) });
    await expect(runInstall(plan(dir), dir, index)).rejects.toThrow(/needs to be updated, but `--locked` was provided/);
  });

  test('Pipfile.lock: a hash that does not match the wheel fails the install', async () => {
    const dir = writeFiles(newDir('bad-hash'), {
      'Pipfile.lock': JSON.stringify({ _meta: { sources: [{ url: index.url }] }, default: { tdemo: { version: `==${A.version}`, hashes: [index.sha256(B)] } } }),
    });
    await expect(runInstall(plan(dir), dir, index)).rejects.toThrow(/[Hh]ash mismatch/);
  });
});

describe('the cache key', () => {
  test.each(SHAPES)('%s: the same files key the same entry anywhere; a changed file, Python, platform, arch, app or environment another', async shape => {
    const index = await TinyIndex.start([A, A2, B]);
    try {
      const first = await writeApp(newDir('key'), shape, index, [A]);
      const same = await writeApp(newDir('key-same'), shape, index, [A]);
      const changed = await writeApp(newDir('key-changed'), shape, index, [A2]);
      const key = (dir: string, app = 'shop', env = 'dev', py = python, runtime = { platform: 'linux', arch: 'x64' }) => {
        const decision = pythonCacheKey(app, env, plan(dir), dir, py, runtime);
        if (!('key' in decision)) throw new Error(decision.skip);
        return decision.key;
      };
      const base = key(first);
      expect(base).toMatch(new RegExp(`^python/shop/dev/uv/py${python.replace('.', '\\.')}-linux-x64/[0-9a-f]{64}$`));
      expect(key(same)).toBe(base);
      writeFiles(first, { 'app.py': 'print("changed code, same dependencies")\n' });
      expect(key(first)).toBe(base);
      const others = [key(changed), key(first, 'other'), key(first, 'shop', 'prod'), key(first, 'shop', 'dev', '3.99.1'),
        key(first, 'shop', 'dev', python, { platform: 'darwin', arch: 'x64' }), key(first, 'shop', 'dev', python, { platform: 'linux', arch: 'arm64' })];
      expect(new Set([base, ...others]).size).toBe(others.length + 1);
    } finally {
      await index.stop();
      index.cleanup();
    }
  });

  test('a dependency file the builder does not read keys no cache; a Python version that is none is an error', () => {
    const dir = newDir('key-link');
    writeFileSync(join(scratch, 'elsewhere.txt'), 'boto3\n');
    symlinkSync(join(scratch, 'elsewhere.txt'), join(dir, 'requirements.txt'));
    expect(pythonCacheKey('shop', 'dev', plan(dir), dir, '3.12')).toEqual({ skip: expect.stringMatching(/^requirements\.txt is not read: .*symbolic link/) });
    const plain = writeFiles(newDir('key-version'), { 'requirements.txt': 'boto3\n' });
    expect(() => pythonCacheKey('shop', 'dev', plan(plain), plain, 'python3')).toThrow(/not a Python version/);
  });
});

describe('uv\'s cache saved, restored elsewhere, and the install repeated with the index gone', () => {
  test.each(SHAPES)('%s', async shape => {
    const index = await TinyIndex.start([A, A2, B]);
    const storage = new FolderCacheStorage(newDir('storage'));
    const archives = newDir('archives');
    const cold = await writeApp(newDir(`cold-${shape}`), shape, index, [A, B]);
    const coldPlan = plan(cold);
    const decision = pythonCacheKey('shop', 'dev', coldPlan, cold, python);
    if (!('key' in decision)) throw new Error(decision.skip);
    try {
      await runInstall(coldPlan, cold, index);
      expect(index.requests.filter(path => path.endsWith('.whl')).length).toBeGreaterThan(0);
      expect(await savePythonCache(storage, decision.key, coldPlan.env.UV_CACHE_DIR, join(archives, 'save.tar')))
        .toEqual({ saved: true, bytes: expect.any(Number) });
    } finally {
      await index.stop();
    }
    const requestsBefore = index.requests.length;

    // Another checkout of the same commit, at another path, with another (empty) cache folder.
    const warm = newDir(`warm-${shape}`);
    for (const file of readdirSync(cold)) if (file !== '.venv') writeFileSync(join(warm, file), readFileSync(join(cold, file)));
    const warmPlan = plan(warm);
    expect(pythonCacheKey('shop', 'dev', warmPlan, warm, python)).toEqual(decision);
    // Without the cache the index is needed, and it is gone: the install fails (the control).
    await expect(runInstall(warmPlan, warm, index)).rejects.toThrow(/Connection refused|tcp connect error|error sending request/);
    const restored = await restorePythonCache(storage, decision.key, warmPlan.env.UV_CACHE_DIR, join(archives, 'restore.tar'));
    expect(restored).toEqual({ hit: true, bytes: expect.any(Number) });
    await runInstall(warmPlan, warm, index);
    expect(await importedVersions(warm, ['tdemo', 'tother'])).toBe(`${A.version} ${B.version}`);
    expect(index.requests.length).toBe(requestsBefore);
    expect(readdirSync(archives)).toEqual([]); // no archive is left behind
    index.cleanup();
  }, 120_000);

  test('a damaged or foreign archive, or an unreadable cache, is a miss that leaves the cache folder empty', async () => {
    const storage = new FolderCacheStorage(newDir('storage'));
    const archives = newDir('archives');
    const entry = (name: string, bytes: Buffer) => {
      const file = join(archives, `${name}.src`);
      writeFileSync(file, bytes);
      return storage.store(name, file).then(() => rmSync(file));
    };
    await entry('garbage', Buffer.from('not a tar archive at all, just bytes\n'.repeat(100)));
    await entry('truncated-gzip', Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00]));
    // A real tar of something that is not uv's cache.
    const foreign = writeFiles(newDir('foreign'), { 'hello.txt': 'hi\n' });
    await run('tar', ['-cf', join(archives, 'foreign.src'), '-C', foreign, '.']);
    await storage.store('foreign', join(archives, 'foreign.src'));
    // uv's mark as a link (to a file that exists) is not uv's cache either.
    const linked = newDir('linked-mark');
    symlinkSync('/etc/hostname', join(linked, 'CACHEDIR.TAG'));
    await run('tar', ['-cf', join(archives, 'linked.src'), '-C', linked, '.']);
    await storage.store('linked', join(archives, 'linked.src'));

    for (const [key, problem] of [['garbage', /could not be unpacked \(tar exited/], ['truncated-gzip', /could not be unpacked/],
      ['foreign', /the archive holds no uv cache/], ['linked', /the archive holds no uv cache/]] as const) {
      const cacheDir = newDir('uv-cache');
      const result = await restorePythonCache(storage, key, cacheDir, join(archives, 'restore.tar'));
      expect(result).toEqual({ hit: false, problem: expect.stringMatching(problem) });
      expect(readdirSync(cacheDir)).toEqual([]);
    }
    expect(await restorePythonCache(storage, 'absent', newDir('uv-cache'), join(archives, 'restore.tar'))).toEqual({ hit: false });
    const broken = { location: 'broken', compress: false, fetch: async () => { throw new Error('AccessDenied\nmore'); }, store: async () => undefined };
    expect(await restorePythonCache(broken, 'k', newDir('uv-cache'), join(archives, 'restore.tar')))
      .toEqual({ hit: false, problem: 'the cache could not be read (AccessDenied)' });
    expect(existsSync(join(archives, 'restore.tar'))).toBe(false);
    // Nothing made by uv: nothing saved.
    expect(await savePythonCache(storage, 'empty', newDir('uv-cache'), join(archives, 'save.tar'))).toEqual({ saved: false, reason: 'uv left no cache to save' });
  });
});
