import { spawn } from 'child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { delimiter, join } from 'path';
import { buildSync, stop as stopEsbuild } from 'esbuild';
import { BUILD_INGEST_TOKEN, BUILD_PARAMETERS, BUILD_SETTINGS, buildEnvironment } from '../../src/contract/build-environment';
import {
  ApplicationConfig, Deployment, DeploymentAction, LiveLogBatch, LogRecord, PhaseMarker, Store, parseBuildLogLine, parsePhaseMarker,
} from '../../src/runtime/core';
import { createDynamoStore } from '../../src/runtime/store/dynamo-store';
import { TableContext } from '../../src/runtime/store/table-context';
import { depId, queuedDeployment } from '../store/fixtures';
import { gitRepo } from '../support/git-repo';
import { dynamoEndpoint, freshTable } from '../support/test-table';

/** One line a stub (framework CLI, git or npm wrapper) appended when it ran. */
export interface StubRecord {
  readonly tool: string;
  readonly argv: string[];
  readonly cwd: string;
  /** The stub file that ran: tells node_modules/.bin from PATH. */
  readonly script: string;
  /** Selected variables the command saw. */
  readonly env: Record<string, string>;
  /** Names of every TRELLIS_* variable the command saw. */
  readonly trellisKeys: string[];
}

export interface BuildRun {
  readonly code: number | null;
  /** The TRELLIS_DEPLOYMENT_ID it ran with. */
  readonly deploymentId: string;
  /** What a person reads: the text of every log line, then the process's stderr. */
  readonly output: string;
  /** The text of each stdout line (its record's text; the raw line if it is not a record). */
  readonly lines: string[];
  /** Exactly what the builder printed on stdout. */
  readonly stdout: string;
  /** The stdout lines that are log records, with the deployment id each carried. */
  readonly log: Array<{ deploymentId: string; record: LogRecord }>;
  /** What the live path sent, batch by batch, in the order the batches were sent. */
  readonly live: LiveLogBatch[];
  /** Phase markers on the 'system' stream (a marker-like line on another stream is not one). */
  readonly markers: PhaseMarker[];
  readonly records: StubRecord[];
  readonly workspace: string;
}

/**
 * What to build: the harness records the deployment (running, as the launcher leaves it) with
 * these fields and starts the builder with its id alone, as the launcher does. When `params` name
 * a deployment id, the test has recorded that deployment itself (or wants none) and nothing is recorded.
 */
export interface RunOptions {
  readonly application: string;
  readonly environment: string;
  readonly commit: string;
  readonly gitUrl: string;
  readonly action?: DeploymentAction;
  /** Fields of the recorded deployment to replace (hostile ones included: the store takes them as they are). */
  readonly record?: Partial<Deployment>;
  /** Secret name → value, served by the entry's fake SecretSource. */
  readonly secrets?: Record<string, string>;
  /** Raw environment overrides; undefined removes a variable. */
  readonly params?: Record<string, string | undefined>;
}

