import { chmodSync, writeFileSync } from 'fs';
import { join } from 'path';
import { BuildRun, BuilderHarness, endOf, frameworkStubSource, npmPackage, phaseOutcomes } from './harness';
import { BUILD_PARAMETERS } from '../../src/contract/build-environment';
import { TaskRunner } from '../../src/runtime/core';
import { finalizeTask } from '../../src/runtime/deployments/finalize';
import { createDynamoStore } from '../../src/runtime/store/dynamo-store';
import { TableContext } from '../../src/runtime/store/table-context';
import { appConfig, depId, envConfig, queuedDeployment } from '../store/fixtures';

const SECRET = 'pk_live_DO_NOT_SHOW_51f0a9c3e7';

/**
 * A failed build's reason, end to end: the builder runs as a process (real git, real npm, stub
 * framework CLIs that print what the real ones print), its log is stored, and the finalizer
 * writes the deployment's reason from the failed phase: the cause and its hint are there, a
 * secret the failing command printed is not.
 */
describe('builder: a failed build says why in its reason', () => {
  let harness: BuilderHarness;
  let ids = 500;
  const store = () => createDynamoStore((harness as unknown as { table: TableContext }).table);
  const repos: Record<string, { url: string; commits: string[] }> = {};
  /** Only reached when a waiting deployment would start: none does here. */
  const runner: TaskRunner = {
    run: async () => { throw new Error('no deployment should start'); },
    stop: async () => undefined,
    describe: async () => undefined,
  };

  beforeAll(async () => {
    harness = await BuilderHarness.create();
    // A cdk that synthesizes as the stub does but deploys as the real one does without AWS credentials.
    const cdk = join(harness.bin, 'cdk');
    writeFileSync(cdk, `${frameworkStubSource(harness.recordFile, 'cdk')}
if (args[0] === 'deploy') {
  console.log('');
  console.log('\\u001b[32m✨  Synthesis time: 0.01s\\u001b[39m');
  console.error('Unable to resolve AWS account to use. It must be either configured when you define your stack, or through the environment');
  console.error('');
  console.error('NOTICES         (What\\'s this? https://github.com/aws/aws-cdk/wiki/CLI-Notices)');
  console.error('31885	(cli): Bootstrap stack outputs are not updated when an error occurs');
  console.error('	Overview: An error in the CLI can leave the bootstrap stack outdated.');
  process.exit(1);
}
`);
    chmodSync(cdk, 0o755);
    await harness.configure([
      appConfig('infra', [envConfig('dev')]),
      appConfig('tool', [envConfig('dev', { framework: { kind: 'custom', deploy: ['node', 'publish.js'], remove: ['node', 'publish.js'] } })]),
      appConfig('bare', [envConfig('dev', { framework: { kind: 'custom', deploy: ['trellis-missing-tool', 'deploy'], remove: ['trellis-missing-tool', 'remove'] } })]),
      appConfig('api', [envConfig('dev', { runTests: true, testCommand: ['npm', 'run', 'test'] })]),
    ]);
    repos.infra = harness.repo('infra', { 'cdk.json': '{ "app": "node app.js" }', ...npmPackage('infra') });
    repos.tool = harness.repo('tool', {
      'publish.js': [
        "console.log('publishing site');",
        'console.error(`Error: the CDN refused token ${process.env.MY_SECRET} for site acme`);',
        "console.error('    at publish (/app/publish.js:2:9)');",
        "console.error('    at node:internal/main/run_main_module:28:49');",
        'process.exit(3);',
      ].join('\n'),
    });
    repos.bare = harness.repo('bare', { 'README.md': 'nothing to install\n' });
    repos.api = harness.repo('api', { 'serverless.yml': 'service: api\n', ...npmPackage('api', { build: 'echo no tests here' }) });
  });

  afterAll(() => harness?.cleanup());

  /** Build `application` for a deployment recorded as running on a task, store its log, finalize it; the stored reason. */
  async function failAndFinalize(application: string): Promise<{ run: BuildRun; reason?: string }> {
    const id = depId(++ids);
    const commit = repos[application].commits[0];
    await harness.record(queuedDeployment(id, application, 'dev', { commit, status: 'running', taskId: `task-${id}` }));
    const run = await harness.run({
      application,
      environment: 'dev',
      commit,
      gitUrl: repos[application].url,
      secrets: { [`trellis/test/${application}/dev`]: JSON.stringify({ MY_SECRET: SECRET }) },
      params: { [BUILD_PARAMETERS.deploymentId]: id },
    });
    await harness.storeLog(run);
    const finalized = await finalizeTask({ taskId: `task-${id}`, deploymentId: id, exitCode: run.code ?? undefined }, { store: store(), runner });
    expect(finalized).toMatchObject({ outcome: 'finalized', status: 'failed' });
    return { run, reason: (await store().deployments.get(id))?.reason };
  }

  test('cdk deploy without AWS credentials: the reason names the cause and says to check the deploy role', async () => {
    const { run, reason } = await failAndFinalize('infra');

    expect(run.code).toBe(1);
    expect(phaseOutcomes(run.markers).slice(-2)).toEqual(['build:succeeded', 'deploy:failed']);
    // Which stacks the command names is the CDK plan's business; the cause after it is this test's.
    expect(reason).toMatch(/^deploy failed: cdk deploy .+ exited with code 1: /);
    expect(reason?.slice(reason.indexOf(' exited with code 1: '))).toBe(' exited with code 1: '
      + 'Unable to resolve AWS account to use. It must be either configured when you define your stack, or through the environment '
      + "(hint: no AWS credentials reached the command: check the environment's deploy role (deployRoleArn; locally, your AWS profile or AWS_* variables))");
  });

  test('a deploy that prints a secret in its error: the reason carries the error with the secret masked, not the stack trace', async () => {
    const { run, reason } = await failAndFinalize('tool');

    expect(run.code).toBe(1);
    expect(reason).toBe('deploy failed: node publish.js exited with code 3: Error: the CDN refused token *** for site acme');
    expect(run.stdout).not.toContain(SECRET);
    expect(run.output).toContain('error: deploy failed: node publish.js exited with code 3: Error: the CDN refused token *** for site acme');
  });

  test('a command that is not installed: the reason says which and where it must come from', async () => {
    const { reason } = await failAndFinalize('bare');

    expect(reason).toBe("deploy failed: trellis-missing-tool deploy: command 'trellis-missing-tool' was not found "
      + "(hint: 'trellis-missing-tool' is not installed: add it to the app's devDependencies (node_modules/.bin) or use a builder image that has it)");
  });

  test('a test command with no such script: npm\'s own line, not its log file', async () => {
    const { run, reason } = await failAndFinalize('api');

    expect(endOf(run.markers, 'test')?.outcome).toBe('failed');
    expect(reason).toBe('test failed: npm run test exited with code 1: Missing script: "test"');
  });
});
