import { execFile } from 'child_process';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { delimiter, dirname, join } from 'path';
import { promisify } from 'util';
import { gitRepo } from './local-fixtures';
import { cleanUp, noteDescendants } from './support/process-cleanup';
import { TrellisProcess, bundleTrellis } from './support/trellis-process';
import { frameworkStubSource } from '../builder/harness';
import { buildWheel } from '../builder/support/tiny-index';
import { TinyRegistry } from '../builder/support/tiny-registry';
import { LocalApi, pushed } from '../reliability/support/local-trellis';
import { uvBinDir } from '../support/python-tools';

/**
 * Repository shapes teams have, each pushed through `trellis local` end to end (real git, the
 * real builder, real pnpm, yarn, npm and uv against servers on 127.0.0.1; stub framework CLIs on
 * PATH that record their arguments and folder, as the builder tests' harness does): the phases,
 * the commands that really ran with their arguments, and the reasons shown.
 */

const REPO_BIN = join(__dirname, '..', '..', 'node_modules', '.bin');

interface StubRecord { tool: string; argv: string[]; cwd: string }
interface Phase { phase: string; outcome: string; detail?: string }

let scratch: string;
let cli: string | undefined;
let trellis: TrellisProcess | undefined;
let registry: TinyRegistry | undefined;
let recordFile: string;
const commands = new Map<number, string>();
const api = new LocalApi(() => trellis!);

/** The Python CDK app: synth runs `python3 app.py`, which needs the app's own dependency from its requirements. */
const CDK_RUNS_APP = `
if (args[0] === 'synth' && fs.existsSync('app.py')) {
  const run = require('child_process').spawnSync('python3', ['app.py'], { encoding: 'utf8' });
  process.stdout.write(run.stdout + run.stderr);
  if (run.status !== 0) process.exit(run.status ?? 1);
}
`;

