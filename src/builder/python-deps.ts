import { execFileSync } from 'child_process';
import { createHash } from 'crypto';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { BuildError } from './build-error';
import { CacheDecision } from './dependency-cache';
import { WorkspaceFileError, readWorkspaceFile, workspaceEntry } from './workspace-files';
import { isPlainObject } from '../runtime/core/plain-object';

/**
 * A Python app's own dependencies (a Python CDK app's aws-cdk-lib, a SAM or Serverless app's
 * test tools), installed with uv into `<dir>/.venv` from the first of uv.lock, requirements.txt,
 * pyproject.toml and Pipfile.lock. What is cached between builds is uv's cache directory (the
 * downloaded and unpacked wheels, wheels built from sdists, the index's answers), not the venv:
 * the install always runs, so the venv is exactly what this checkout asks for (an editable
 * project points at this checkout's path), and with a warm cache it downloads nothing.
 */

/** What installs a Python app's dependencies in `dir` (the app's folder inside the checkout). */
export interface PythonPlan {
  /** For the detect phase line: `python requirements.txt with uv; Pipfile.lock ignored`. */
  readonly label: string;
  /** Relative to `dir`, hashed into the cache key. */
  readonly dependencyFiles: readonly string[];
  /** Argument vectors, run in `dir` in order (never a shell string). */
  readonly install: readonly (readonly string[])[];
  /** Added to the environment of install, test, build and deploy: VIRTUAL_ENV, UV_* settings. */
  readonly env: Readonly<Record<string, string>>;
  /** Put first on PATH for every later command (the venv's bin). */
  readonly pathFirst: readonly string[];
  /**
   * A directory outside the checkout the plan wrote the install's input to (Pipfile.lock's
   * requirements), readable by the app's user; remove it after the install.
   */
  readonly generated?: string;
}

/** Python dependency files the builder will not install from, and what to do instead. */
export interface PythonSkip {
  readonly skip: string;
}

export interface PythonPlanOptions {
  /** uv's cache (UV_CACHE_DIR): outside the checkout, writable by the app's user; what the Python cache stores. */
  readonly cacheDir: string;
  /** Where Pipfile.lock's requirements are written (a new directory in it); default the OS temporary directory. */
  readonly scratchDir?: string;
}

/** The venv, relative to the app's folder. */
export const PYTHON_VENV = '.venv';

/** uv's settings for every command: the system's Python only, copies (the cache is elsewhere), no progress bars in the log. */
const UV_SETTINGS: Readonly<Record<string, string>> = {
  UV_PYTHON_DOWNLOADS: 'never',
  UV_PYTHON_PREFERENCE: 'only-system',
  UV_LINK_MODE: 'copy',
  UV_NO_PROGRESS: '1',
};

/** A dependency file is read up to this size (Pipfile.lock, pyproject.toml), and hashed up to it. */
export const MAX_PYTHON_FILE_BYTES = 16 * 1024 ** 2;

type Shape = 'uv.lock' | 'requirements.txt' | 'pyproject.toml' | 'Pipfile.lock';

/**
 * What installs the Python dependencies of the app in `dir`, or undefined when it has none
 * (no uv.lock, requirements.txt, pyproject.toml with a `[project]` table, Pipfile or Pipfile.lock).
 * When several are there the first of that order is used and the label names the others.
 * Throws BuildError for a file the builder does not read (a link, too large) or a Pipfile.lock
 * it refuses (naming the field).
 */