const RECORDED_ENV = ['STAGE', 'TRELLIS_STAGE', 'CI', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_REGION', 'MY_SECRET', 'LOG_LEVEL', 'DEPLOY_TARGET'];

/** Node code that appends a StubRecord to `recordFile`; the path is baked in (TRELLIS_* never reach children). */
function recorderSource(recordFile: string, tool: string): string {
  return `#!/usr/bin/env node
const fs = require('fs');
const env = process.env;
const picked = {};
for (const name of Object.keys(env)) {
  if (${JSON.stringify(RECORDED_ENV)}.includes(name) || /^(HOSTILE|GIT_CONFIG)_/.test(name) || name === 'GIT_CONFIG_COUNT') picked[name] = env[name];
}
const trellisKeys = Object.keys(env).filter(name => name.startsWith('TRELLIS_'));
fs.appendFileSync(${JSON.stringify(recordFile)}, JSON.stringify({ tool: ${JSON.stringify(tool)}, argv: process.argv.slice(2), cwd: process.cwd(), script: __filename, env: picked, trellisKeys }) + '\\n');
`;
}

/** A fixture file the framework stubs turn into the deploy's stack outputs. */
export const STUB_OUTPUTS = 'stub-outputs.json';

/**
 * A framework CLI stand-in: records, says what it did, and prints secrets it sees (to prove
 * masking). What the real CLI writes for a later deploy it writes too, naming the directory it
 * ran in: `cdk synth` a cloud assembly in cdk.out (unless the repository has one), `serverless
 * package --package <dir>` a package, `sam package --output-template-file <file>` a template,
 * a deploy its stack outputs.
 */
export function frameworkStubSource(recordFile: string, tool: string): string {
  return `${recorderSource(recordFile, tool)}
console.log('${tool} stub: ' + process.argv.slice(2).join(' '));
if (env.MY_SECRET) console.log('${tool} sees MY_SECRET=' + env.MY_SECRET);
if (env.AWS_SECRET_ACCESS_KEY) console.log('${tool} sees AWS_SECRET_ACCESS_KEY=' + env.AWS_SECRET_ACCESS_KEY);
const args = process.argv.slice(2);
const option = name => (args.indexOf(name) >= 0 ? args[args.indexOf(name) + 1] : undefined);
const made = 'made by ${tool} ' + args[0] + ' in ' + process.cwd();
const write = (file, text) => { fs.mkdirSync(require('path').dirname(file), { recursive: true }); fs.writeFileSync(file, text); };
if (/cdk$/.test('${tool}') && args[0] === 'synth' && !fs.existsSync('cdk.out/manifest.json')) {
  write('cdk.out/manifest.json', JSON.stringify({ version: '36.0.0', artifacts: {} }));
  write('cdk.out/AppStack.template.json', JSON.stringify({ Description: made }));
}
if (/serverless$/.test('${tool}') && args[0] === 'package' && option('--package')) {
  write(option('--package') + '/serverless-state.json', JSON.stringify({ made }));
  write(option('--package') + '/cloudformation-template-update-stack.json', '{}');
}
if (/sam$/.test('${tool}') && args[0] === 'package' && option('--output-template-file')) write(option('--output-template-file'), '# ' + made + '\\n');
// Stack outputs, like the real CLIs, from the fixture's ${STUB_OUTPUTS}: CDK where --outputs-file says, SST in .sst/.
if (args[0] === 'deploy' && fs.existsSync(${JSON.stringify(STUB_OUTPUTS)})) {
  const target = ${JSON.stringify(tool)}.endsWith('sst') ? '.sst/outputs.json' : option('--outputs-file');
  if (target) write(target, fs.readFileSync(${JSON.stringify(STUB_OUTPUTS)}, 'utf8'));
}
`;
}

/** Records, then runs the real program with the same arguments. */
function wrapperSource(recordFile: string, tool: string, real: string[]): string {
  return `${recorderSource(recordFile, tool)}
if (${JSON.stringify(tool)} === 'git' && process.argv[2] === 'fetch') {
  for (const name of Object.keys(env).filter(name => /^GIT_CONFIG_VALUE_/.test(name) && env[name].startsWith('AUTHORIZATION'))) {
    console.error('git sees extraheader: ' + env[name]);
    console.error('git sees token: ' + Buffer.from(env[name].split(' ').pop(), 'base64').toString().split(':').pop());
  }
}
const result = require('child_process').spawnSync(${JSON.stringify(real[0])}, [...${JSON.stringify(real.slice(1))}, ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(result.status === null ? 1 : result.status);
`;
}

function which(name: string): string {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, name);
    if (dir && existsSync(candidate)) return realpathSync(candidate);
  }
  throw new Error(`${name} is not on PATH`);
}

function writeExecutable(path: string, source: string): void {
  writeFileSync(path, source);
  chmodSync(path, 0o755);
}

/**
 * A temp root with: the bundled test entry, a bin dir of stubs put first on PATH, a record
 * file the stubs append to, fixture git repositories, and a fresh table with the config.
 */
export class BuilderHarness {
  static async create(): Promise<BuilderHarness> {
    const root = realpathSync(mkdtempSync(join(tmpdir(), 'trellis-builder-')));
    return new BuilderHarness(root, await freshTable('builder'));
  }

  readonly bin: string;
  readonly recordFile: string;
  /** The live path's fake ingest function appends each batch here. */
  readonly liveFile: string;
  private readonly entry: string;
  private deploymentCounter = 0;

