import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { BuildError } from '../../src/builder/build-error';
import { detectProject } from '../../src/builder/detect';

describe('detectProject', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'trellis-detect-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function files(entries: Record<string, string>): string {
    for (const [name, content] of Object.entries(entries)) {
      mkdirSync(join(dir, name, '..'), { recursive: true });
      writeFileSync(join(dir, name), content);
    }
    return dir;
  }
  const pkg = (deps: Record<string, string> = {}) => JSON.stringify({ name: 'app', devDependencies: deps });

  test.each([
    [{ test: 'jest' }, true],
    [{ test: 'vitest run --coverage' }, true],
    [{ test: 'echo "Error: no test specified" && exit 1' }, false], // npm init's placeholder
    [{ test: '   ' }, false],
    [{ build: 'tsc' }, false],
    [{ test: 42 }, false],
    [undefined, false],
    [['test'], false],
  ])('a test script in package.json scripts %j: %s', (scripts, hasTestScript) => {
    expect(detectProject(files({ 'package.json': JSON.stringify({ name: 'app', scripts }), 'cdk.json': '{}' })).hasTestScript).toBe(hasTestScript);
  });

  test.each([
    [{ 'yarn.lock': '', 'package-lock.json': '{}' }, 'yarn.lock', ['package-lock.json']],
    [{ 'pnpm-lock.yaml': '', 'yarn.lock': '', 'package-lock.json': '{}' }, 'pnpm-lock.yaml', ['yarn.lock', 'package-lock.json']],
    [{ 'package-lock.json': '{}' }, 'package-lock.json', undefined],
  ])('more than one lockfile %j: one is chosen, the others are named as ignored', (lockfiles, lockfile, ignoredLockfiles) => {
    const project = detectProject(files({ 'package.json': pkg(), 'cdk.json': '{}', ...lockfiles }));
    expect([project.lockfile, project.ignoredLockfiles]).toEqual([lockfile, ignoredLockfiles]);
  });

  test('no package.json: no test script', () => {
    expect(detectProject(files({ 'serverless.yml': 'service: s\n' }))).toMatchObject({ hasPackageJson: false, hasTestScript: false });
  });

  test.each([
    [{ 'pnpm-lock.yaml': '', 'package-lock.json': '{}' }, 'pnpm', 'pnpm-lock.yaml'],
    [{ 'yarn.lock': '' }, 'yarn', 'yarn.lock'],
    [{ 'package-lock.json': '{}' }, 'npm', 'package-lock.json'],
    [{}, 'npm', undefined],
  ])('package manager from the lockfile: %j', (lockfiles, packageManager, lockfile) => {
    const project = detectProject(files({ 'package.json': pkg(), 'cdk.json': '{}', ...lockfiles }));
    expect(project).toMatchObject({ packageManager, lockfile, hasPackageJson: true });
  });

  test.each([
    [{ 'sst.config.ts': 'export default {}', 'package.json': pkg({ sst: '^3.2.0' }) }, 'sst', 'sst v3'],
    [{ 'sst.config.js': 'export default {}', 'package.json': pkg({ sst: '~2.43.0' }) }, 'sst', 'sst v2'],
    [{ 'sst.config.ts': 'export default $config({})', 'package.json': pkg() }, 'sst', 'sst v3'],
    [{ 'sst.config.ts': 'import { SSTConfig } from "sst";' }, 'sst', 'sst v2'],
    [{ 'cdk.json': '{}' }, 'cdk', 'cdk'],
    [{ 'serverless.ts': '' }, 'serverless', 'serverless'],
    [{ 'serverless.yaml': '' }, 'serverless', 'serverless'],
    [{ 'template.yml': '', 'samconfig.toml': '' }, 'sam', 'sam'],
  ])('framework from the repository root: %j', (entries, kind, label) => {
    expect(detectProject(files(entries)).framework).toMatchObject({ kind, label });
  });

  test('CDK: the cloud assembly directory follows cdk.json output, but never outside the checkout', () => {
    expect(detectProject(files({ 'cdk.json': '{ "output": "build/assembly" }' })).framework.cdkOut).toBe('build/assembly');
    expect(detectProject(files({ 'cdk.json': '{ "output": "../elsewhere" }' })).framework.cdkOut).toBe('cdk.out');
  });

  test('Serverless and SAM: the configuration file a deploy from an artifact needs', () => {
    expect(detectProject(files({ 'serverless.yaml': '' })).framework.configFile).toBe('serverless.yaml');
    rmSync(join(dir, 'serverless.yaml'));
    expect(detectProject(files({ 'template.yaml': '', 'samconfig.yaml': '' })).framework.configFile).toBe('samconfig.yaml');
    expect(detectProject(dir, { kind: 'sam' }).framework.configFile).toBe('samconfig.yaml');
  });

  test('a configured framework wins over the files', () => {
    const project = detectProject(files({ 'cdk.json': '{}' }), { kind: 'custom', deploy: ['make', 'deploy'], remove: ['make', 'remove'] });
    expect(project.framework).toMatchObject({ kind: 'custom', label: 'custom (configured)' });
  });

  test('SAM without a samconfig: a template with the AWS::Serverless transform is SAM; a plain CloudFormation template is not', () => {
    const samTemplate = 'AWSTemplateFormatVersion: "2010-09-09"\nTransform: AWS::Serverless-2016-10-31\nResources: {}\n';
    expect(detectProject(files({ 'template.yaml': samTemplate })).framework).toEqual({ kind: 'sam', label: 'sam without samconfig', configFile: undefined, samConfigEnvironments: [] });
    rmSync(join(dir, 'template.yaml'));
    expect(detectProject(files({ 'template.yml': 'Transform:\n  - AWS::Serverless-2016-10-31\n' })).framework.kind).toBe('sam');
    rmSync(join(dir, 'template.yml'));
    expect(() => detectProject(files({ 'template.yaml': 'Resources: {}\n', 'package.json': pkg() })))
      .toThrow(/no deploy framework found at the repository root: .*template.yaml\/yml with the AWS::Serverless-2016-10-31 transform or a samconfig \(SAM\)/);
  });

  test.each([
    ['samconfig.toml', 'version = 0.1\n[default.deploy.parameters]\nstack_name = "x"\n[dev.deploy.parameters]\nstack_name = "x-dev"\n[ prod ]\n[prod.global.parameters]\n', ['default', 'dev', 'prod']],
    ['samconfig.toml', 'version = 0.1\n# [commented.deploy.parameters]\n', []],
    ['samconfig.yaml', 'version: 0.1\ndefault:\n  deploy:\n    parameters:\n      stack_name: x\nstaging: # the team\'s\n  deploy: {}\n', ['default', 'staging']],
    ['samconfig.yml', '', []],
  ])('the environments %s has sections for', (file, text, environments) => {
    expect(detectProject(files({ 'template.yaml': 'Resources: {}\n', [file]: text })).framework.samConfigEnvironments).toEqual(environments);
  });

  test('a broken package.json fails the build with a BuildError', () => {
    expect(() => detectProject(files({ 'package.json': '{', 'cdk.json': '{}' }))).toThrow(BuildError);
  });
});