export function planPythonDependencies(dir: string, options: PythonPlanOptions): PythonPlan | PythonSkip | undefined {
  const has = (file: string) => workspaceEntry(dir, file) !== undefined;
  const pyproject = has('pyproject.toml') ? pyprojectKind(dir) : undefined;
  const found: Shape[] = [];
  if (has('uv.lock')) found.push('uv.lock');
  if (has('requirements.txt')) found.push('requirements.txt');
  if (pyproject === 'project') found.push('pyproject.toml');
  if (has('Pipfile.lock')) found.push('Pipfile.lock');

  if (found.length === 0) {
    if (has('Pipfile')) return { skip: 'Pipfile without Pipfile.lock: run `pipenv lock` and commit Pipfile.lock (or commit a requirements.txt)' };
    if (has('poetry.lock') || pyproject === 'poetry') {
      return { skip: 'a Poetry project without a [project] table is not installed: commit a requirements.txt (`poetry export`) or set the install command' };
    }
    return undefined;
  }
  const [shape, ...others] = found;
  // uv.lock is pyproject.toml's lock: the two are one choice, not one ignoring the other.
  const ignored = others.filter(file => !(shape === 'uv.lock' && file === 'pyproject.toml'));
  if (shape === 'uv.lock' && pyproject === undefined) {
    return { skip: 'uv.lock without a pyproject.toml [project] table: commit pyproject.toml beside it (or remove uv.lock)' };
  }

  const venvEntry = workspaceEntry(dir, PYTHON_VENV);
  if (venvEntry !== undefined && venvEntry !== 'directory') {
    throw new BuildError(`${PYTHON_VENV} in the checkout is a ${venvEntry === 'link' ? 'symbolic link' : 'special file'}: `
      + 'remove it from the repository (the builder makes the virtual environment)');
  }
  const venv = join(dir, PYTHON_VENV);
  const python = join(venv, 'bin', 'python');
  // A committed .venv (another machine's) is replaced; the system python3, whatever .python-version says.
  const createVenv = ['uv', 'venv', '--clear', '--force', '--python', 'python3', venv];
  const pipInstall = (...args: string[]) => ['uv', 'pip', 'install', '--python', python, ...args];

  let dependencyFiles: string[];
  let install: string[][];
  let generated: string | undefined;
  switch (shape) {
    case 'uv.lock':
      dependencyFiles = ['pyproject.toml', 'uv.lock'];
      // --locked: a uv.lock that no longer matches pyproject.toml fails (like `npm ci`); --frozen would install the stale lock.
      install = [createVenv, ['uv', 'sync', '--locked', '--python', 'python3']];
      break;
    case 'requirements.txt':
      dependencyFiles = ['requirements.txt'];
      install = [createVenv, pipInstall('-r', 'requirements.txt')];
      break;
    case 'pyproject.toml':
      dependencyFiles = ['pyproject.toml'];
      install = [createVenv, pipInstall('-r', 'pyproject.toml')];
      break;
    case 'Pipfile.lock': {
      dependencyFiles = ['Pipfile.lock'];
      const requirements = pipfileRequirements(readFile(dir, 'Pipfile.lock').toString('utf8'));
      generated = writeGenerated(options.scratchDir ?? tmpdir(), requirements);
      // The lock holds every package pinned: like `pipenv sync`, nothing else is resolved.
      install = [createVenv, pipInstall('--no-deps', '-r', join(generated, 'requirements.txt'))];
      break;
    }
  }
  return {
    label: `python ${shape} with uv${ignored.length > 0 ? `; ${ignored.join(' and ')} ignored` : ''}`,
    dependencyFiles,
    install,
    env: { ...UV_SETTINGS, UV_CACHE_DIR: options.cacheDir, VIRTUAL_ENV: venv, UV_PROJECT_ENVIRONMENT: venv },
    pathFirst: [join(venv, 'bin')],
    ...generated !== undefined && { generated },
  };
}

/** What the cache key needs of the machine: the interpreter the venv is made with, and where it runs. */
export interface PythonRuntime {
  /** `3.12` (major.minor: wheels with compiled code are built for it). */
  readonly python: string;
  readonly platform: string;
  readonly arch: string;
}

/**
 * The key of this plan's uv cache: application, environment, the hash of the dependency files,
 * the Python version, platform and architecture. Per environment, as for node_modules (a
 * build of any branch may store what it likes). A stale entry would cost only downloads: the
 * install always runs. A dependency file the builder does not read keys no cache.
 */
