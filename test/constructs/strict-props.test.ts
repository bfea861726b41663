import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { newStack, writtenConfiguration } from './stack-fixtures';
import { DeployFramework, DeploymentEnvironment, DeployHealthCheck, TestCommand, TrellisPipeline, TrellisPipelineProps } from '../../src';

/**
 * Props are checked for keys no one reads: TypeScript catches them in an object literal, but plain
 * JavaScript, a props object built elsewhere or spread in, and other languages' dictionaries do not.
 * A misspelt optional prop would otherwise fall back to its default without a word.
 */

/** Props as a plain JavaScript caller may write them. */
const loose = <T>(value: Record<string, unknown>): T => value as T;

/** The issue lines of the error a construction throws (`path: message`). */
function refused(build: () => unknown): string[] {
  try {
    build();
  } catch (error) {
    const [head, ...lines] = (error as Error).message.split('\n');
    expect(head).toBe('TrellisPipeline TestStack/Trellis: invalid configuration');
    return lines.map(line => line.trim());
  }
  throw new Error('the props were accepted');
}

const pipeline = (props: TrellisPipelineProps) => new TrellisPipeline(newStack(), 'Trellis', props);
const app = (...environments: DeploymentEnvironment[]) => ({ name: 'shop', repository: 'acme/shop', environments });
const env = 'applications[0].environments[1]';

describe('unknown props are refused with their full path and the closest known prop', () => {
  test.each<[string, () => unknown, string[]]>([
    ['a top-level prop', () => pipeline(loose({ instalationName: 'acme' })), ['instalationName: is not a known field; did you mean `installationName`?']],
    ['a build setting', () => pipeline({ buildServer: loose({ cpus: 2048 }) }), ['buildServer.cpus: is not a known field; did you mean `cpu`?']],
    ['a table setting', () => pipeline({ table: loose({ pointInTimeRecover: false }) }),
      ['table.pointInTimeRecover: is not a known field; did you mean `pointInTimeRecovery`?']],
    ['a dashboard option', () => pipeline({ dashboard: loose({ callbackUrl: ['http://localhost:5173/'] }) }),
      ['dashboard.callbackUrl: is not a known field; did you mean `callbackUrls`?']],
    ['an application prop', () => pipeline({ applications: [loose({ name: 'shop', repository: 'acme/shop', enviroments: [] })] }),
      ['applications[0].enviroments: is not a known field; did you mean `environments`?']],
    ['an environment option', () => pipeline({ applications: [app(DeploymentEnvironment.development(), DeploymentEnvironment.staging(loose({ testComand: TestCommand.npmScript('ci') })))] }),
      [`${env}.testComand: is not a known field; did you mean \`testCommand\`?`]],
    ['runTests in lowercase', () => pipeline({ applications: [app(DeploymentEnvironment.development(), DeploymentEnvironment.custom(loose({ name: 'qa', runtests: false })))] }),
      [`${env}.runtests: is not a known field; did you mean \`runTests\`?`]],
    ['an environment option nothing is close to', () => pipeline({ applications: [app(DeploymentEnvironment.development(), DeploymentEnvironment.staging(loose({ colour: 'red' })))] }),
      [`${env}.colour: is not a known field; the fields are name, branch, autoDeploy, runTests, testCommand, dependencyCache, nodeVersion, stacks, rootDirectory, region, account, deployRole, `
        + 'variables, protected, framework, healthCheck']],
    ['a custom framework command', () => pipeline({
      applications: [app(DeploymentEnvironment.development(), DeploymentEnvironment.staging({
        framework: DeployFramework.custom(loose({ deployCommand: ['d'], removeCommand: ['r'], instalCommand: ['npm', 'i'] })),
      }))],
    }), [`${env}.framework.instalCommand: is not a known field; did you mean \`installCommand\`?`]],
    ['a health check option', () => pipeline({
      applications: [app(DeploymentEnvironment.development(), DeploymentEnvironment.staging({ healthCheck: DeployHealthCheck.url('https://a.example.com', loose({ timeoutSeconds: 5 })) }))],
    }), [`${env}.healthCheck.timeoutSeconds: is not a known field; did you mean \`timeout\`?`]],
  ])('%s', (_, build, issues) => {
    expect(refused(build)).toEqual(issues);
  });

  test('addApplication after construction checks the same way, with the other problems of the application', () => {
    const trellis = pipeline({});
    expect(() => trellis.addApplication(loose({ name: 'Shop', repository: 'acme/shop', environments: [DeploymentEnvironment.development(loose({ brnach: 'trunk' }))] })))
      .toThrow(/applications\[0\]\.environments\[0\]\.brnach: is not a known field; did you mean `branch`\?\n\s+applications\[0\]\.name: 'Shop'/);
    expect(trellis.applicationNames).toEqual([]);
  });
});

test('every optional prop still synthesizes, and variables keep any names', () => {
  const stack = newStack();
  new TrellisPipeline(stack, 'Trellis', {
    installationName: 'acme',
    logs: { retention: Duration.days(30), accessLogging: false },
    logRetention: RetentionDays.ONE_WEEK,
    webhook: { throttlingRateLimit: 10, throttlingBurstLimit: 20 },
    table: { pointInTimeRecovery: false, removalPolicy: RemovalPolicy.DESTROY },
    buildServer: {
      cpu: 2048, memoryLimitMiB: 8192, ephemeralStorageGiB: 40, dependencyCacheExpiration: Duration.days(7), artifactExpiration: Duration.days(30),
    },
    dashboard: { callbackUrls: ['http://localhost:5173/'] },
    applications: [{
      name: 'shop',
      repository: 'acme/shop',
      environments: [
        DeploymentEnvironment.development({
          name: 'dev',
          branch: 'main',
          autoDeploy: true,
          runTests: true,
          testCommand: TestCommand.command(['npm', 'test']),
          dependencyCache: false,
          region: 'eu-west-1',
          account: '111122223333',
          deployRole: iam.Role.fromRoleArn(stack, 'Deploy', 'arn:aws:iam::111122223333:role/deploy'),
          variables: { testComand: 'any name', runtests: 'x' },
          protected: false,
          framework: DeployFramework.custom({
            installCommand: ['npm', 'ci'], buildCommand: ['npm', 'run', 'build'], deployCommand: ['d'], removeCommand: ['r'], artifactPaths: ['dist'],
          }),
          healthCheck: DeployHealthCheck.url('https://a.example.com', { minStatus: 200, maxStatus: 299, timeout: Duration.seconds(5), retries: 1, interval: Duration.seconds(1) }),
        }),
        DeploymentEnvironment.production({ healthCheck: DeployHealthCheck.stackOutput('ApiUrl') }),
      ],
    }],
  });
  const [written] = writtenConfiguration(Template.fromStack(stack));
  expect(written.environments[0].variables).toEqual({ testComand: 'any name', runtests: 'x' });
});
