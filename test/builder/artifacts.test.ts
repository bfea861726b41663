import { execFileSync } from 'child_process';
import { existsSync, readdirSync, readFileSync } from 'fs';
import { join } from 'path';
import { BuildRun, BuilderHarness, endOf, frameworkRecords, npmPackage, phaseOutcomes } from './harness';
import { BUILD_PARAMETERS } from '../../src/contract/build-environment';
import { LOCAL_BUILD_SETTINGS } from '../../src/local/local-build-settings';
import { DeploymentAction } from '../../src/runtime/core';
import { appConfig, depId, envConfig, queuedDeployment } from '../store/fixtures';

/**
 * Deploy artifacts end to end: the builder as a process, real git and tar, framework CLIs as
 * stubs on PATH that record their argv and write what the real ones would, the artifacts in
 * a folder (as local mode keeps them; S3 in AWS behind the same storage interface).
 */
describe('builder: deploy artifacts', () => {
  let harness: BuilderHarness;
  let artifactDir: string;
  const repos: Record<string, { url: string; commits: string[] }> = {};
  let ids = 1000;

  /** Custom commands: build writes dist/, the deploy script reports where it ran and what it saw. */
  const custom = (deploy = ['node', 'ship.js']) => envConfig('dev', {
    variables: { SHIP_LOG: harness.path('ship.log') },
    framework: { kind: 'custom', build: ['node', 'build.js'], deploy, remove: ['node', 'ship.js'], artifact: ['ship.js', 'dist'] },
  });
  const apps = (toolDeploy?: string[]) => [
    appConfig('infra', [envConfig('dev'), envConfig('staging')]),
    appConfig('api', [envConfig('dev')]),
    appConfig('shop', [envConfig('dev')]),
    appConfig('lambdas', [envConfig('dev', { region: 'eu-west-1', account: '111122223333' })]),
    appConfig('tool', [custom(toolDeploy)]),
  ];

  beforeAll(async () => {
    harness = await BuilderHarness.create();
    artifactDir = harness.path('artifacts');
    await harness.configure(apps());
    repos.infra = harness.repo('infra', { 'cdk.json': '{ "app": "node app.js" }', ...npmPackage('infra') });
    repos.api = harness.repo('api', { 'serverless.yml': 'service: api\nprovider:\n  name: aws\n', ...npmPackage('api') });
    repos.lambdas = harness.repo('lambdas', { 'template.yaml': 'Resources: {}\n', 'samconfig.toml': 'version = 0.1\n' });
    repos.shop = harness.repo('shop', { 'sst.config.ts': 'export default $config({});\n', ...npmPackage('shop') });
    repos.tool = harness.repo('tool', {
      'build.js': "require('fs').mkdirSync('dist', { recursive: true }); require('fs').writeFileSync('dist/app.txt', 'built in ' + process.cwd());\n",
      'ship.js': "const fs = require('fs'); fs.appendFileSync(process.env.SHIP_LOG, JSON.stringify({ cwd: process.cwd(), "
        + "commit: process.env.TRELLIS_COMMIT, files: fs.readdirSync('.').sort(), app: fs.readFileSync('dist/app.txt', 'utf8') }) + '\\n');\n",
      'README.md': 'not needed by the deploy\n',
    });
  });

  afterAll(() => harness?.cleanup());

  /** A deploy that built, recorded in the table with the phases its log reported. */
  const deploy = async (application: string, environment = 'dev'): Promise<BuildRun> => {
    const run = await harness.run({
      application,
      environment,
      commit: repos[application].commits[0],
      gitUrl: repos[application].url,
      params: { [LOCAL_BUILD_SETTINGS.artifactDir]: artifactDir },
    });
    await harness.succeeded(run);
    await harness.storeLog(run);
    return run;
  };

  /** A rollback or promotion of `source`, created as the API would, then built. */
  const redeploy = async (action: DeploymentAction, source: BuildRun, application: string, environment = 'dev',
    params: Record<string, string | undefined> = {}): Promise<BuildRun> => {
    const id = depId(++ids);
    const commit = repos[application].commits[0];
    await harness.record(queuedDeployment(id, application, environment, {
      action, commit, trigger: { kind: action === 'rollback' ? 'rollback' : 'promotion', actor: 'octocat', sourceDeploymentId: source.deploymentId },
    }));
    const run = await harness.run({
      application,
      environment,
      commit,
      gitUrl: repos[application].url,
      action,
      params: { [LOCAL_BUILD_SETTINGS.artifactDir]: artifactDir, [BUILD_PARAMETERS.deploymentId]: id, ...params },
    });
    await harness.storeLog(run);
    return run;
  };

  const entry = (application: string, environment: string, deploymentId: string) =>
    join(artifactDir, 'artifacts', application, environment, deploymentId);
  const manifestOf = (archive: string) => JSON.parse(execFileSync('tar', ['-xOf', archive, 'trellis-artifact.json'], { encoding: 'utf8' }));
  const filesOf = (archive: string) => execFileSync('tar', ['-tf', archive], { encoding: 'utf8' }).split('\n').filter(Boolean).sort();
  const toolsRun = (run: BuildRun) => run.records.map(record => `${record.tool} ${record.argv[0]}`);

  describe('CDK', () => {
    let first: BuildRun;

    test('a deploy saves the synthesized cloud assembly with a manifest of its target', async () => {
      first = await deploy('infra');

      expect(first.code).toBe(0);
      expect(phaseOutcomes(first.markers).slice(-3)).toEqual(['build:succeeded', 'deploy:succeeded', 'save-artifact:succeeded']);
      expect(endOf(first.markers, 'save-artifact')?.detail).toMatch(/^saved cdk artifact, [\d.]+ [kM]B to /);
      const archive = entry('infra', 'dev', first.deploymentId);
      expect(filesOf(archive)).toEqual(expect.arrayContaining(['trellis-artifact.json', 'cdk.out/manifest.json', 'cdk.out/AppStack.template.json']));
      expect(filesOf(archive).filter(file => !file.startsWith('cdk.out/') && file !== 'cdk.out/')).toEqual(['trellis-artifact.json']);
      expect(manifestOf(archive)).toEqual({
        framework: 'cdk',
        stage: 'dev',
        environment: 'dev',
        commit: repos.infra.commits[0],
        deploymentId: first.deploymentId,
        deployCommand: ['cdk', 'deploy', '--all', '--require-approval', 'never', '-c', 'stage=dev', '--app', 'cdk.out'],
        paths: ['cdk.out'],
      });
    });

    let rollback: BuildRun;
    test('a rollback deploys the stored assembly with --app: no clone, install, synth or test', async () => {
      rollback = await redeploy('rollback', first, 'infra');

      expect(rollback.code).toBe(0);
      expect(phaseOutcomes(rollback.markers)).toEqual(['prepare:succeeded', 'fetch-artifact:succeeded', 'deploy:succeeded', 'save-artifact:skipped']);
      expect(endOf(rollback.markers, 'fetch-artifact')?.detail).toMatch(new RegExp(`^from artifact ${first.deploymentId} \\(cdk, [\\d.]+ [kM]B from `));
      expect(endOf(rollback.markers, 'save-artifact')?.detail).toBe(`deployed from artifact ${first.deploymentId}`);
      expect(rollback.records).toEqual([expect.objectContaining({
        tool: 'cdk',
        argv: ['deploy', '--all', '--require-approval', 'never', '-c', 'stage=dev', '--app', 'cdk.out'],
        cwd: rollback.workspace,
        script: join(harness.bin, 'cdk'),
      })]);
      // The assembly the first build synthesized, unpacked where --app points; nothing of the repository.
      expect(readFileSync(join(rollback.workspace, 'cdk.out', 'AppStack.template.json'), 'utf8')).toContain(`made by cdk synth in ${first.workspace}`);
      expect(readdirSync(rollback.workspace)).toEqual(['cdk.out']);
    });

    test('a rollback to a deployment that was itself deployed from an artifact uses the original artifact', async () => {
      const again = await redeploy('rollback', rollback, 'infra');

      expect(again.code).toBe(0);
      expect(endOf(again.markers, 'fetch-artifact')).toMatchObject({ outcome: 'succeeded', detail: expect.stringContaining(`from artifact ${first.deploymentId} `) });
      expect(toolsRun(again)).toEqual(['cdk deploy']);
    });

    test('a promotion to another stage rebuilds, labelled: the assembly is made for its stage', async () => {
      const promotion = await redeploy('promote', first, 'infra', 'staging');

      expect(promotion.code).toBe(0);
      expect(endOf(promotion.markers, 'fetch-artifact')).toMatchObject({
        outcome: 'skipped',
        detail: 'rebuild: target differs: built in dev, this deploys staging (an artifact deploys only where it was built)',
      });
      expect(phaseOutcomes(promotion.markers).map(outcome => outcome.split(':')[0])).toEqual([
        'prepare', 'fetch-artifact', 'clone', 'detect', 'install', 'test', 'build', 'deploy', 'save-artifact',
      ]);
      expect(frameworkRecords(promotion).map(record => record.argv.slice(0, 3).join(' '))).toEqual(['synth -c stage=staging', 'deploy --all --require-approval']);
      // The promotion built, so it stored its own artifact for staging.
      expect(existsSync(entry('infra', 'staging', promotion.deploymentId))).toBe(true);
    });
  });

  describe('Serverless Framework', () => {
    let first: BuildRun;

    test('the build runs serverless package, the deploy deploys that package, and the package is saved', async () => {
      first = await deploy('api');

      expect(first.code).toBe(0);
      expect(frameworkRecords(first).map(record => record.argv)).toEqual([
        ['package', '--stage', 'dev', '--package', '.trellis/package'],
        ['deploy', '--stage', 'dev', '--package', '.trellis/package'],
      ]);
      expect(endOf(first.markers, 'save-artifact')?.outcome).toBe('succeeded');
      const archive = entry('api', 'dev', first.deploymentId);
      expect(filesOf(archive)).toEqual(expect.arrayContaining([
        'trellis-artifact.json', 'serverless.yml', '.trellis/package/serverless-state.json', '.trellis/package/cloudformation-template-update-stack.json',
      ]));
      expect(manifestOf(archive)).toMatchObject({ framework: 'serverless', stage: 'dev', paths: ['serverless.yml', '.trellis/package'] });
    });

    test('a rollback runs serverless deploy --package on the stored package and nothing else', async () => {
      const rollback = await redeploy('rollback', first, 'api');

      expect(rollback.code).toBe(0);
      expect(phaseOutcomes(rollback.markers)).toEqual(['prepare:succeeded', 'fetch-artifact:succeeded', 'deploy:succeeded', 'save-artifact:skipped']);
      expect(rollback.records).toEqual([expect.objectContaining({
        tool: 'serverless', argv: ['deploy', '--stage', 'dev', '--package', '.trellis/package'], cwd: rollback.workspace,
      })]);
      expect(readFileSync(join(rollback.workspace, '.trellis', 'package', 'serverless-state.json'), 'utf8'))
        .toContain(`made by serverless package in ${first.workspace}`);
      expect(readFileSync(join(rollback.workspace, 'serverless.yml'), 'utf8')).toContain('service: api');
    });
  });

  describe('SAM', () => {
    test('the packaged template and samconfig are saved; a rollback runs sam deploy --template-file on them, without sam build', async () => {
      const first = await deploy('lambdas');
      expect(first.code).toBe(0);
      expect(manifestOf(entry('lambdas', 'dev', first.deploymentId))).toMatchObject({
        framework: 'sam', region: 'eu-west-1', account: '111122223333', paths: ['.trellis/packaged.yaml', 'samconfig.toml'],
      });

      const rollback = await redeploy('rollback', first, 'lambdas');

      expect(phaseOutcomes(rollback.markers)).toEqual(['prepare:succeeded', 'fetch-artifact:succeeded', 'deploy:succeeded', 'save-artifact:skipped']);
      expect(rollback.records.map(record => record.argv)).toEqual([
        // As the build's deploy: samconfig has no [dev] section, so [default] and Trellis's stack name.
        ['deploy', '--template-file', '.trellis/packaged.yaml', '--config-env', 'default', '--stack-name', 'lambdas-dev', '--no-confirm-changeset', '--no-fail-on-empty-changeset'],
      ]);
      expect(readFileSync(join(rollback.workspace, '.trellis', 'packaged.yaml'), 'utf8')).toContain(`made by sam package in ${first.workspace}`);
      expect(readdirSync(rollback.workspace).sort()).toEqual(['.trellis', 'samconfig.toml']);
    });

    test('without the framework CLI on PATH a rollback rebuilds, labelled (a deploy from an artifact has no node_modules)', async () => {
      const first = await deploy('lambdas');
      // PATH without the stubs' directory: no sam anywhere.
      const rollback = await redeploy('rollback', first, 'lambdas', 'dev', { PATH: process.env.PATH });

      expect(endOf(rollback.markers, 'fetch-artifact')).toMatchObject({
        outcome: 'skipped', detail: 'rebuild: sam is not on PATH (a deploy from an artifact has no node_modules)',
      });
      // The rebuild cloned into the workspace, which the artifact had left untouched.
      expect(endOf(rollback.markers, 'clone')?.outcome).toBe('succeeded');
    });
  });

  describe('an app without artifact support (SST)', () => {
    test('the deploy saves nothing and says why; a rollback rebuilds the commit, labelled', async () => {
      const first = await deploy('shop');
      expect(first.code).toBe(0);
      expect(endOf(first.markers, 'save-artifact')).toMatchObject({
        outcome: 'skipped', detail: 'SST deploys only from source (sst deploy builds): a rollback rebuilds this commit',
      });
      expect(existsSync(entry('shop', 'dev', first.deploymentId))).toBe(false);

      const rollback = await redeploy('rollback', first, 'shop');

      expect(rollback.code).toBe(0);
      expect(endOf(rollback.markers, 'fetch-artifact')).toMatchObject({
        outcome: 'skipped',
        detail: `rebuild: no artifact stored for ${first.deploymentId}: SST deploys only from source (sst deploy builds): a rollback rebuilds this commit`,
      });
      expect(phaseOutcomes(rollback.markers)).toEqual([
        'prepare:succeeded', 'fetch-artifact:skipped', 'clone:succeeded', 'detect:succeeded', 'install:succeeded', 'test:skipped',
        'build:skipped', 'deploy:succeeded', 'save-artifact:skipped',
      ]);
      expect(toolsRun(rollback)).toEqual(expect.arrayContaining(['git fetch', 'npm ci', 'sst deploy']));
    });
  });

  describe('custom commands with artifact paths', () => {
    let first: BuildRun;
    const shipped = () => readFileSync(harness.path('ship.log'), 'utf8').trim().split('\n').map(line => JSON.parse(line));

    test('a deploy stores the declared paths, built output included, and nothing else of the checkout', async () => {
      first = await deploy('tool');

      expect(first.code).toBe(0);
      expect(endOf(first.markers, 'save-artifact')?.outcome).toBe('succeeded');
      const archive = entry('tool', 'dev', first.deploymentId);
      expect(filesOf(archive).filter(file => !file.endsWith('/'))).toEqual(['dist/app.txt', 'ship.js', 'trellis-artifact.json']);
      expect(manifestOf(archive)).toMatchObject({ framework: 'custom', deployCommand: ['node', 'ship.js'], paths: ['ship.js', 'dist'] });
    });

    test('a rollback runs the deploy command on the stored paths alone: no clone, install, test or build', async () => {
      const rollback = await redeploy('rollback', first, 'tool');

      expect(rollback.code).toBe(0);
      expect(phaseOutcomes(rollback.markers)).toEqual(['prepare:succeeded', 'fetch-artifact:succeeded', 'deploy:succeeded', 'save-artifact:skipped']);
      expect(toolsRun(rollback)).toEqual([]); // not even git
      expect(shipped().pop()).toEqual({
        cwd: rollback.workspace, commit: repos.tool.commits[0], files: ['dist', 'ship.js'], app: `built in ${first.workspace}`,
      });
    });

    test('when the deploy command changed since, the artifact is not used: a rebuild, labelled', async () => {
      await harness.configure(apps(['node', 'ship.js', '--changed']));
      try {
        const rollback = await redeploy('rollback', first, 'tool');
        expect(rollback.code).toBe(0);
        expect(endOf(rollback.markers, 'fetch-artifact')).toMatchObject({
          outcome: 'skipped', detail: 'rebuild: the deploy command changed since the artifact was made',
        });
        expect(toolsRun(rollback)).toContain('git fetch');
        expect(shipped().pop()).toMatchObject({ cwd: rollback.workspace, app: `built in ${rollback.workspace}` });
      } finally {
        await harness.configure(apps());
      }
    });

    test('when the artifact paths were taken out of the configuration since, the stored artifact is not used: a rebuild, labelled', async () => {
      const { artifact: _dropped, ...withoutArtifact } = custom().framework!;
      await harness.configure([...apps().slice(0, -1), appConfig('tool', [{ ...custom(), framework: withoutArtifact }])]);
      try {
        const rollback = await redeploy('rollback', first, 'tool');
        expect(rollback.code).toBe(0);
        expect(endOf(rollback.markers, 'fetch-artifact')).toMatchObject({
          outcome: 'skipped', detail: 'rebuild: custom commands declare no artifact paths',
        });
        expect(endOf(rollback.markers, 'save-artifact')).toMatchObject({
          outcome: 'skipped', detail: 'custom commands declare no artifact paths: a rollback rebuilds this commit',
        });
        expect(toolsRun(rollback)).toContain('git fetch');
      } finally {
        await harness.configure(apps());
      }
    });
  });

  test('a rollback whose deployment names no source rebuilds, labelled', async () => {
    const id = depId(++ids);
    await harness.record(queuedDeployment(id, 'api', 'dev', { action: 'rollback', commit: repos.api.commits[0], trigger: { kind: 'rollback' } }));
    const run = await harness.run({
      application: 'api',
      environment: 'dev',
      commit: repos.api.commits[0],
      gitUrl: repos.api.url,
      action: 'rollback',
      params: { [LOCAL_BUILD_SETTINGS.artifactDir]: artifactDir, [BUILD_PARAMETERS.deploymentId]: id },
    });
    expect(run.code).toBe(0);
    expect(endOf(run.markers, 'fetch-artifact')).toMatchObject({ outcome: 'skipped', detail: 'rebuild: no source deployment is recorded' });
    expect(toolsRun(run)).toContain('serverless package');
  });
});