  private constructor(readonly root: string, private readonly table: TableContext) {
    this.bin = join(root, 'bin');
    this.recordFile = join(root, 'records.jsonl');
    this.liveFile = join(root, 'live.jsonl');
    this.entry = join(root, 'entry.js');
    mkdirSync(this.bin);
    buildSync({
      entryPoints: [join(__dirname, 'run-builder-entry.ts')],
      bundle: true,
      platform: 'node',
      target: 'node20',
      outfile: this.entry,
      logLevel: 'warning',
    });
    void stopEsbuild(); // buildSync keeps a service process for a next build that may never come
    for (const tool of ['sst', 'cdk', 'serverless', 'sam']) {
      writeExecutable(join(this.bin, tool), frameworkStubSource(this.recordFile, tool));
    }
    writeExecutable(join(this.bin, 'git'), wrapperSource(this.recordFile, 'git', [which('git')]));
    writeExecutable(join(this.bin, 'npm'), wrapperSource(this.recordFile, 'npm', [process.execPath, which('npm')]));
  }

  /** The table the builder reads, as a store (a test's stand-in for a trusted function reads it too). */
  store(): Store {
    return createDynamoStore(this.table);
  }

  /** Store the applications' configuration, as config-sync would. */
  async configure(apps: readonly ApplicationConfig[]): Promise<void> {
    await createDynamoStore(this.table).config.syncApplications(apps);
  }

  /** Store a deployment record, as the API would have created it. */
  async record(deployment: Deployment): Promise<void> {
    await createDynamoStore(this.table).deployments.create(deployment);
  }

  /** The run's recorded deployment ends `succeeded`, as the finalizer ends a deploy that exited 0. */
  async succeeded(run: BuildRun): Promise<void> {
    await createDynamoStore(this.table).deployments.transition(run.deploymentId, 'succeeded');
  }

  /** Store the log `run` printed (its deployment must be recorded), so the record has that build's phases, as LogStream stores them. */
  async storeLog(run: BuildRun): Promise<void> {
    await createDynamoStore(this.table).logs.ingest(run.deploymentId, run.log.map(({ record }) => record));
  }

  /** A git repository with one commit per version (files accumulate); returns its file:// URL and commits. */
  repo(name: string, ...versions: Array<Record<string, string>>): { url: string; commits: string[] } {
    const dir = join(this.root, 'repos', name);
    return { url: `file://${dir}`, commits: gitRepo(dir, ...versions) };
  }

  /** A path under the root that no test writes: tests assert it never appears. */
  path(name: string): string {
    return join(this.root, name);
  }

  /** Lets `uid` reach the stubs on PATH and the fixture repositories and append to the record file; returns a home it owns. */
  openToAppUser(uid: number): string {
    chmodSync(this.root, 0o755);
    writeFileSync(this.recordFile, '');
    chmodSync(this.recordFile, 0o666);
    const home = this.path('app-home');
    mkdirSync(home);
    chownSync(home, uid, uid);
    return home;
  }