/** The stack ids of a committed cloud assembly (what `cdk synth` would write for a two-stack app). */
function assembly(stacks: string[]): string {
  return JSON.stringify({
    version: '36.0.0',
    artifacts: Object.fromEntries(stacks.map(id => [id, { type: 'aws:cloudformation:stack', environment: 'aws://unknown-account/unknown-region', properties: { templateFile: `${id}.template.json` } }])),
  });
}

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'trellis-corpus-'));
  recordFile = join(scratch, 'records.jsonl');
  const bin = join(scratch, 'bin');
  mkdirSync(bin);
  for (const tool of ['sst', 'cdk', 'serverless', 'sam']) {
    const source = frameworkStubSource(recordFile, tool);
    writeFileSync(join(bin, tool), tool === 'cdk' ? source.replace('const made = ', `${CDK_RUNS_APP}const made = `) : source, { mode: 0o755 });
  }
  for (const tool of ['pnpm', 'yarn']) symlinkSync(join(REPO_BIN, tool), join(bin, tool));

  registry = await TinyRegistry.start([{ name: 'tiny-a', version: '1.0.0', value: 'a1' }, { name: 'tiny-b', version: '2.0.0', value: 'b2' }]);
  const repos = join(scratch, 'repos');
  const pathFor = (name: string) => join(repos, name);

  // A pnpm workspace; the app is packages/api (the application's rootDirectory), its lockfile at the root.
  const mono = {
    'package.json': JSON.stringify({ name: 'mono', private: true }),
    'pnpm-workspace.yaml': 'packages:\n  - "packages/*"\n',
    'packages/lib/package.json': JSON.stringify({ name: '@mono/lib', version: '1.0.0', main: 'index.js', dependencies: { 'tiny-b': '2.0.0' } }),
    'packages/lib/index.js': 'module.exports = { value: \'lib+\' + require(\'tiny-b\').value };\n',
    'packages/api/package.json': JSON.stringify({
      name: '@mono/api',
      version: '1.0.0',
      private: true,
      dependencies: { '@mono/lib': 'workspace:*', 'tiny-a': '1.0.0' },
      scripts: { test: 'node -e "console.log(\'api tests see \' + require(\'@mono/lib\').value + \' and \' + require(\'tiny-a\').value)"' },
    }),
    'packages/api/serverless.yml': 'service: mono-api\n',
  };
  const monoDir = pathFor('mono');
  mkdirSync(monoDir, { recursive: true });
  for (const [file, content] of Object.entries(mono)) {
    mkdirSync(dirname(join(monoDir, file)), { recursive: true });
    writeFileSync(join(monoDir, file), content);
  }
  // Asynchronous: the registry answers from this process.
  await promisify(execFile)('pnpm', ['install', '--lockfile-only', '--ignore-scripts'], {
    cwd: monoDir, env: { ...process.env, PATH: `${bin}${delimiter}${process.env.PATH}`, npm_config_registry: registry.url, npm_config_store_dir: join(scratch, 'lock-store') },
  });
  gitRepo(monoDir, { 'pnpm-lock.yaml': readFileSync(join(monoDir, 'pnpm-lock.yaml'), 'utf8') });

  gitRepo(pathFor('sam-bare'), {
    'template.yaml': 'AWSTemplateFormatVersion: "2010-09-09"\nTransform: AWS::Serverless-2016-10-31\nResources:\n  Fn:\n    Type: AWS::Serverless::Function\n',
  });

  // The wheel is committed with the app (binary: written before the repository's first commit).
  mkdirSync(join(pathFor('py-cdk'), 'wheels'), { recursive: true });
  buildWheel(join(pathFor('py-cdk'), 'wheels'), { name: 'tdemo', version: '1.2.3' });
  gitRepo(pathFor('py-cdk'), {
    'cdk.json': '{ "app": "python3 app.py" }',
    'app.py': 'import tdemo\nprint("the CDK app imports tdemo " + tdemo.VERSION)\n',
    'requirements.txt': '--no-index\n--find-links ./wheels\ntdemo==1.2.3\n',
  });

  gitRepo(pathFor('multi-cdk'), {
    'package.json': JSON.stringify({ name: 'multi', version: '1.0.0' }),
    'cdk.json': '{ "app": "node bin/app.js" }',
    'cdk.out/manifest.json': assembly(['multi-stack-dev', 'multi-stack-prod']),
  });

  gitRepo(pathFor('sls-bare'), { 'serverless.yml': 'service: bare\nprovider:\n  name: aws\n' });

  gitRepo(pathFor('two-locks'), {
    'package.json': JSON.stringify({ name: 'two-locks', version: '1.0.0', scripts: { test: 'node -e "console.log(\'two-locks tests\')"' } }),
    'package-lock.json': JSON.stringify({ name: 'two-locks', version: '1.0.0', lockfileVersion: 3, requires: true, packages: { '': { name: 'two-locks', version: '1.0.0' } } }),
    'yarn.lock': '# THIS IS AN AUTOGENERATED FILE. DO NOT EDIT THIS FILE DIRECTLY.\n# yarn lockfile v1\n\n\n',
    'serverless.yml': 'service: two-locks\n',
  });

  // .nvmrc asks for another major than the machine's: fetched from the npm registry into the data dir, first on the app's PATH.
  gitRepo(pathFor('node18'), {
    '.nvmrc': '18\n',
    'package.json': JSON.stringify({ name: 'node18', version: '1.0.0', scripts: { test: 'node -e "console.log(\'tests run on \' + process.version)"' } }),
    'serverless.yml': 'service: node18\n',
  });

  const dev = { name: 'dev', kind: 'development', branch: 'main' };
  const config = join(scratch, 'trellis.json');
  writeFileSync(config, JSON.stringify({
    applications: [
      // Only this app installs from the registry on 127.0.0.1 (the Node 18 app fetches Node from npm's).
      { name: 'mono', repository: monoDir, rootDirectory: 'packages/api', environments: [{ ...dev, variables: { npm_config_registry: registry.url } }] },
      { name: 'sam-bare', repository: pathFor('sam-bare'), environments: [dev] },
      { name: 'py-cdk', repository: pathFor('py-cdk'), environments: [dev] },
      { name: 'multi-cdk', repository: pathFor('multi-cdk'), environments: [dev, { name: 'prod', kind: 'production' }] },
      { name: 'sls-bare', repository: pathFor('sls-bare'), environments: [dev] },
      { name: 'two-locks', repository: pathFor('two-locks'), environments: [dev] },
      { name: 'node18', repository: pathFor('node18'), environments: [dev] },
    ],
  }));

  cli = bundleTrellis();
  trellis = await TrellisProcess.start(cli, {
    dataDir: join(scratch, 'data'),
    config,
    env: {
      PATH: [bin, await uvBinDir(), process.env.PATH].join(delimiter),
      npm_config_store_dir: join(scratch, 'pnpm-store'),
      YARN_CACHE_FOLDER: join(scratch, 'yarn-cache'),
    },
  });
  noteDescendants(trellis, commands);
}, 240_000);

