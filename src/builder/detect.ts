import { BuildError } from './build-error';
import { WorkspaceFileError, readWorkspaceText, workspaceEntry } from './workspace-files';
import { isPlainObject } from '../runtime/core/plain-object';
import { FrameworkConfig, FrameworkKind } from '../runtime/core/types';

export type PackageManager = 'npm' | 'pnpm' | 'yarn';

/** What the repository at the commit is: how to install it and how it deploys. */
export interface Project {
  readonly packageManager: PackageManager;
  /** The lockfile found, if any (npm without one runs `npm install`). */
  readonly lockfile?: string;
  /** Other lockfiles beside it, which the install ignores (said in the detect phase). */
  readonly ignoredLockfiles?: readonly string[];
  readonly hasPackageJson: boolean;
  /** package.json has a `test` script that tests something (not npm init's placeholder). */
  readonly hasTestScript: boolean;
  readonly framework: Framework;
}

export interface Framework {
  readonly kind: FrameworkKind;
  /** For the log: `sst v3`, `cdk`, `custom (configured)`. */
  readonly label: string;
  /** CDK only: where `cdk synth` writes the cloud assembly. */
  readonly cdkOut?: string;
  /** Serverless and SAM: the configuration file a deploy from an artifact needs beside it (serverless.yml, samconfig.toml). */
  readonly configFile?: string;
  /** SAM: the environments samconfig has sections for (`[dev.deploy.parameters]` → dev). */
  readonly samConfigEnvironments?: readonly string[];
}

export const LOCKFILES: ReadonlyArray<[string, PackageManager]> = [
  ['pnpm-lock.yaml', 'pnpm'],
  ['yarn.lock', 'yarn'],
  ['package-lock.json', 'npm'],
  ['npm-shrinkwrap.json', 'npm'],
];

const SERVERLESS_FILES = ['serverless.yml', 'serverless.yaml', 'serverless.ts', 'serverless.js'];
const SAM_TEMPLATES = ['template.yaml', 'template.yml'];
const SAM_CONFIGS = ['samconfig.toml', 'samconfig.yaml', 'samconfig.yml'];
/** What makes a CloudFormation template a SAM one. */
const SAM_TRANSFORM = 'AWS::Serverless-2016-10-31';

/** Where the app is, when it is not the checkout's root (app-folder.ts). */
export interface ProjectPlace {
  /** The folder the install runs in, whose lockfile is used; absent = the app's own. */
  readonly installDir?: string;
  /** The app's folder as configured (`packages/api`), for messages; absent = the repository root. */
  readonly rootDirectory?: string;
}

/**
 * Detect from the files in the app's folder `dir` (the lockfile from the install's folder); a
 * configured framework wins over detection. The checkout is the app's: what is read of it is
 * read through workspace-files.ts.
 */
export function detectProject(dir: string, configured?: FrameworkConfig, place: ProjectPlace = {}): Project {
  const packageJson = readPackageJson(dir);
  const lockDir = place.installDir ?? dir;
  const [lock, ...others] = LOCKFILES.filter(([file]) => present(lockDir, file));
  return {
    packageManager: lock?.[1] ?? 'npm',
    lockfile: lock?.[0],
    ...others.length > 0 && { ignoredLockfiles: others.map(([file]) => file) },
    hasPackageJson: packageJson !== undefined,
    hasTestScript: hasTestScript(packageJson),
    framework: configured ? configuredFramework(dir, configured) : detectFramework(dir, packageJson ?? {}, place.rootDirectory),
  };
}

function configuredFramework(dir: string, configured: FrameworkConfig): Framework {
  const has = (file: string) => present(dir, file);
  const configFile = configured.kind === 'serverless' ? SERVERLESS_FILES.find(has) : configured.kind === 'sam' ? SAM_CONFIGS.find(has) : undefined;
  return {
    kind: configured.kind,
    label: `${configured.kind} (configured)`,
    cdkOut: configured.kind === 'cdk' ? cdkOutDir(dir) : undefined,
    configFile,
    ...configured.kind === 'sam' && { samConfigEnvironments: configFile ? samConfigEnvironments(dir, configFile) : [] },
  };
}

