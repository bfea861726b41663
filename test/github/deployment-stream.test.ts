import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { MemoryGitHub } from './support/memory-github';
import { keys } from '../../src/contract/table-schema';
import { Deployment, Store } from '../../src/runtime/core';
import { reportDeploymentStream, statusChange } from '../../src/runtime/github/deployment-stream';
import { appConfig, configuredStore, depId, envConfig, queuedDeployment } from '../store/fixtures';

/**
 * The reporter function's part: DynamoDB stream records of the state table (as Lambda hands
 * them over, NEW_AND_OLD_IMAGES) → reports, against DynamoDB Local and GitHub in memory.
 */

const COMMIT = 'c'.repeat(40);
let sequence = 100;

/** A stream record of an item with these keys, its status before and after (images hold only what is read here). */
function record(eventName: 'INSERT' | 'MODIFY' | 'REMOVE', key: { PK: string; SK: string }, status?: { old?: string; new?: string }): DynamoDBRecord {
  const image = (value?: string) => (value === undefined ? undefined : { PK: { S: key.PK }, SK: { S: key.SK }, status: { S: value } });
  return {
    eventID: String(sequence),
    eventName,
    eventSource: 'aws:dynamodb',
    dynamodb: {
      Keys: { PK: { S: key.PK }, SK: { S: key.SK } },
      ...image(status?.new) && { NewImage: image(status?.new) },
      ...image(status?.old) && { OldImage: image(status?.old) },
      SequenceNumber: String(sequence++),
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    },
  };
}

const event = (...records: DynamoDBRecord[]): DynamoDBStreamEvent => ({ Records: records });

describe('github-reporter: the table stream → GitHub', () => {
  let store: Store;
  let github: MemoryGitHub;
  let logs: Array<Record<string, any>>;
  const deps = () => ({ store, github: github.connection, dashboardUrl: 'https://trellis.example', installation: 'acme', log: (entry: Record<string, unknown>) => logs.push(entry), retry: { backoffMs: 1 } });

  beforeEach(async () => {
    ({ store } = await configuredStore([appConfig('shop', [envConfig('dev', { branch: 'main' })])]));
    github = new MemoryGitHub();
    logs = [];
  });

  async function created(n: number, overrides: Partial<Deployment> = {}): Promise<Deployment> {
    const deployment = queuedDeployment(depId(n), 'shop', 'dev', { repository: 'acme/shop', commit: COMMIT, ...overrides });
    await store.deployments.create(deployment);
    return deployment;
  }

  test('a new deployment item and a status change are reported; the same record again makes no second GitHub Deployment', async () => {
    const d = await created(1);
    const inserted = record('INSERT', keys.deployment(d.id), { new: 'queued' });
    expect(await reportDeploymentStream(event(inserted), deps())).toEqual({ batchItemFailures: [] });
    expect(await reportDeploymentStream(event(inserted), deps())).toEqual({ batchItemFailures: [] });
    await store.deployments.transition(d.id, 'running');
    await reportDeploymentStream(event(record('MODIFY', keys.deployment(d.id), { old: 'queued', new: 'running' })), deps());

    expect(github.statuses('acme/shop', COMMIT).map(status => [status.context, status.state, status.target_url])).toEqual([
      ['trellis/shop/dev', 'pending', `https://trellis.example/#/deployments/${d.id}`],
      ['trellis/shop/dev', 'pending', `https://trellis.example/#/deployments/${d.id}`],
      ['trellis/shop/dev', 'pending', `https://trellis.example/#/deployments/${d.id}`],
    ]);
    const [made, ...more] = github.deployments('acme/shop');
    expect(more).toEqual([]);
    expect(made.statuses.map(status => status.state)).toEqual(['queued', 'queued', 'in_progress']);
    expect(logs).toContainEqual(expect.objectContaining({ message: 'deployment reported to github', deployment: d.id, status: 'running', failed: [] }));
  });

  test('records that are no status change of a deployment are ignored without a call', async () => {
    const d = await created(2);
    await store.deployments.transition(d.id, 'running');
    const records = [
      // A phase, the task, or the GitHub Deployment's id written: the status is what it was.
      record('MODIFY', keys.deployment(d.id), { old: 'running', new: 'running' }),
      record('REMOVE', keys.deployment(d.id), { old: 'running' }),
      record('MODIFY', keys.environment('shop', 'dev'), { old: 'x', new: 'y' }),
      record('INSERT', keys.application('shop')),
      record('INSERT', keys.logHead(d.id)),
      record('INSERT', keys.ingestToken(d.id)),
      record('INSERT', keys.delivery('abc')),
      record('INSERT', keys.connection('conn-1')),
    ];
    expect(records.map(statusChange)).toEqual(records.map(() => undefined));
    expect(await reportDeploymentStream(event(...records), deps())).toEqual({ batchItemFailures: [] });
    expect(github.calls).toEqual([]);
  });

  test('a record older than the deployment (it moved on since) is skipped: the later record reports where it went', async () => {
    const d = await created(3);
    await store.deployments.transition(d.id, 'running');
    await reportDeploymentStream(event(record('INSERT', keys.deployment(d.id), { new: 'queued' })), deps());
    expect(github.calls).toEqual([]);
  });

  test('GitHub failing: answered normally (nothing for the event source mapping to retry), logged and counted', async () => {
    const d = await created(4);
    github.failNext(/./, 500, 100);
    const answer = await reportDeploymentStream(event(record('INSERT', keys.deployment(d.id), { new: 'queued' })), deps());
    expect(answer).toEqual({ batchItemFailures: [] });
    expect(logs.filter(entry => entry.message === 'github report failed').map(entry => [entry.call, entry.GitHubReportFailures])).toEqual([
      ['set the commit status', 1],
      ['create the GitHub Deployment', 1],
    ]);
    expect(await store.deployments.get(d.id)).toMatchObject({ status: 'queued' });
  });

  test('the table unreadable: that record is a batch item failure, for the mapping\'s bounded retries', async () => {
    const d = await created(5);
    const unreadable = { ...store, deployments: { ...store.deployments, get: async () => { throw new Error('ProvisionedThroughputExceededException'); } } };
    const failing = record('INSERT', keys.deployment(d.id), { new: 'queued' });
    const answer = await reportDeploymentStream(event(failing), { ...deps(), store: unreadable as Store });
    expect(answer).toEqual({ batchItemFailures: [{ itemIdentifier: failing.dynamodb!.SequenceNumber }] });
    expect(logs).toContainEqual(expect.objectContaining({ message: 'deployment not reported to github: the table could not be read', deployment: d.id }));
  });
});