afterAll(async () => {
  await registry?.stop();
  registry?.cleanup();
  await cleanUp(trellis ? [trellis] : [], commands, [scratch, cli && dirname(dirname(cli))].filter((path): path is string => Boolean(path)));
}, 60_000);

/** Push the app, wait for the end; its phases, the builder's `$` lines, its log and the stubs' records. */
async function deploy(app: string) {
  writeFileSync(recordFile, '');
  const id = await pushed(trellis!, app, `corpus: ${app}`);
  const done = await api.terminal(id, 120_000);
  const full = await api.call('GET', `/api/deployments/${encodeURIComponent(id)}`) as { phases: Phase[] };
  const log = await api.log(id);
  const lines = log.map(record => record.text);
  return {
    done,
    phases: Object.fromEntries(full.phases.map(phase => [phase.phase, `${phase.outcome}${phase.detail ? `: ${phase.detail}` : ''}`])),
    ran: lines.filter(line => /^\$ (?!git )/.test(line)),
    lines,
    stubs: readFileSync(recordFile, 'utf8').split('\n').filter(Boolean).map(line => JSON.parse(line) as StubRecord),
  };
}

test('a pnpm workspace with the app in packages/api: installed at the root, tested and deployed in the folder; the next build restores the workspace', async () => {
  const first = await deploy('mono');
  expect([first.done.status, first.done.reason]).toEqual(['succeeded', undefined]);
  expect(first.phases.detect).toBe('succeeded: serverless with pnpm; in packages/api, installed at the repository root');
  expect(first.ran).toEqual([
    '$ pnpm install --frozen-lockfile',
    '$ pnpm run test   (in packages/api)',
    '$ serverless package --stage dev --package .trellis/package   (in packages/api)',
    '$ serverless deploy --stage dev --package .trellis/package   (in packages/api)',
  ]);
  expect(first.lines).toContain('api tests see lib+b2 and a1');
  expect(first.stubs.map(stub => [stub.argv[0], stub.cwd.endsWith('/packages/api')])).toEqual([['package', true], ['deploy', true]]);
  expect(first.phases['save-cache']).toMatch(/^succeeded: saved pnpm /);

  const second = await deploy('mono');
  expect(second.done.status).toBe('succeeded');
  expect(second.phases['restore-cache']).toMatch(/^succeeded: hit: pnpm /);
  expect(second.phases.install).toBe('skipped: node_modules restored from the dependency cache');
  expect(second.lines).toContain('api tests see lib+b2 and a1');

  // The artifact holds the app folder's files: a rollback deploys it without a checkout.
  expect(first.phases['save-artifact']).toMatch(/^succeeded: saved serverless artifact/);
  writeFileSync(recordFile, '');
  const rollback = await api.call('POST', '/api/apps/mono/environments/dev/rollback', { deploymentId: first.done.id }, 202) as { id: string };
  expect(await api.terminal(rollback.id, 120_000)).toMatchObject({ status: 'succeeded' });
  const rolledBack = await api.call('GET', `/api/deployments/${encodeURIComponent(rollback.id)}`) as { phases: Phase[] };
  expect(rolledBack.phases.map(phase => `${phase.phase}:${phase.outcome}`)).toEqual(['prepare:succeeded', 'fetch-artifact:succeeded', 'deploy:succeeded', 'save-artifact:skipped']);
  expect(readFileSync(recordFile, 'utf8').split('\n').filter(Boolean).map(line => (JSON.parse(line) as StubRecord).argv.join(' ')))
    .toEqual(['deploy --stage dev --package .trellis/package']);
}, 240_000);