export function pythonCacheKey(application: string, environment: string, plan: PythonPlan, dir: string, pythonVersion: string,
  runtime: Pick<PythonRuntime, 'platform' | 'arch'> = { platform: process.platform, arch: process.arch }): CacheDecision {
  const hash = createHash('sha256');
  for (const file of plan.dependencyFiles) {
    let content: Buffer;
    try {
      content = readWorkspaceFile(dir, file, MAX_PYTHON_FILE_BYTES);
    } catch (error) {
      if (error instanceof WorkspaceFileError) return { skip: `${file} is not read: ${error.message}` };
      throw error;
    }
    // Name and length before the content: two files never hash like one.
    hash.update(`${file}\0${content.length}\0`).update(content);
  }
  const version = /^(\d+)\.(\d+)/.exec(pythonVersion);
  if (!version) throw new Error(`not a Python version: '${pythonVersion}'`);
  return { key: `python/${application}/${environment}/uv/py${version[1]}.${version[2]}-${runtime.platform}-${runtime.arch}/${hash.digest('hex')}` };
}

/**
 * `3.12`: the major.minor of `python3` on `path` (the interpreter the venv is made with), run
 * from `/` so nothing of a checkout is read.
 */
export function systemPythonVersion(path = process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin'): string {
  const output = execFileSync('python3', ['-c', 'import sys; print("%d.%d" % sys.version_info[:2])'],
    { cwd: '/', env: { PATH: path }, encoding: 'utf8', timeout: 30_000, stdio: ['ignore', 'pipe', 'pipe'] });
  const version = output.trim();
  if (!/^\d+\.\d+$/.test(version)) throw new Error(`python3 printed '${version.slice(0, 40)}', not a version`);
  return version;
}

/** Why a Pipfile.lock is refused: the field and what is wrong with it. */
export class PipfileLockError extends BuildError {
  constructor(field: string, problem: string) {
    super(`Pipfile.lock ${field}: ${problem}`);
    this.name = 'PipfileLockError';
  }
}

