import { BuilderHarness, FAILING_TEST, PASSING_TEST, endOf, frameworkRecords, npmPackage, phaseOutcomes, workspaceIsEmpty } from './harness';
import { BUILD_PARAMETERS, BUILD_SETTINGS } from '../../src/contract/build-environment';
import { DeploymentAction } from '../../src/runtime/core';
import { appConfig, depId, envConfig, queuedDeployment } from '../store/fixtures';

/** Builds that must stop: failing tests, tests switched off, parameters, deployment records and config that are wrong. */
describe('builder: failures and skips', () => {
  let harness: BuilderHarness;
  let passing: { url: string; commits: string[] };
  let failing: { url: string; commits: string[] };

  beforeAll(async () => {
    harness = await BuilderHarness.create();
    const tested = { runTests: true, testCommand: ['npm', 'run', 'test'] };
    await harness.configure([
      appConfig('api', [envConfig('dev', tested), envConfig('prod', { runTests: false })]),
      appConfig('broken', [envConfig('dev', tested)]),
    ]);
    passing = harness.repo('api', { 'serverless.yml': 'service: api\n', ...npmPackage('api', { test: PASSING_TEST }) });
    failing = harness.repo('broken', { 'serverless.yml': 'service: broken\n', ...npmPackage('broken', { test: FAILING_TEST }) });
  });

  afterAll(() => harness?.cleanup());

  test('failing tests stop the build before deploy with exit code 1', async () => {
    const result = await harness.run({ application: 'broken', environment: 'dev', commit: failing.commits[0], gitUrl: failing.url });

    expect(result.code).toBe(1);
    expect(phaseOutcomes(result.markers)).toEqual(['prepare:succeeded', 'clone:succeeded', 'detect:succeeded', 'install:succeeded', 'test:failed']);
    expect(endOf(result.markers, 'test')?.detail).toBe('npm run test exited with code 1: 1 test failed');
    expect(result.output).toContain('1 test failed');
    expect(frameworkRecords(result)).toEqual([]);
  });

  test('runTests off marks the test phase skipped; a promotion deploys like a deploy', async () => {
    const result = await harness.run({ application: 'api', environment: 'prod', action: 'promote', commit: passing.commits[0], gitUrl: passing.url });

    expect(result.code).toBe(0);
    expect(phaseOutcomes(result.markers).slice(-3)).toEqual(['test:skipped', 'build:succeeded', 'deploy:succeeded']);
    expect(endOf(result.markers, 'test')?.detail).toBe('runTests is off for this environment');
    expect(result.records.some(record => record.tool === 'npm' && record.argv[0] === 'run')).toBe(false);
    expect(frameworkRecords(result).map(record => record.argv.slice(0, 3))).toEqual([['package', '--stage', 'prod'], ['deploy', '--stage', 'prod']]);
  });

  test.each([
    ['a deployment id of the wrong shape', { params: { [BUILD_PARAMETERS.deploymentId]: 'build-1' } }, "TRELLIS_DEPLOYMENT_ID: 'build-1' is not a deployment id"],
    ['a deployment that is not recorded', { params: { [BUILD_PARAMETERS.deploymentId]: depId(78) } }, `deployment ${depId(78)} is not recorded: nothing is built`],
    ['no installation', { params: { [BUILD_SETTINGS.installation]: undefined } }, 'TRELLIS_INSTALLATION is not set'],
    ['a git source that is an option', { params: { [BUILD_SETTINGS.gitUrl]: '--upload-pack=touch' } }, 'TRELLIS_GIT_URL'],
    ['a recorded environment that is not an environment name', { record: { environment: 'Prod' } }, "environment: 'Prod' must be 1-32 lowercase letters"],
    ['a recorded short commit', { record: { commit: 'abc1234' } }, "commit: 'abc1234' is not a full 40-character lowercase commit sha"],
    ['a recorded unknown action', { record: { action: 'destroy' as DeploymentAction } }, "action: 'destroy' is not one of deploy, promote, rollback, teardown"],
    ['a recorded environment that is not configured', { record: { environment: 'qa' } }, "application 'api' has no environment 'qa'"],
    ['a recorded application that is not configured', { record: { application: 'web' } }, "application 'web' is not configured"],
  ])('%s: exit code 2 with the reason, nothing cloned', async (_, change, reason) => {
    const result = await harness.run({ application: 'api', environment: 'dev', commit: passing.commits[0], gitUrl: passing.url, ...change });

    expect(result.code).toBe(2);
    expect(phaseOutcomes(result.markers)).toEqual(['prepare:failed']);
    expect(endOf(result.markers, 'prepare')?.detail).toContain(reason);
    expect(result.output).toContain('error: prepare failed: ');
    expect(result.records).toEqual([]);
    expect(workspaceIsEmpty(result)).toBe(true);
  });

  test('a task for a deployment that already ended (cancelled while a repeated launch started it): exit code 2, nothing cloned or deployed', async () => {
    const id = depId(77);
    await harness.record(queuedDeployment(id, 'api', 'dev', { status: 'cancelled', commit: passing.commits[0] }));
    const result = await harness.run({ application: 'api', environment: 'dev', commit: passing.commits[0], gitUrl: passing.url, params: { [BUILD_PARAMETERS.deploymentId]: id } });

    expect(result.code).toBe(2);
    expect(endOf(result.markers, 'prepare')?.detail).toBe(`deployment ${id} is already cancelled: nothing is built`);
    expect(result.records).toEqual([]);
    expect(workspaceIsEmpty(result)).toBe(true);
  });

  test('environment secrets that are not a JSON object: exit code 2 without echoing the value', async () => {
    const raw = 'not-json-but-secret-ish';
    const result = await harness.run({
      application: 'api',
      environment: 'dev',
      commit: passing.commits[0],
      gitUrl: passing.url,
      secrets: { 'trellis/test/api/dev': raw },
    });

    expect(result.code).toBe(2);
    expect(endOf(result.markers, 'prepare')?.detail).toBe('secret trellis/test/api/dev is not JSON; it must be an object of NAME: "value" pairs');
    expect(result.output).not.toContain(raw);
    expect(workspaceIsEmpty(result)).toBe(true);
  });

  test('a commit the repository does not have fails the clone with exit code 1', async () => {
    const result = await harness.run({ application: 'api', environment: 'dev', commit: 'f'.repeat(40), gitUrl: passing.url });

    expect(result.code).toBe(1);
    expect(phaseOutcomes(result.markers)).toEqual(['prepare:succeeded', 'clone:failed']);
    expect(frameworkRecords(result)).toEqual([]);
  });
});