test('SAM without samconfig: built, packaged and deployed as <app>-<env> with the defaults a template needs; no package.json, no install', async () => {
  const { done, phases, stubs } = await deploy('sam-bare');
  expect([done.status, done.reason]).toEqual(['succeeded', undefined]);
  expect(phases.detect).toBe('succeeded: sam without samconfig (no package.json)');
  expect(phases.install).toMatch(/^skipped: /);
  expect(phases.test).toMatch(/^skipped: there is no package.json, so no test script/);
  expect(stubs.map(stub => stub.argv.join(' '))).toEqual([
    'build',
    'package --output-template-file .trellis/packaged.yaml --resolve-s3',
    'deploy --template-file .trellis/packaged.yaml --stack-name sam-bare-dev --resolve-s3 --capabilities CAPABILITY_IAM '
      + 'CAPABILITY_AUTO_EXPAND --no-confirm-changeset --no-fail-on-empty-changeset',
  ]);
}, 180_000);

test('Python CDK with requirements.txt: the dependencies go into the app\'s venv with uv, and `cdk synth` runs the app with them', async () => {
  const { done, phases, ran, lines } = await deploy('py-cdk');
  expect([done.status, done.reason]).toEqual(['succeeded', undefined]);
  expect(phases.detect).toMatch(/^succeeded: cdk \(no package\.json\); python requirements\.txt/);
  expect(ran.slice(0, 2)).toEqual([
    expect.stringMatching(/^\$ uv venv --clear --force --python python3 .*\/\.venv$/),
    expect.stringMatching(/^\$ uv pip install --python .*\/\.venv\/bin\/python -r requirements\.txt$/),
  ]);
  expect(lines).toContain('the CDK app imports tdemo 1.2.3');
  expect(ran).toContain('$ cdk synth -c stage=dev --quiet');
}, 180_000);

test('a multi-stack CDK app deploys only the stack of its environment, never the other environment\'s', async () => {
  const { done, stubs, lines } = await deploy('multi-cdk');
  expect([done.status, done.reason]).toEqual(['succeeded', undefined]);
  expect(lines).toContainEqual(expect.stringMatching(/^CDK deploys .*multi-stack-dev/));
  const deployed = stubs.find(stub => stub.argv[0] === 'deploy')!;
  expect(deployed.argv).toContain('multi-stack-dev');
  expect(deployed.argv).not.toContain('multi-stack-prod');
  expect(deployed.argv).not.toContain('--all');
}, 180_000);

test('Serverless without package.json: nothing to install or test, said so; deployed', async () => {
  const { done, phases, stubs } = await deploy('sls-bare');
  expect([done.status, done.reason]).toEqual(['succeeded', undefined]);
  expect(phases.detect).toBe('succeeded: serverless (no package.json)');
  expect(phases.install).toBe('skipped: no package.json, no Python dependencies and no install command');
  expect(phases.test).toMatch(/^skipped: there is no package.json, so no test script: nothing to test/);
  expect(stubs.map(stub => stub.argv[0])).toEqual(['package', 'deploy']);
}, 180_000);

test('both yarn.lock and package-lock.json: detect says which is used and which ignored; the install and tests use yarn', async () => {
  const { done, phases, ran } = await deploy('two-locks');
  expect([done.status, done.reason]).toEqual(['succeeded', undefined]);
  expect(phases.detect).toBe('succeeded: serverless with yarn; yarn.lock chosen, package-lock.json ignored (remove it, or set the install command)');
  expect(ran.slice(0, 2)).toEqual(['$ yarn install --frozen-lockfile', '$ yarn run test']);
}, 180_000);

test('.nvmrc asking for Node 18: detect says which Node and why, and the install and tests run on it', async () => {
  const { done, phases, lines } = await deploy('node18');
  expect([done.status, done.reason]).toEqual(['succeeded', undefined]);
  expect(phases.detect).toMatch(/^succeeded: serverless with npm \(no lockfile\), Node 18\.\d+\.\d+ \(\.nvmrc 18\)$/);
  expect(lines).toContainEqual(expect.stringMatching(/^tests run on v18\.\d+\.\d+$/));
}, 240_000);