  /** Run the builder as a process in a new empty workspace. */
  async run(options: RunOptions): Promise<BuildRun> {
    writeFileSync(this.recordFile, '');
    writeFileSync(this.liveFile, '');
    const workspace = realpathSync(mkdtempSync(join(this.root, 'workspace-')));
    const id = depId(++this.deploymentCounter);
    if (!options.params || !(BUILD_PARAMETERS.deploymentId in options.params)) {
      await this.record(queuedDeployment(id, options.application, options.environment, {
        action: options.action ?? 'deploy', commit: options.commit, status: 'running', ...options.record,
      }));
    }
    const env: Record<string, string | undefined> = {
      PATH: `${this.bin}${delimiter}${process.env.PATH}`,
      HOME: this.root,
      NODE_NO_WARNINGS: '1', // the SDK's Node 20 notice; the image runs Node 22
      // The machine's way out to the registries (a proxy and its CA), as an operator gives the image
      // its own: the few tests that fetch for real (Node for an .nvmrc) go the way this machine does.
      ...Object.fromEntries(NETWORK_SETTINGS.map(name => [name, process.env[name]])),
      npm_config_cache: join(this.root, 'npm-cache'),
      npm_config_offline: 'true',
      TRELLIS_TEST_DYNAMODB_ENDPOINT: dynamoEndpoint(),
      TRELLIS_TEST_SECRETS: JSON.stringify(options.secrets ?? {}),
      [BUILD_SETTINGS.tableName]: this.table.tableName,
      [BUILD_SETTINGS.installation]: 'test',
      [BUILD_SETTINGS.gitUrl]: options.gitUrl,
      [BUILD_SETTINGS.logIngestFunction]: this.liveFile,
      // What the launcher passes, and nothing else of the deployment.
      ...Object.fromEntries(buildEnvironment({ deploymentId: id }).map(({ name, value }) => [name, value])),
      [BUILD_INGEST_TOKEN]: `ingest-token-${this.deploymentCounter}`,
      ...options.params,
    };
    const child = spawn(process.execPath, [this.entry], { cwd: workspace, env: definedOnly(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', chunk => { stdout += chunk; });
    child.stderr.on('data', chunk => { stderr += chunk; });
    const code = await new Promise<number | null>(resolve => child.on('close', resolve));
    const printed = stdout.split('\n').filter(Boolean);
    const log = printed.map(line => parseBuildLogLine(line)).filter(parsed => parsed !== undefined);
    const lines = printed.map(line => parseBuildLogLine(line)?.record.text ?? line);
    return {
      code,
      deploymentId: env[BUILD_PARAMETERS.deploymentId]!,
      output: [...lines, stderr].join('\n'),
      lines,
      stdout,
      log,
      live: readFileSync(this.liveFile, 'utf8').split('\n').filter(Boolean).map(line => JSON.parse(line)),
      markers: log.filter(({ record }) => record.stream === 'system')
        .map(({ record }) => parsePhaseMarker(record.text))
        .filter((marker): marker is PhaseMarker => marker !== undefined),
      records: readFileSync(this.recordFile, 'utf8').split('\n').filter(Boolean).map(line => JSON.parse(line)),
      workspace,
    };
  }

  cleanup(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** The variables that say how this machine reaches the registries: a proxy, and the CA it signs with. */
const NETWORK_SETTINGS = [
  'NODE_EXTRA_CA_CERTS', 'SSL_CERT_FILE', 'SSL_CERT_DIR', 'npm_config_cafile', 'PIP_CERT', 'REQUESTS_CA_BUNDLE',
  'HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'NO_PROXY', 'no_proxy',
];

function definedOnly(env: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

/** `phase:outcome` per phase, after checking every start is followed by its own end with a duration. */
export function phaseOutcomes(markers: readonly PhaseMarker[]): string[] {
  const result: string[] = [];
  for (let i = 0; i < markers.length; i += 2) {
    const [start, end] = [markers[i], markers[i + 1]];
    const paired = start?.event === 'start' && end?.event === 'end' && start.phase === end.phase;
    if (!paired || typeof end.durationMs !== 'number' || end.durationMs < 0) {
      throw new Error(`phase markers are not start/end pairs at ${i}: ${JSON.stringify(markers)}`);
    }
    result.push(`${end.phase}:${end.outcome}`);
  }
  return result;
}

/** The end marker of `phase`. */
export function endOf(markers: readonly PhaseMarker[], phase: string): PhaseMarker | undefined {
  return markers.find(marker => marker.phase === phase && marker.event === 'end');
}

/** Records of framework CLIs only (not the git and npm wrappers). */
export function frameworkRecords(run: BuildRun): StubRecord[] {
  return run.records.filter(record => record.tool !== 'git' && record.tool !== 'npm');
}

/** Whether anything was checked out into the workspace. */
export function workspaceIsEmpty(run: BuildRun): boolean {
  return readdirSync(run.workspace).length === 0;
}

/** package.json and a dependency-free package-lock.json, so `npm ci` runs offline in a blink. */
export function npmPackage(name: string, scripts: Record<string, string> = {}): Record<string, string> {
  return {
    'package.json': JSON.stringify({ name, version: '1.0.0', private: true, scripts }, null, 2),
    'package-lock.json': JSON.stringify({
      name, version: '1.0.0', lockfileVersion: 3, requires: true, packages: { '': { name, version: '1.0.0' } },
    }, null, 2),
  };
}

export const PASSING_TEST = 'node -e "console.log(\'tests passed\')"';
export const FAILING_TEST = 'node -e "console.log(\'1 test failed\'); process.exit(1)"';
