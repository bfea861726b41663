import * as path from 'path';
import { Store } from '../../src/runtime/core';
import { ingestTokenHash, newIngestToken } from '../../src/runtime/core/ingest-token';
import { createDynamoStore } from '../../src/runtime/store/dynamo-store';
import { appConfig, envConfig, queuedDeployment, depId } from '../store/fixtures';
import { httpApiEvent } from '../support/http-api-event';
import { freshTable } from '../support/test-table';

/**
 * The function bundles that ship in assets/ write their metrics to stdout (where Lambda's log
 * goes, and CloudWatch reads Embedded Metric Format) with the installation's name from their
 * environment (TRELLIS_INSTALLATION, set by the constructs). Against DynamoDB Local; nothing
 * here reaches ECS or Secrets Manager (a stop event of a finished build, an unsigned request).
 */
const BUNDLES = path.join(__dirname, '../../assets/runtime/handlers');
const ENV = [
  'TABLE_NAME', 'TRELLIS_INSTALLATION', 'QUEUE_URL', 'WEBHOOK_SECRET_ARN', 'CLUSTER_ARN', 'TASK_DEFINITION_ARN', 'CONTAINER_NAME', 'SUBNET_IDS',
  'SECURITY_GROUP_IDS', 'ASSIGN_PUBLIC_IP', 'AWS_ENDPOINT_URL_DYNAMODB', 'AWS_REGION', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY',
];
const INSTALLATION = 'acme-wiring';
const taskArn = (id: string) => `arn:aws:ecs:eu-west-1:111122223333:task/trellis-cluster/${id}`;

describe('metrics from the function bundles', () => {
  let store: Store;
  let stdout: string[];
  let spy: jest.SpyInstance;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const load = (name: string) => require(path.join(BUNDLES, `${name}.lambda/index.js`)).handler as (event: unknown) => Promise<any>;
  const emf = () => stdout.flatMap(text => {
    try {
      const line = JSON.parse(text);
      return line?._aws?.CloudWatchMetrics ? [line] : [];
    } catch {
      return [];
    }
  });

  beforeAll(async () => {
    const ctx = await freshTable('metrics-wiring');
    store = createDynamoStore(ctx);
    await store.config.syncApplications([appConfig('shop', [envConfig('dev')])]);
    Object.assign(process.env, {
      TABLE_NAME: ctx.tableName,
      TRELLIS_INSTALLATION: INSTALLATION,
      QUEUE_URL: 'http://127.0.0.1:9/queue', // never reached
      WEBHOOK_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:trellis/acme/github-webhook-secret-AbCdEf',
      CLUSTER_ARN: 'arn:aws:ecs:eu-west-1:111122223333:cluster/trellis-cluster',
      TASK_DEFINITION_ARN: 'arn:aws:ecs:eu-west-1:111122223333:task-definition/trellis:1',
      CONTAINER_NAME: 'builder',
      SUBNET_IDS: 'subnet-1',
      SECURITY_GROUP_IDS: 'sg-1',
      ASSIGN_PUBLIC_IP: 'true',
      AWS_ENDPOINT_URL_DYNAMODB: process.env.TRELLIS_TEST_DYNAMODB_ENDPOINT,
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
    });
  });

  beforeEach(() => {
    stdout = [];
    spy = jest.spyOn(console, 'log').mockImplementation((text: unknown) => { stdout.push(String(text)); });
  });
  afterEach(() => spy.mockRestore());
  afterAll(() => { for (const name of ENV) delete process.env[name]; });

  test.each([
    [0, 'succeeded', 'DeploymentsSucceeded'],
    [1, 'failed', 'DeploymentsFailed'],
  ] as const)('finalizer: a build that exited %i is counted once as %s, by installation, application and environment', async (exitCode, status, metric) => {
    const id = depId(exitCode + 1);
    await store.deployments.create(queuedDeployment(id, 'shop', 'dev'));
    await store.deployments.transition(id, 'running');
    await store.deployments.attachTask(id, taskArn(id), ingestTokenHash(newIngestToken()));
    await store.deployments.claimEnvironment('shop', 'dev', id);
    const event = {
      'detail-type': 'ECS Task State Change',
      'detail': { taskArn: taskArn(id), startedBy: id, lastStatus: 'STOPPED', containers: [{ name: 'builder', exitCode }] },
    };
    const handler = load('finalizer');
    await handler(event);
    await handler(event); // EventBridge delivers again: not counted again
    expect((await store.deployments.get(id))!.status).toBe(status);
    const lines = emf();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ deployment: id, status, [metric]: 1, Installation: INSTALLATION, Application: 'shop', Environment: 'dev' });
    expect(lines[0]._aws.CloudWatchMetrics[0]).toMatchObject({
      Namespace: 'Trellis',
      Dimensions: [['Installation'], ['Installation', 'Application'], ['Installation', 'Application', 'Environment']],
    });
  });

  test.each([
    ['no signature', { 'content-type': 'application/json' }, 'SignatureMissing', 401],
    ['a body over 5 MiB', { 'x-hub-signature-256': 'sha256=00' }, 'PayloadTooLarge', 413],
  ] as const)('webhook: %s is counted as a rejection of this installation', async (_what, headers, reason, status) => {
    const body = reason === 'PayloadTooLarge' ? 'a'.repeat(5 * 1024 * 1024 + 1) : '{}';
    const response = await load('webhook')(httpApiEvent('POST', '/webhook', { headers, body }));
    expect(response.statusCode).toBe(status);
    expect(emf()).toEqual([expect.objectContaining({ Installation: INSTALLATION, Reason: reason, WebhookRejections: 1 })]);
  });
});
