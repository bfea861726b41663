import { Aws, Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { billing, importedRole, newStack, pipelineTemplate, shop, writtenConfiguration } from './stack-fixtures';
import { DeployFramework, DeploymentEnvironment, DeploymentEnvironmentKind, DeployHealthCheck, TestCommand, TrellisPipeline } from '../../src';

describe('TrellisPipeline', () => {
  test('writes the code-defined configuration into the table through a custom resource', () => {
    const { template } = pipelineTemplate({ applications: [shop, billing] });
    const config = writtenConfiguration(template);
    expect(config.map(app => app.name)).toEqual(['shop', 'billing']);
    expect(config[0].environments.map((env: any) => [env.name, env.kind, env.branch, env.autoDeploy, env.runTests, env.protected])).toEqual([
      ['dev', 'development', 'main', true, true, false],
      ['staging', 'staging', undefined, false, true, false],
      ['production', 'production', undefined, false, false, true],
    ]);
    expect(config[1].environments[0]).toMatchObject({ name: 'preview', kind: 'custom', branch: 'develop', autoDeploy: true, testCommand: ['npx', 'vitest', 'run'] });
    expect(config[1].environments[1].variables).toEqual({ LOG_LEVEL: 'warn' });
    // The handler that writes it gets the table name and nothing secret.
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      Environment: { Variables: { TABLE_NAME: { Ref: Match.stringLikeRegexp('^TrellisTable') } } },
    });
  });

  test('defaults: dev (main, auto) -> staging -> production (never auto)', () => {
    const { template } = pipelineTemplate({ applications: [{ name: 'shop', repository: 'acme/shop' }] });
    const [app] = writtenConfiguration(template);
    expect(app.environments.map((env: any) => `${env.name}:${env.branch ?? '-'}:${env.autoDeploy}`)).toEqual(['dev:main:true', 'staging:-:false', 'production:-:false']);
    // Tests "auto": the package's test script when it has one.
    expect(app.environments.map((env: any) => [env.runTests, env.testCommand])).toEqual([[true, []], [true, []], [false, []]]);
  });

  test('TestCommand.command needs the program: an empty one is refused, naming auto()', () => {
    expect(() => TestCommand.command([])).toThrow(/^TestCommand\.command\(argv\): argv must name the program to run .* TestCommand\.auto\(\)/);
  });

  test('runTests set to true asks for the test script (it must exist); a configured command is kept', () => {
    const { template } = pipelineTemplate({
      applications: [{
        name: 'shop',
        repository: 'acme/shop',
        environments: [
          DeploymentEnvironment.development({ runTests: true }),
          DeploymentEnvironment.staging({ testCommand: TestCommand.command(['pytest', '-q']) }),
          DeploymentEnvironment.custom({ name: 'qa', testCommand: TestCommand.auto() }),
        ],
      }],
    });
    expect(writtenConfiguration(template)[0].environments.map((env: any) => env.testCommand)).toEqual([['npm', 'run', 'test'], ['pytest', '-q'], []]);
  });

  test('addApplication after construction is included in the written configuration', () => {
    const stack = newStack();
    const pipeline = new TrellisPipeline(stack, 'Trellis', { applications: [shop] });
    pipeline.addApplication(billing);
    expect(pipeline.applicationNames).toEqual(['shop', 'billing']);
    expect(writtenConfiguration(Template.fromStack(stack)).map(app => app.name)).toEqual(['shop', 'billing']);
  });

  test('a chosen deploy framework is written with the configuration', () => {
    const { template } = pipelineTemplate({
      applications: [{
        name: 'shop',
        repository: 'acme/shop',
        environments: [
          DeploymentEnvironment.development({ framework: DeployFramework.sst() }),
          DeploymentEnvironment.custom({ name: 'qa', framework: DeployFramework.custom({ deployCommand: ['make', 'deploy'], removeCommand: ['make', 'remove'] }) }),
          DeploymentEnvironment.custom({
            name: 'perf',
            framework: DeployFramework.custom({ deployCommand: ['./ship.sh'], removeCommand: ['./unship.sh'], artifactPaths: ['ship.sh', 'dist'] }),
          }),
        ],
      }],
    });
    const [app] = writtenConfiguration(template);
    expect(app.environments[0].framework).toEqual({ kind: 'sst' });
    expect(app.environments[1].framework).toEqual({ kind: 'custom', deploy: ['make', 'deploy'], remove: ['make', 'remove'] });
    expect(app.environments[2].framework).toEqual({ kind: 'custom', deploy: ['./ship.sh'], remove: ['./unship.sh'], artifact: ['ship.sh', 'dist'] });
    expect(DeployFramework.serverless().kind).toBe('serverless');
  });

  test('a health check is written with the configuration, defaults filled in', () => {
    const { template } = pipelineTemplate({
      applications: [{
        name: 'shop',
        repository: 'acme/shop',
        environments: [
          DeploymentEnvironment.development({ healthCheck: DeployHealthCheck.url('https://dev.shop.example.com/health') }),
          DeploymentEnvironment.staging({
            healthCheck: DeployHealthCheck.stackOutput('ApiUrl', {
              minStatus: 200, maxStatus: 299, timeout: Duration.seconds(3), retries: 5, interval: Duration.millis(1500),
            }),
          }),
          DeploymentEnvironment.production(),
        ],
      }],
    });
    const [app] = writtenConfiguration(template);
    expect(app.environments[0].healthCheck).toEqual({
      url: 'https://dev.shop.example.com/health', minStatus: 200, maxStatus: 399, timeoutSeconds: 10, retries: 3, intervalSeconds: 5,
    });
    expect(app.environments[1].healthCheck).toEqual({
      stackOutput: 'ApiUrl', minStatus: 200, maxStatus: 299, timeoutSeconds: 3, retries: 5, intervalSeconds: 1.5,
    });
    // Without one, nothing is written: the builder runs no health phase.
    expect(app.environments[2]).not.toHaveProperty('healthCheck');
  });

  test('a health check URL known only at deploy time is accepted', () => {
    const { template } = pipelineTemplate({
      applications: [{ name: 'shop', repository: 'acme/shop', environments: [DeploymentEnvironment.development({ healthCheck: DeployHealthCheck.url(`https://${Aws.STACK_NAME}.example.com/`) })] }],
    });
    const resource = Object.values(template.findResources('Custom::TrellisConfiguration'))[0] as any;
    expect(JSON.stringify(resource.Properties.Applications)).toContain('AWS::StackName');
  });

  test('environment factories', () => {
    expect(DeploymentEnvironment.development().kind).toBe(DeploymentEnvironmentKind.DEVELOPMENT);
    expect(DeploymentEnvironment.development({ branch: 'trunk' }).branch).toBe('trunk');
    expect(DeploymentEnvironment.staging({ branch: 'release' }).autoDeploy).toBe(true);
    expect(DeploymentEnvironment.production().protected).toBe(true);
    expect(DeploymentEnvironment.production({ runTests: true }).runTests).toBe(true);
    expect(DeploymentEnvironment.custom({ name: 'qa' }).autoDeploy).toBe(false);
    expect(TestCommand.npmScript('ci').argv).toEqual(['npm', 'run', 'ci']);
    const argv = ['pytest', '-q'];
    const command = TestCommand.command(argv);
    argv.push('--changed-later');
    expect(command.argv).toEqual(['pytest', '-q']);
  });

  test('tokens are accepted where values are known only at deploy time', () => {
    const { template } = pipelineTemplate({
      applications: [{ name: 'shop', repository: 'acme/shop', environments: [DeploymentEnvironment.development({ region: Aws.REGION, account: Aws.ACCOUNT_ID })] }],
    });
    const resource = Object.values(template.findResources('Custom::TrellisConfiguration'))[0] as any;
    expect(JSON.stringify(resource.Properties.Applications)).toContain('AWS::Region');
  });

  describe('validation names the prop', () => {
    const cases: Array<[string, () => void, RegExp]> = [
      ['bad application name', () => pipelineTemplate({ applications: [{ name: 'Shop!', repository: 'acme/shop' }] }),
        /applications\[0\]\.name: 'Shop!' must be/],
      ['bad repository', () => pipelineTemplate({ applications: [{ name: 'shop', repository: 'https://github.com/acme/shop' }] }),
        /applications\[0\]\.repository: .* must be a GitHub repository as 'owner\/repo'/],
      ['duplicate application', () => pipelineTemplate({ applications: [shop, { ...billing, name: 'shop' }] }),
        /applications\[1\]\.name: 'shop' is already used by applications\[0\]/],
      ['invalid environment name', () => pipelineTemplate({ applications: [{ ...shop, environments: [DeploymentEnvironment.custom({ name: 'Prod_1' })] }] }),
        /applications\[0\]\.environments\[0\]\.name: 'Prod_1' must be .*stage name/],
      ['duplicate environment name', () => pipelineTemplate({ applications: [{ ...shop, environments: [DeploymentEnvironment.development(), DeploymentEnvironment.custom({ name: 'dev' })] }] }),
        /applications\[0\]\.environments\[1\]\.name: 'dev' is already used by environments\[0\]/],
      ['two auto-deploy environments on one branch', () => pipelineTemplate({
        applications: [{ ...shop, environments: [DeploymentEnvironment.development(), DeploymentEnvironment.staging({ branch: 'main' })] }],
      }), /applications\[0\]\.environments\[1\]\.branch: environments\[0\] already deploys branch 'main' automatically/],
      ['production with autoDeploy', () => pipelineTemplate({
        applications: [{ ...shop, environments: [DeploymentEnvironment.production({ branch: 'main', autoDeploy: true })] }],
      }), /applications\[0\]\.environments\[0\]\.autoDeploy: production never deploys on push/],
      ['bad region', () => pipelineTemplate({ applications: [{ ...shop, environments: [DeploymentEnvironment.staging({ region: 'europe' })] }] }),
        /applications\[0\]\.environments\[0\]\.region: 'europe' is not an AWS region/],
      ['bad account', () => pipelineTemplate({ applications: [{ ...shop, environments: [DeploymentEnvironment.staging({ account: '123' })] }] }),
        /applications\[0\]\.environments\[0\]\.account: '123' must be a 12-digit AWS account id/],
      ['bad deploy role', () => pipelineTemplate({ applications: [{ ...shop, environments: [DeploymentEnvironment.staging({ deployRole: importedRole('arn:aws:iam::111122223333:user/deploy') })] }] }),
        /applications\[0\]\.environments\[0\]\.deployRole: 'arn:aws:iam::111122223333:user\/deploy' must be an IAM role ARN/],
      ['bad branch', () => pipelineTemplate({ applications: [{ ...shop, environments: [DeploymentEnvironment.development({ branch: 'feat..x' })] }] }),
        /applications\[0\]\.environments\[0\]\.branch: branch 'feat\.\.x' contains '\.\.'/],
      ['autoDeploy without branch', () => pipelineTemplate({ applications: [{ ...shop, environments: [DeploymentEnvironment.custom({ name: 'qa', autoDeploy: true })] }] }),
        /applications\[0\]\.environments\[0\]\.autoDeploy: an environment that deploys on push needs a branch/],
      ['empty argument in the test command', () => pipelineTemplate({ applications: [{ ...shop, environments: [DeploymentEnvironment.development({ testCommand: TestCommand.command(['npm', '']) })] }] }),
        /applications\[0\]\.environments\[0\]\.testCommand: arguments must be non-empty/],
      ['reserved variable', () => pipelineTemplate({ applications: [{ ...shop, environments: [DeploymentEnvironment.development({ variables: { AWS_REGION: 'x' } })] }] }),
        /applications\[0\]\.environments\[0\]\.variables\.AWS_REGION: names starting with TRELLIS_ or AWS_ are reserved/],
      ['custom framework with an empty deploy command', () => pipelineTemplate({
        applications: [{ ...shop, environments: [DeploymentEnvironment.development({ framework: DeployFramework.custom({ deployCommand: [], removeCommand: ['make', 'down'] }) })] }],
      }), /applications\[0\]\.environments\[0\]\.framework\.deploy: must have 1 to/],
      ['artifact path outside the repository', () => pipelineTemplate({
        applications: [{
          ...shop,
          environments: [DeploymentEnvironment.development({
            framework: DeployFramework.custom({ deployCommand: ['make', 'up'], removeCommand: ['make', 'down'], artifactPaths: ['dist', '../secrets'] }),
          })],
        }],
      }), /applications\[0\]\.environments\[0\]\.framework\.artifact: '\.\.\/secrets' leaves the repository/],
      ['no environments', () => pipelineTemplate({ applications: [{ ...shop, environments: [] }] }),
        /applications\[0\]\.environments: an application needs at least one environment/],
      ['health check status range upside down', () => pipelineTemplate({
        applications: [{ ...shop, environments: [DeploymentEnvironment.development(), DeploymentEnvironment.staging({ healthCheck: DeployHealthCheck.url('https://x.example.com', { minStatus: 300, maxStatus: 200 }) })] }],
      }), /applications\[0\]\.environments\[1\]\.healthCheck\.maxStatus: 200 is below minStatus 300/],
      ['health check URL that is not http(s)', () => pipelineTemplate({
        applications: [{ ...shop, environments: [DeploymentEnvironment.development({ healthCheck: DeployHealthCheck.url('ftp://x.example.com') })] }],
      }), /applications\[0\]\.environments\[0\]\.healthCheck\.url: 'ftp:\/\/x\.example\.com' must be an http:\/\/ or https:\/\/ URL/],
      ['health check output name that CloudFormation refuses', () => pipelineTemplate({
        applications: [{ ...shop, environments: [DeploymentEnvironment.development({ healthCheck: DeployHealthCheck.stackOutput('api_url') })] }],
      }), /applications\[0\]\.environments\[0\]\.healthCheck\.stackOutput: 'api_url' must be a CloudFormation output name/],
      ['health check timeout over two minutes', () => pipelineTemplate({
        applications: [{ ...shop, environments: [DeploymentEnvironment.development({ healthCheck: DeployHealthCheck.url('https://x.example.com', { timeout: Duration.minutes(5) }) })] }],
      }), /applications\[0\]\.environments\[0\]\.healthCheck\.timeoutSeconds: the timeout of one attempt must be 1 to 120 seconds, got 300/],
      ['health check retries out of range', () => pipelineTemplate({
        applications: [{ ...shop, environments: [DeploymentEnvironment.development({ healthCheck: DeployHealthCheck.url('https://x.example.com', { retries: 20 }) })] }],
      }), /applications\[0\]\.environments\[0\]\.healthCheck\.retries: must be a whole number from 0 to 10, got 20/],
    ];
    test.each(cases)('%s', (_name, build, message) => {
      expect(build).toThrow(message);
      expect(build).toThrow(/^TrellisPipeline TestStack\/Trellis: invalid configuration/);
    });

    test('every problem of an application is reported at once', () => {
      expect(() => pipelineTemplate({ applications: [{ name: 'Bad', repository: 'nope', environments: [DeploymentEnvironment.staging({ region: 'x' })] }] }))
        .toThrow(/name: 'Bad'[\s\S]*repository: 'nope'[\s\S]*region: 'x'/);
    });

    test('a rejected application is not added', () => {
      const stack = newStack();
      const pipeline = new TrellisPipeline(stack, 'Trellis', { applications: [shop] });
      expect(() => pipeline.addApplication({ name: 'shop', repository: 'acme/other' })).toThrow(/already used/);
      expect(pipeline.applicationNames).toEqual(['shop']);
    });
  });
});