function detectFramework(dir: string, packageJson: PackageJson, rootDirectory?: string): Framework {
  const has = (file: string) => present(dir, file);
  const sstConfig = ['sst.config.ts', 'sst.config.js'].find(has);
  if (sstConfig) return { kind: 'sst', label: `sst${sstMajor(dir, sstConfig, packageJson)}` };
  if (has('cdk.json')) return { kind: 'cdk', label: 'cdk', cdkOut: cdkOutDir(dir) };
  const serverlessConfig = SERVERLESS_FILES.find(has);
  if (serverlessConfig) return { kind: 'serverless', label: 'serverless', configFile: serverlessConfig };
  const samTemplate = SAM_TEMPLATES.find(has);
  const samConfig = SAM_CONFIGS.find(has);
  if (samTemplate && (samConfig || declaresSamTransform(dir, samTemplate))) {
    return { kind: 'sam', label: samConfig ? 'sam' : 'sam without samconfig', configFile: samConfig, samConfigEnvironments: samConfig ? samConfigEnvironments(dir, samConfig) : [] };
  }
  throw new BuildError(
    `no deploy framework found ${rootDirectory ? `in ${rootDirectory} (the rootDirectory)` : 'at the repository root'}: expected sst.config.ts/js (SST), cdk.json (CDK), `
    + `serverless.yml/yaml/ts/js (Serverless Framework) or template.yaml/yml with the ${SAM_TRANSFORM} transform or a samconfig (SAM). `
    + `Otherwise set the environment's framework (e.g. custom deploy and remove commands)${rootDirectory ? '' : ', or rootDirectory when the app is in a folder'}.`,
  );
}

interface PackageJson {
  readonly dependencies?: Record<string, unknown>;
  readonly devDependencies?: Record<string, unknown>;
  readonly scripts?: Record<string, unknown>;
}

/** What `npm init` writes as the test script: it only fails. */
const NPM_INIT_TEST = /^echo "Error: no test specified" && exit 1$/;

function hasTestScript(packageJson: PackageJson | undefined): boolean {
  const script = isPlainObject(packageJson?.scripts) ? packageJson!.scripts!.test : undefined;
  return typeof script === 'string' && script.trim() !== '' && !NPM_INIT_TEST.test(script.trim());
}

/** Whether the repository has `file` (a link counts, wherever it points: reading it is refused). */
function present(dir: string, file: string): boolean {
  return workspaceEntry(dir, file) !== undefined;
}

function readPackageJson(dir: string): PackageJson | undefined {
  if (!present(dir, 'package.json')) return undefined;
  let text: string;
  try {
    text = readWorkspaceText(dir, 'package.json');
  } catch (error) {
    if (error instanceof WorkspaceFileError) throw new BuildError(`${error.message}: it is not read`);
    throw error;
  }
  try {
    const value = JSON.parse(text);
    return isPlainObject(value) ? value : {};
  } catch {
    throw new BuildError('package.json is not valid JSON');
  }
}

/** ' v2' / ' v3' from the sst dependency's range, else from the config's shape, else ''. */
function sstMajor(dir: string, configFile: string, packageJson: PackageJson): string {
  const range = packageJson.dependencies?.sst ?? packageJson.devDependencies?.sst;
  const major = typeof range === 'string' ? /^[\^~>=v\s]*(\d+)/.exec(range)?.[1] : undefined;
  if (major) return ` v${major}`;
  // v3 (Ion) configs call the global $config(); v2 configs import SSTConfig.
  let source: string;
  try {
    source = readWorkspaceText(dir, configFile);
  } catch {
    return ''; // a config the builder does not read: sst itself reports it
  }
  return source.includes('$config(') ? ' v3' : source.includes('SSTConfig') ? ' v2' : '';
}

function declaresSamTransform(dir: string, template: string): boolean {
  try {
    return readWorkspaceText(dir, template).includes(SAM_TRANSFORM);
  } catch {
    return false; // a template the builder does not read is not taken for SAM's
  }
}

/**
 * The environments a samconfig has sections for: TOML tables `[dev.deploy.parameters]`
 * (or `[dev]`), YAML top-level keys `dev:`. An unreadable file has none (sam reports it).
 */
export function samConfigEnvironments(dir: string, file: string): string[] {
  let text: string;
  try {
    text = readWorkspaceText(dir, file);
  } catch {
    return [];
  }
  const header = file.endsWith('.toml') ? /^\s*\[\s*([A-Za-z0-9_-]+)\s*(?:\.[^\]]*)?\]/ : /^([A-Za-z0-9_-]+)\s*:\s*(?:#.*)?$/;
  const names = text.split(/\r?\n/).map(line => header.exec(line)?.[1]).filter((name): name is string => name !== undefined && name !== 'version');
  return [...new Set(names)];
}

/** cdk.json may move the cloud assembly with `output`; it must stay inside the checkout. */
function cdkOutDir(dir: string): string {
  try {
    const output = JSON.parse(readWorkspaceText(dir, 'cdk.json'))?.output;
    if (typeof output === 'string' && output !== '' && !output.startsWith('/') && !output.split(/[\\/]/).includes('..')) return output;
  } catch {
    // an unreadable cdk.json is cdk's to report
  }
  return 'cdk.out';
}
