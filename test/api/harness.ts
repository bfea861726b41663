import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { FakeCommitSource, FakeLaunchQueue, FakeSecretStore } from './fakes';
import { secretNames } from '../../src/contract/secret-names';
import { keys } from '../../src/contract/table-schema';
import { ApiDeps, handleApiRequest } from '../../src/runtime/api/control-api';
import { ApplicationConfig, Deployment, Principal, Store, newDeploymentId } from '../../src/runtime/core';
import { FakeTaskRunner } from '../deployments/fake-task-runner';
import { T0, appConfig, envConfig, queuedDeployment, steppingClock } from '../store/fixtures';
import { freshStore } from '../support/test-table';

export const INSTALLATION = 'acme';

/** dev tracks main; staging is reached by promotion; prod is protected. */
export const WEB = appConfig('web', [
  envConfig('dev', { kind: 'development', branch: 'main', autoDeploy: true, runTests: true, testCommand: ['npm', 'test'], variables: { LOG_LEVEL: 'debug' } }),
  envConfig('staging', { kind: 'staging', runTests: true, testCommand: ['npm', 'test'] }),
  envConfig('prod', { kind: 'production', protected: true, testCommand: ['npm', 'test'], region: 'eu-central-1', account: '111122223333', deployRoleArn: 'arn:aws:iam::111122223333:role/deploy' }),
]);
export const API = appConfig('api', [envConfig('dev', { kind: 'development', branch: 'main', autoDeploy: true, testCommand: ['npm', 'test'] })]);

export function sha(n: number): string {
  return n.toString(16).padStart(40, 'c');
}

function person(name: string, grants: Principal['grants']): Principal {
  return { subject: `sub-${name}`, name, grants };
}

export const viewer = person('vera', [{ application: '*', role: 'viewer' }]);
export const deployer = person('dora', [{ application: '*', role: 'deployer' }]);
export const admin = person('ada', [{ application: '*', role: 'admin' }]);
/** Deployer on web only; nothing on api. */
export const webDeployer = person('wes', [{ application: 'web', role: 'deployer' }]);
/** Signed in, in no group. */
export const stranger = person('sam', []);

export interface CallOptions {
  readonly principal?: Principal;
  readonly body?: unknown;
  readonly query?: Record<string, string | undefined>;
}

export interface ApiResult {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly text: string;
  readonly json: any;
}

export type Harness = Awaited<ReturnType<typeof apiHarness>>;

/**
 * The control API over the DynamoDB store on DynamoDB Local (or the store `makeStore` gives, such
 * as test/support/memory-table.ts's), with fakes for GitHub, Secrets Manager, SQS and ECS.
 */
export async function apiHarness(apps: ApplicationConfig[] = [WEB, API], makeStore: typeof freshStore = freshStore) {
  const clock = steppingClock();
  const { store, ctx } = await makeStore(clock);
  await store.config.syncApplications(apps);
  const queue = new FakeLaunchQueue();
  const commits = new FakeCommitSource();
  const secrets = new FakeSecretStore();
  const runner = new FakeTaskRunner();
  const logs: Record<string, unknown>[] = [];
  const deps: ApiDeps = { store, queue, commits, secrets, runner, installation: INSTALLATION, clock, log: entry => logs.push(entry) };
  const responses: ApiResult[] = [];

  /** `body`: a string is sent as is, anything else JSON-encoded. */
  async function call(method: string, path: string, options: CallOptions = {}): Promise<ApiResult> {
    const body = options.body === undefined ? '' : typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    const response = await handleApiRequest({ method, path, query: options.query ?? {}, body, principal: options.principal }, deps);
    const result = { status: response.statusCode, headers: response.headers, text: response.body, json: JSON.parse(response.body) };
    responses.push(result);
    return result;
  }

  /** Mark `deployment` as the environment's current version (what a succeeded build leaves behind). */
  async function setCurrent(application: string, environment: string, deployment: Deployment): Promise<void> {
    await ctx.doc.send(new UpdateCommand({
      TableName: ctx.tableName,
      Key: keys.environment(application, environment),
      UpdateExpression: 'SET currentDeploymentId = :d, currentCommit = :c',
      ExpressionAttributeValues: { ':d': deployment.id, ':c': deployment.commit },
    }));
  }

  /** Make `deployment` the environment's lock holder (a finalizer between its terminal write and the release). */
  async function holdLock(application: string, environment: string, deployment: Deployment): Promise<void> {
    await ctx.doc.send(new UpdateCommand({
      TableName: ctx.tableName,
      Key: keys.environment(application, environment),
      UpdateExpression: 'SET lockHolder = :d',
      ExpressionAttributeValues: { ':d': deployment.id },
    }));
  }

  let next = 1;
  /** A deployment that ran and ended with `status`, stored like the launcher and finalizer leave it. */
  async function finished(application: string, environment: string, status: 'succeeded' | 'failed', overrides: Partial<Deployment> = {}): Promise<Deployment> {
    // A day before the harness clock: older than anything the API creates.
    const n = next++;
    const id = newDeploymentId({ now: () => new Date(T0 - 86_400_000 + n) }, () => n.toString(16).padStart(8, '0'));
    await store.deployments.create(queuedDeployment(id, application, environment, { commitMessage: 'Fix the login', author: 'octocat', repository: `acme/${application}`, ...overrides }));
    await store.deployments.transition(id, 'running');
    return store.deployments.transition(id, status);
  }

  return {
    store: store as Store,
    ctx,
    deps,
    queue,
    commits,
    secrets,
    runner,
    logs,
    responses,
    call,
    setCurrent,
    holdLock,
    finished,
    secretName: (application: string, environment: string) => secretNames.environment(INSTALLATION, application, environment),
  };
}
