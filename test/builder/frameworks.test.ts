import { existsSync, readFileSync } from 'fs';
import { join } from 'path';
import {
  BuilderHarness, PASSING_TEST, endOf, frameworkRecords, frameworkStubSource, npmPackage, phaseOutcomes,
} from './harness';
import { appConfig, envConfig } from '../store/fixtures';

/**
 * Each kind of app goes through detect → install → test → deploy (or remove) with its
 * framework's own command and the stage. Framework CLIs are recording stubs.
 */

const DEPLOYED = ['prepare:succeeded', 'clone:succeeded', 'detect:succeeded', 'install:succeeded', 'test:succeeded'];

describe('builder: frameworks', () => {
  let harness: BuilderHarness;
  let deployTarget: string;
  const repos: Record<string, { url: string; commits: string[] }> = {};
  const run = (application: string, environment: string, action: 'deploy' | 'teardown' = 'deploy', commit = 0) => harness.run({
    application, environment, action, gitUrl: repos[application].url, commit: repos[application].commits[commit],
  });

  beforeAll(async () => {
    const tested = { runTests: true, testCommand: ['npm', 'run', 'test'] };
    harness = await BuilderHarness.create();
    // The custom app's deploy target lives outside every workspace, so teardown can see it.
    deployTarget = harness.path('site.txt');
    await harness.configure([
      appConfig('shop', [envConfig('dev', { ...tested, variables: { LOG_LEVEL: 'debug' } })]),
      appConfig('infra', [envConfig('staging', tested)]),
      appConfig('api', [envConfig('dev', tested)]),
      // `tested`: tests on by default ("auto"), as a new environment has them.
      appConfig('lambdas', [envConfig('dev'), envConfig('tested', { runTests: true })]),
      appConfig('functions', [envConfig('staging')]),
      // Its assembly (committed, so the stub synth keeps it) has a stack per environment, and a shared one tagged for dev.
      appConfig('multi', [envConfig('dev'), envConfig('staging', { stacks: ['multi-{stage}-*'] }), envConfig('prod'), envConfig('qa')]),
      appConfig('site', [envConfig('dev', {
        variables: { DEPLOY_TARGET: deployTarget },
        framework: {
          kind: 'custom',
          deploy: ['node', '-e', 'require("fs").writeFileSync(process.env.DEPLOY_TARGET, "deployed to " + process.env.STAGE)'],
          remove: ['node', '-e', 'require("fs").rmSync(process.env.DEPLOY_TARGET)'],
        },
      })]),
      appConfig('docker', [envConfig('dev')]),
      appConfig('plain', [envConfig('dev')]),
    ]);

    // SST: its CLI comes from the app's own devDependencies (an npm workspace package, offline).
    repos.shop = harness.repo('shop', {
      'sst.config.ts': '/// <reference path="./.sst/platform/config.d.ts" />\nexport default $config({ app: () => ({ name: "shop" }), async run() {} });\n',
      'package.json': JSON.stringify({
        name: 'shop', version: '1.0.0', private: true, workspaces: ['packages/*'], scripts: { test: PASSING_TEST }, devDependencies: { sst: '^3.2.0' },
      }),
      'package-lock.json': JSON.stringify({
        name: 'shop',
        version: '1.0.0',
        lockfileVersion: 3,
        requires: true,
        packages: {
          '': { name: 'shop', version: '1.0.0', workspaces: ['packages/*'], devDependencies: { sst: '^3.2.0' } },
          'node_modules/sst': { resolved: 'packages/sst', link: true },
          'packages/sst': { version: '3.2.1', bin: { sst: 'bin.js' } },
        },
      }),
      'packages/sst/package.json': JSON.stringify({ name: 'sst', version: '3.2.1', bin: { sst: 'bin.js' } }),
      'packages/sst/bin.js': frameworkStubSource(harness.recordFile, 'installed sst'),
      'version.txt': 'one',
    }, { 'version.txt': 'two' });
    repos.infra = harness.repo('infra', { 'cdk.json': '{ "app": "node app.js" }', ...npmPackage('infra', { test: PASSING_TEST }) });
    repos.api = harness.repo('api', { 'serverless.yml': 'service: api\nprovider:\n  name: aws\n', ...npmPackage('api', { test: PASSING_TEST }) });
    repos.lambdas = harness.repo('lambdas', { 'template.yaml': 'Resources: {}\n', 'samconfig.toml': 'version = 0.1\n[dev.deploy.parameters]\nstack_name = "lambdas-dev"\n' });
    const stackArtifact = (tags?: Record<string, string>) => ({ type: 'aws:cloudformation:stack', properties: { templateFile: 't.json', ...tags && { tags } } });
    repos.multi = harness.repo('multi', {
      'cdk.json': '{ "app": "node app.js" }',
      'cdk.out/manifest.json': JSON.stringify({
        version: '36.0.0',
        artifacts: {
          'cdk-stack-dev': stackArtifact(),
          'cdk-stack-prod': stackArtifact(),
          'Api': stackArtifact({ stage: 'dev' }),
          'multi-staging-x': stackArtifact(),
        },
      }),
    });
    // SAM as `sam init` leaves it before the first `sam deploy --guided`: a template, no samconfig.
    repos.functions = harness.repo('functions', { 'template.yaml': 'AWSTemplateFormatVersion: "2010-09-09"\nTransform: AWS::Serverless-2016-10-31\nResources: {}\n' });
    repos.site = harness.repo('site', npmPackage('site'));
    repos.docker = harness.repo('docker', {
      'cdk.json': '{ "app": "node app.js" }',
      'cdk.out/InfraStack.assets.json': JSON.stringify({ version: '36.0.0', files: {}, dockerImages: { abc123: { source: { directory: 'asset.abc123' }, destinations: {} } } }),
      ...npmPackage('docker'),
    });
    repos.plain = harness.repo('plain', npmPackage('plain'));
  });

  afterAll(() => harness?.cleanup());

  test('SST: exactly the commit, npm ci, tests, then the app\'s own sst deploy with the stage', async () => {
    const result = await run('shop', 'dev');

    expect(result.code).toBe(0);
    expect(phaseOutcomes(result.markers)).toEqual([...DEPLOYED, 'build:skipped', 'deploy:succeeded']);
    expect(endOf(result.markers, 'detect')?.detail).toBe('sst v3 with npm');
    // The first commit, not the branch tip, and only that commit (shallow).
    expect(readFileSync(join(result.workspace, 'version.txt'), 'utf8')).toBe('one');
    expect(existsSync(join(result.workspace, '.git', 'shallow'))).toBe(true);
    expect(result.records.filter(record => record.tool === 'npm').map(record => record.argv)).toEqual([['ci'], ['run', 'test']]);
    expect(result.output).toContain('tests passed');

    const [deploy, ...others] = frameworkRecords(result);
    expect(others).toEqual([]);
    expect(deploy).toMatchObject({ tool: 'installed sst', argv: ['deploy', '--stage', 'dev'], cwd: result.workspace });
    expect(deploy.script).toBe(join(result.workspace, 'packages', 'sst', 'bin.js'));
    expect(deploy.env).toMatchObject({ STAGE: 'dev', TRELLIS_STAGE: 'dev', LOG_LEVEL: 'debug', CI: 'true' });
    // Builder internals (table name, the test's secrets) never reach the app.
    expect(deploy.trellisKeys).toEqual(['TRELLIS_STAGE', 'TRELLIS_COMMIT']);
  });

  test('CDK: synth with the stage, then deploy that cloud assembly', async () => {
    const result = await run('infra', 'staging');

    expect(result.code).toBe(0);
    expect(phaseOutcomes(result.markers)).toEqual([...DEPLOYED, 'build:succeeded', 'deploy:succeeded']);
    expect(endOf(result.markers, 'detect')?.detail).toBe('cdk with npm');
    const records = frameworkRecords(result);
    expect(records.map(record => record.argv)).toEqual([
      ['synth', '-c', 'stage=staging', '--quiet'],
      ['deploy', '--all', '--require-approval', 'never', '-c', 'stage=staging', '--app', 'cdk.out'],
    ]);
    for (const record of records) {
      expect(record).toMatchObject({ tool: 'cdk', cwd: result.workspace, script: join(harness.bin, 'cdk') });
      expect(record.env.STAGE).toBe('staging');
    }
  });

  test('CDK with Docker image assets fails before deploying and says why', async () => {
    const result = await run('docker', 'dev');

    expect(result.code).toBe(1);
    expect(phaseOutcomes(result.markers)).toEqual(['prepare:succeeded', 'clone:succeeded', 'detect:succeeded', 'install:succeeded', 'test:skipped', 'build:failed']);
    expect(endOf(result.markers, 'build')?.detail).toMatch(/Docker image assets \(InfraStack\.assets\.json: abc123\).*Fargate builds cannot run Docker/);
    expect(frameworkRecords(result).map(record => record.argv[0])).toEqual(['synth']);
  });

  test('Serverless Framework: serverless package with the stage, then deploy that package', async () => {
    const result = await run('api', 'dev');

    expect(result.code).toBe(0);
    expect(phaseOutcomes(result.markers)).toEqual([...DEPLOYED, 'build:succeeded', 'deploy:succeeded']);
    expect(frameworkRecords(result)).toMatchObject([
      { tool: 'serverless', argv: ['package', '--stage', 'dev', '--package', '.trellis/package'], cwd: result.workspace },
      { tool: 'serverless', argv: ['deploy', '--stage', 'dev', '--package', '.trellis/package'], cwd: result.workspace },
    ]);
  });

  test('SAM without package.json: install skipped, sam build and package, then sam deploy of the packaged template with the config env', async () => {
    const result = await run('lambdas', 'dev');

    expect(result.code).toBe(0);
    expect(phaseOutcomes(result.markers)).toEqual([
      'prepare:succeeded', 'clone:succeeded', 'detect:succeeded', 'install:skipped', 'test:skipped', 'build:succeeded', 'deploy:succeeded',
    ]);
    expect(endOf(result.markers, 'detect')?.detail).toBe('sam (no package.json)');
    expect(endOf(result.markers, 'test')?.detail).toBe('runTests is off for this environment');
    expect(frameworkRecords(result).map(record => record.argv)).toEqual([
      ['build', '--config-env', 'dev'],
      ['package', '--config-env', 'dev', '--output-template-file', '.trellis/packaged.yaml', '--resolve-s3'],
      ['deploy', '--template-file', '.trellis/packaged.yaml', '--config-env', 'dev', '--no-confirm-changeset', '--no-fail-on-empty-changeset'],
    ]);
  });

  test('SAM without a samconfig: detected from the transform; built, packaged and deployed as the stack <app>-<env>, S3 and capabilities given', async () => {
    const result = await run('functions', 'staging');

    expect(result.code).toBe(0);
    expect(endOf(result.markers, 'detect')?.detail).toBe('sam without samconfig (no package.json)');
    expect(frameworkRecords(result).map(record => record.argv)).toEqual([
      ['build'],
      ['package', '--output-template-file', '.trellis/packaged.yaml', '--resolve-s3'],
      ['deploy', '--template-file', '.trellis/packaged.yaml', '--stack-name', 'functions-staging', '--resolve-s3',
        '--capabilities', 'CAPABILITY_IAM', 'CAPABILITY_AUTO_EXPAND', '--no-confirm-changeset', '--no-fail-on-empty-changeset'],
    ]);
    const teardown = await run('functions', 'staging', 'teardown');
    expect(frameworkRecords(teardown).map(record => record.argv)).toEqual([['delete', '--stack-name', 'functions-staging', '--no-prompts']]);
  });

  test('tests on by default but nothing to test (no package.json): the test phase is skipped saying what to set, and the deploy goes on', async () => {
    const result = await run('lambdas', 'tested');

    expect(result.code).toBe(0);
    expect(phaseOutcomes(result.markers)).toEqual([
      'prepare:succeeded', 'clone:succeeded', 'detect:succeeded', 'install:skipped', 'test:skipped', 'build:succeeded', 'deploy:succeeded',
    ]);
    expect(endOf(result.markers, 'test')?.detail)
      .toBe("there is no package.json, so no test script: nothing to test. Set the environment's testCommand to run tests, or runTests: false to say there are none");
  });

  test.each([
    ['shop', 'dev', ['remove', '--stage', 'dev']],
    ['api', 'dev', ['remove', '--stage', 'dev']],
    ['lambdas', 'dev', ['delete', '--config-env', 'dev', '--no-prompts']],
  ])('teardown of %s runs only the framework\'s remove command', async (application, environment, argv) => {
    const result = await run(application, environment, 'teardown');

    expect(result.code).toBe(0);
    const outcomes = phaseOutcomes(result.markers);
    expect(outcomes.slice(-3)).toEqual(['test:skipped', 'build:skipped', 'remove:succeeded']);
    expect(outcomes.some(outcome => outcome.startsWith('deploy'))).toBe(false);
    expect(frameworkRecords(result).map(record => record.argv)).toEqual([argv]);
    expect(result.records.some(record => record.tool === 'npm' && record.argv[0] === 'run')).toBe(false);
  });

  test('teardown of a CDK app synthesizes first (which stacks are the environment\'s is read from the assembly), then destroys from it', async () => {
    const result = await run('infra', 'staging', 'teardown');

    expect(result.code).toBe(0);
    expect(phaseOutcomes(result.markers).slice(-3)).toEqual(['test:skipped', 'build:succeeded', 'remove:succeeded']);
    expect(frameworkRecords(result).map(record => record.argv)).toEqual([
      ['synth', '-c', 'stage=staging', '--quiet'],
      ['destroy', '--all', '--force', '-c', 'stage=staging', '--app', 'cdk.out'],
    ]);
  });

  test('multi-stack CDK: only the stacks named or tagged for the environment deploy and tear down, never another environment\'s', async () => {
    const dev = await run('multi', 'dev');
    expect(dev.code).toBe(0);
    expect(frameworkRecords(dev).map(record => record.argv)).toEqual([
      ['synth', '-c', 'stage=dev', '--quiet'],
      ['deploy', 'cdk-stack-dev', 'Api', '--require-approval', 'never', '-c', 'stage=dev', '--app', 'cdk.out'],
    ]);
    expect(dev.lines).toContain('CDK deploys stacks cdk-stack-dev, Api (named or tagged for dev)');

    const staging = await run('multi', 'staging');
    expect(frameworkRecords(staging).map(record => record.argv)[1]).toEqual(['deploy', 'multi-staging-x', '--require-approval', 'never', '-c', 'stage=staging', '--app', 'cdk.out']);

    const prod = await run('multi', 'prod', 'teardown');
    expect(frameworkRecords(prod).map(record => record.argv)[1]).toEqual(['destroy', 'cdk-stack-prod', '--force', '-c', 'stage=prod', '--app', 'cdk.out']);
  });

  test('multi-stack CDK with no stack named for the environment: the build fails before deploying, listing the stacks and how to choose', async () => {
    const result = await run('multi', 'qa');

    expect(result.code).toBe(2);
    expect(phaseOutcomes(result.markers).slice(-1)).toEqual(['build:failed']);
    expect(endOf(result.markers, 'build')?.detail).toMatch(/^the cloud assembly has 4 stacks \(cdk-stack-dev, cdk-stack-prod, Api, multi-staging-x\) and none is named or tagged for qa: set the environment's stacks/);
    expect(frameworkRecords(result).map(record => record.argv[0])).toEqual(['synth']);
  });

  test('custom commands: deploy writes its target, teardown removes it', async () => {
    const deployed = await run('site', 'dev');
    expect(deployed.code).toBe(0);
    expect(endOf(deployed.markers, 'detect')?.detail).toBe('custom (configured) with npm');
    expect(readFileSync(deployTarget, 'utf8')).toBe('deployed to dev');

    const removed = await run('site', 'dev', 'teardown');
    expect(removed.code).toBe(0);
    expect(phaseOutcomes(removed.markers).slice(-1)).toEqual(['remove:succeeded']);
    expect(existsSync(deployTarget)).toBe(false);
  });

  test('a repository with no known framework fails in detect with a clear message', async () => {
    const result = await run('plain', 'dev');

    expect(result.code).toBe(1);
    expect(phaseOutcomes(result.markers)).toEqual(['prepare:succeeded', 'clone:succeeded', 'detect:failed']);
    expect(result.output).toContain('no deploy framework found at the repository root');
    expect(result.records.some(record => record.tool === 'npm')).toBe(false);
  });
});