/** PEP 508 names. */
const NAME = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,198}[A-Za-z0-9])?$/;
/** `==` and a PEP 440 version (epoch, release, pre, post, dev, local). */
const PINNED = /^==(?:\d+!)?\d+(?:\.\d+)*(?:[-_.]?(?:a|b|c|rc|alpha|beta|pre|preview)[-_.]?\d*)?(?:-\d+|[-_.]?(?:post|rev|r)[-_.]?\d*)?(?:[-_.]?dev[-_.]?\d*)?(?:\+[A-Za-z0-9]+(?:[-_.][A-Za-z0-9]+)*)?$/i;
const HASH = /^(?:sha256:[0-9a-f]{64}|sha384:[0-9a-f]{96}|sha512:[0-9a-f]{128})$/;
/** Marker expressions: names, quoted values, comparisons, `and`/`or`, parentheses; nothing a requirements file reads as an option or a comment. */
const MARKER = /^[A-Za-z0-9_ .'"<>=!~(),*+-]{1,500}$/;
const INDEX_URL = /^https?:\/\/[^\s#]{1,500}$/;
const PYPI = /^https:\/\/pypi\.org\/simple\/?$/;
/** Entries that name no version on an index: pipenv writes these for VCS, path and file dependencies. */
const UNSUPPORTED = ['git', 'hg', 'svn', 'bzr', 'path', 'file', 'editable', 'ref', 'subdirectory'];

/**
 * A requirements file from Pipfile.lock's `default` section (what `pipenv sync` installs; not
 * `develop`): one `name[extras]==version ; markers --hash=...` line per package, every value
 * checked against its grammar first (the file is the app's: a name like `--index-url=...` or a
 * value with a newline must not become an option). Its `_meta.sources` become `--index-url`
 * (and `--extra-index-url`) lines, as pipenv uses them.
 */
export function pipfileRequirements(text: string): string {
  let lock: unknown;
  try {
    lock = JSON.parse(text);
  } catch {
    throw new BuildError('Pipfile.lock is not valid JSON');
  }
  if (!isPlainObject(lock)) throw new PipfileLockError('(the whole file)', 'is not a JSON object');
  const lines: string[] = [];
  const meta = (lock as Record<string, unknown>)._meta;
  const sources = isPlainObject(meta) ? (meta as Record<string, unknown>).sources : undefined;
  if (sources !== undefined) {
    if (!Array.isArray(sources)) throw new PipfileLockError('_meta.sources', 'is not a list');
    const urls = sources.map((source, index) => {
      const url = isPlainObject(source) ? (source as Record<string, unknown>).url : undefined;
      if (typeof url !== 'string' || !INDEX_URL.test(url)) throw new PipfileLockError(`_meta.sources[${index}].url`, `${shown(url)} is not an http(s) URL`);
      return url;
    });
    if (urls.length > 0 && !PYPI.test(urls[0])) lines.push(`--index-url ${urls[0]}`);
    urls.slice(1).forEach(url => lines.push(`--extra-index-url ${url}`));
  }
  const packages = (lock as Record<string, unknown>).default ?? {};
  if (!isPlainObject(packages)) throw new PipfileLockError('default', 'is not an object of packages');
  for (const [name, value] of Object.entries(packages as Record<string, unknown>)) {
    const field = `default[${JSON.stringify(name).slice(0, 80)}]`;
    if (!NAME.test(name)) throw new PipfileLockError(field, 'is not a package name (letters, digits, `.`, `_`, `-`)');
    if (!isPlainObject(value)) throw new PipfileLockError(field, 'is not an object');
    const entry = value as Record<string, unknown>;
    const kind = UNSUPPORTED.find(key => key in entry);
    if (kind) {
      throw new PipfileLockError(`${field}.${kind}`, 'only packages from an index are installed from Pipfile.lock; commit a requirements.txt or set the install command');
    }
    const version = entry.version;
    if (typeof version !== 'string' || !PINNED.test(version)) throw new PipfileLockError(`${field}.version`, `${shown(version)} is not an exact version (==1.2.3)`);
    let requirement = name;
    if (entry.extras !== undefined) {
      const extras = entry.extras;
      if (!Array.isArray(extras) || !extras.every(extra => typeof extra === 'string' && NAME.test(extra))) {
        throw new PipfileLockError(`${field}.extras`, 'is not a list of extra names');
      }
      if (extras.length > 0) requirement += `[${extras.join(',')}]`;
    }
    requirement += version;
    if (entry.markers !== undefined) {
      const markers = entry.markers;
      // No option (` -`) and no comment (`#`) can start inside a marker.
      if (typeof markers !== 'string' || !MARKER.test(markers) || /(?:^|\s)-/.test(markers)) {
        throw new PipfileLockError(`${field}.markers`, `${shown(markers)} is not a marker expression`);
      }
      requirement += ` ; ${markers}`;
    }
    const hashes = entry.hashes ?? [];
    if (!Array.isArray(hashes) || !hashes.every(hash => typeof hash === 'string' && HASH.test(hash))) {
      throw new PipfileLockError(`${field}.hashes`, 'is not a list of sha256:/sha384:/sha512: hex digests');
    }
    lines.push([requirement, ...hashes.map(hash => `--hash=${hash}`)].join(' '));
  }
  return `${lines.join('\n')}\n`;
}

function shown(value: unknown): string {
  return value === undefined ? 'missing' : JSON.stringify(value).slice(0, 80);
}

/** `project`: a [project] table (uv can install its dependencies); `poetry`: only [tool.poetry]; `other`: tool settings only. */
function pyprojectKind(dir: string): 'project' | 'poetry' | 'other' {
  const text = readFile(dir, 'pyproject.toml').toString('utf8');
  if (/^\s*\[project\]\s*(?:#.*)?$/m.test(text)) return 'project';
  return /^\s*\[tool\.poetry(?:\.[^\]]*)?\]/m.test(text) ? 'poetry' : 'other';
}

function readFile(dir: string, file: string): Buffer {
  try {
    return readWorkspaceFile(dir, file, MAX_PYTHON_FILE_BYTES);
  } catch (error) {
    if (error instanceof WorkspaceFileError) throw new BuildError(`${error.message}: it is not read`);
    throw error;
  }
}

/** A new directory (755) with `requirements.txt` (644): the builder's, outside the checkout, readable by the app's user. */
function writeGenerated(scratch: string, requirements: string): string {
  const folder = mkdtempSync(join(scratch, 'trellis-pipfile-'));
  try {
    chmodSync(folder, 0o755);
    writeFileSync(join(folder, 'requirements.txt'), requirements, { mode: 0o644, flag: 'wx' });
    return folder;
  } catch (error) {
    rmSync(folder, { recursive: true, force: true });
    throw error;
  }
}
