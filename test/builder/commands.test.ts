import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { planCommands, resolveCommand, testCommand } from '../../src/builder/commands';
import { Framework, Project } from '../../src/builder/detect';
import { envConfig } from '../store/fixtures';

function project(framework: Partial<Framework> & Pick<Framework, 'kind'>, overrides: Partial<Project> = {}): Project {
  return { packageManager: 'npm', lockfile: 'package-lock.json', hasPackageJson: true, hasTestScript: true, framework: { label: framework.kind, ...framework }, ...overrides };
}

describe('planCommands', () => {
  test.each([
    [{ packageManager: 'npm', lockfile: 'package-lock.json' }, ['npm', 'ci']],
    [{ packageManager: 'npm', lockfile: undefined }, ['npm', 'install']],
    [{ packageManager: 'pnpm', lockfile: 'pnpm-lock.yaml' }, ['pnpm', 'install', '--frozen-lockfile']],
    [{ packageManager: 'yarn', lockfile: 'yarn.lock' }, ['yarn', 'install', '--frozen-lockfile']],
  ] as const)('install for %j', (overrides, install) => {
    expect(planCommands(project({ kind: 'sst' }, overrides), envConfig('dev'), 'dev', 'shop').install).toEqual([install]);
  });

  test('no package.json and no configured install: nothing to install', () => {
    expect(planCommands(project({ kind: 'sam' }, { hasPackageJson: false }), envConfig('dev'), 'dev', 'shop').install).toEqual([]);
  });

  test('tests run only when the environment says so', () => {
    const env = envConfig('dev', { runTests: true, testCommand: ['npm', 'run', 'test'] });
    expect(planCommands(project({ kind: 'sst' }), env, 'dev', 'shop').test).toEqual([['npm', 'run', 'test']]);
    expect(planCommands(project({ kind: 'sst' }), { ...env, runTests: false }, 'dev', 'shop').test).toEqual([]);
  });

  test('tests by default ("auto", an empty command): the package\'s test script with its package manager, or a skip that says what to set', () => {
    const auto = envConfig('dev', { runTests: true, testCommand: [] });
    expect(planCommands(project({ kind: 'sst' }, { packageManager: 'pnpm' }), auto, 'dev', 'shop')).toMatchObject({ test: [['pnpm', 'run', 'test']] });
    const noScript = planCommands(project({ kind: 'sst' }, { hasTestScript: false }), auto, 'dev', 'shop');
    expect(noScript.test).toEqual([]);
    expect(noScript.testSkipped).toBe("package.json has no test script: nothing to test. Set the environment's testCommand to run tests, or runTests: false to say there are none");
    const noPackage = planCommands(project({ kind: 'serverless' }, { hasPackageJson: false, hasTestScript: false }), auto, 'dev', 'shop');
    expect(noPackage).toMatchObject({ test: [], testSkipped: expect.stringMatching(/^there is no package.json, so no test script: /) });
    // A configured command runs even without a test script: the tests were asked for.
    expect(planCommands(project({ kind: 'sst' }, { hasTestScript: false }), { ...auto, testCommand: ['npm', 'run', 'test'] }, 'dev', 'shop').test).toEqual([['npm', 'run', 'test']]);
    expect(planCommands(project({ kind: 'sst' }, { hasTestScript: false }), { ...auto, testCommand: ['pytest', '-q'] }, 'dev', 'shop').test).toEqual([['pytest', '-q']]);
    expect(planCommands(project({ kind: 'sst' }), { ...auto, runTests: false }, 'dev', 'shop').testSkipped).toBe('runTests is off for this environment');
  });

  test('configured commands replace the framework defaults', () => {
    const env = envConfig('dev', { framework: { kind: 'cdk', install: ['make', 'deps'], build: ['make', 'synth'], deploy: ['make', 'ship'] } });
    const plan = planCommands(project({ kind: 'cdk', cdkOut: 'cdk.out' }), env, 'dev', 'shop');
    expect(plan).toMatchObject({ install: [['make', 'deps']], build: [['make', 'synth']], deploy: [['make', 'ship']] });
    expect(plan.remove).toEqual([['cdk', 'destroy', '--all', '--force', '-c', 'stage=dev']]);
    // Their own build, so there is no assembly of ours to check or deploy from.
    expect(plan.cdkOut).toBeUndefined();
  });

  test('SAM: the stage\'s own samconfig section; else [default] with the stack <app>-<stage>; without a samconfig also S3 and capabilities', () => {
    const sam = (framework: Partial<Framework>) => {
      const plan = planCommands(project({ kind: 'sam', ...framework }, { hasPackageJson: false }), envConfig('dev'), 'dev', 'shop');
      return { build: plan.build, deploy: plan.deploy[0], remove: plan.remove[0], artifact: plan.artifact };
    };
    expect(sam({ configFile: 'samconfig.toml', samConfigEnvironments: ['default', 'dev'] })).toEqual({
      build: [['sam', 'build', '--config-env', 'dev'], ['sam', 'package', '--config-env', 'dev', '--output-template-file', '.trellis/packaged.yaml', '--resolve-s3']],
      deploy: ['sam', 'deploy', '--template-file', '.trellis/packaged.yaml', '--config-env', 'dev', '--no-confirm-changeset', '--no-fail-on-empty-changeset'],
      remove: ['sam', 'delete', '--config-env', 'dev', '--no-prompts'],
      artifact: { paths: ['.trellis/packaged.yaml', 'samconfig.toml'] },
    });
    expect(sam({ configFile: 'samconfig.toml', samConfigEnvironments: ['default', 'prod'] })).toMatchObject({
      build: [['sam', 'build', '--config-env', 'default'], ['sam', 'package', '--config-env', 'default', '--output-template-file', '.trellis/packaged.yaml', '--resolve-s3']],
      deploy: ['sam', 'deploy', '--template-file', '.trellis/packaged.yaml', '--config-env', 'default', '--stack-name', 'shop-dev', '--no-confirm-changeset', '--no-fail-on-empty-changeset'],
      remove: ['sam', 'delete', '--config-env', 'default', '--stack-name', 'shop-dev', '--no-prompts'],
    });
    expect(sam({ samConfigEnvironments: [] })).toEqual({
      build: [['sam', 'build'], ['sam', 'package', '--output-template-file', '.trellis/packaged.yaml', '--resolve-s3']],
      deploy: ['sam', 'deploy', '--template-file', '.trellis/packaged.yaml', '--stack-name', 'shop-dev', '--resolve-s3',
        '--capabilities', 'CAPABILITY_IAM', 'CAPABILITY_AUTO_EXPAND', '--no-confirm-changeset', '--no-fail-on-empty-changeset'],
      remove: ['sam', 'delete', '--stack-name', 'shop-dev', '--no-prompts'],
      artifact: { paths: ['.trellis/packaged.yaml'] },
    });
  });

  test('what a deploy stores for a rollback: the assembly, the package, the packaged template; or why nothing', () => {
    const plan = (framework: Partial<Framework> & Pick<Framework, 'kind'>, env = envConfig('dev')) => planCommands(project(framework), env, 'dev', 'shop').artifact;
    expect(plan({ kind: 'cdk', cdkOut: 'build/assembly' })).toEqual({ paths: ['build/assembly'] });
    expect(plan({ kind: 'serverless', configFile: 'serverless.yaml' })).toEqual({ paths: ['serverless.yaml', '.trellis/package'] });
    expect(plan({ kind: 'sam', configFile: 'samconfig.toml' })).toEqual({ paths: ['.trellis/packaged.yaml', 'samconfig.toml'] });
    expect(plan({ kind: 'serverless', configFile: 'serverless.ts' })).toEqual({ skip: "serverless.ts needs the app's node_modules to load: a rollback rebuilds this commit" });
    expect(plan({ kind: 'sst' })).toEqual({ skip: expect.stringMatching(/^SST deploys only from source/) });
    const custom = envConfig('dev', { framework: { kind: 'custom', deploy: ['make', 'ship'], remove: ['make', 'rm'] } });
    expect(plan({ kind: 'custom' }, custom)).toEqual({ skip: 'custom commands declare no artifact paths: a rollback rebuilds this commit' });
    const ownBuild = envConfig('dev', { framework: { kind: 'serverless', build: ['make'] } });
    expect(plan({ kind: 'serverless', configFile: 'serverless.yml' }, ownBuild)).toEqual({ skip: expect.stringMatching(/^configured build or deploy commands/) });
    // A configured build packages nothing of ours, so the deploy is the plain one.
    expect(planCommands(project({ kind: 'serverless' }), ownBuild, 'dev', 'shop').deploy).toEqual([['serverless', 'deploy', '--stage', 'dev']]);
  });

  test('stack outputs: CDK writes them only for a stackOutput health check; each framework has its file', () => {
    const check = { minStatus: 200, maxStatus: 399, timeoutSeconds: 10, retries: 3, intervalSeconds: 5 };
    const cdk = project({ kind: 'cdk', cdkOut: 'cdk.out' });
    const byOutput = planCommands(cdk, envConfig('dev', { healthCheck: { ...check, stackOutput: 'ApiUrl' } }), 'dev', 'shop');
    expect(byOutput.deploy[0].slice(-2)).toEqual(['--outputs-file', '.trellis/cdk-outputs.json']);
    expect(byOutput.outputs).toBe('.trellis/cdk-outputs.json');
    for (const env of [envConfig('dev'), envConfig('dev', { healthCheck: { ...check, url: 'https://x.example.com' } })]) {
      expect(planCommands(cdk, env, 'dev', 'shop').deploy[0]).not.toContain('--outputs-file');
    }
    expect(planCommands(project({ kind: 'sst' }), envConfig('dev'), 'dev', 'shop').outputs).toBe('.sst/outputs.json');
    expect(planCommands(project({ kind: 'serverless' }), envConfig('dev'), 'dev', 'shop').outputs).toBe('.trellis/outputs.json');
    expect(planCommands(project({ kind: 'sam' }), envConfig('dev'), 'dev', 'shop').outputs).toBe('.trellis/outputs.json');
    // A configured deploy command is the app's own: it writes .trellis/outputs.json itself.
    expect(planCommands(cdk, envConfig('dev', { framework: { kind: 'cdk', deploy: ['make', 'ship'] } }), 'dev', 'shop').outputs).toBe('.trellis/outputs.json');
  });

  test('a custom framework without commands is a configuration error', () => {
    expect(() => planCommands(project({ kind: 'custom' }), envConfig('dev', { framework: { kind: 'custom' } }), 'dev', 'shop')).toThrow(/needs configured deploy and remove/);
  });
});

describe('testCommand', () => {
  test('npm run <script> runs with the detected package manager; anything else as written', () => {
    expect(testCommand(['npm', 'run', 'test'], 'pnpm')).toEqual(['pnpm', 'run', 'test']);
    expect(testCommand(['npm', 'test'], 'yarn')).toEqual(['npm', 'test']);
    expect(testCommand(['pytest', '-q'], 'yarn')).toEqual(['pytest', '-q']);
  });
});

describe('resolveCommand', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'trellis-resolve-'));
    mkdirSync(join(dir, 'node_modules', '.bin'), { recursive: true });
    for (const name of ['cdk', 'npm']) writeFileSync(join(dir, 'node_modules', '.bin', name), '');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("a framework CLI runs as the app's installed copy, else from PATH; other programs are untouched", () => {
    expect(resolveCommand(dir, ['cdk', 'deploy'])).toEqual([join(dir, 'node_modules', '.bin', 'cdk'), 'deploy']);
    expect(resolveCommand(dir, ['sst', 'deploy'])).toEqual(['sst', 'deploy']);
    expect(resolveCommand(dir, ['npm', 'ci'])).toEqual(['npm', 'ci']);
  });
});
