import type { DynamoDBRecord } from 'aws-lambda';
import { keys } from '../../src/contract/table-schema';
import { Store } from '../../src/runtime/core';
import { notifyDeploymentStream, previewChange } from '../../src/runtime/notifications/notification-stream';
import { createNotifier } from '../../src/runtime/notifications/notifier';
import { appConfig, configuredStore, depId, envConfig, queuedDeployment } from '../store/fixtures';
import { TestReceiver } from './support/receiver';

/**
 * The notifier function's part: stream records of the state table (NEW_AND_OLD_IMAGES) → one
 * signed notification per status change, against DynamoDB Local and a real receiver.
 */

const SECRET = 'stream-hook-key';
let sequence = 100;

function record(eventName: 'INSERT' | 'MODIFY', key: { PK: string; SK: string }, status: { old?: string; new: string }): DynamoDBRecord {
  const image = (value: string) => ({ PK: { S: key.PK }, SK: { S: key.SK }, status: { S: value } });
  return {
    eventID: String(sequence),
    eventName,
    eventSource: 'aws:dynamodb',
    dynamodb: {
      Keys: { PK: { S: key.PK }, SK: { S: key.SK } },
      NewImage: image(status.new),
      ...status.old && { OldImage: image(status.old) },
      SequenceNumber: String(sequence++),
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    },
  };
}

describe('notifier function: the table stream → notifications', () => {
  let store: Store;
  let receiver: TestReceiver;

  beforeEach(async () => {
    receiver = await TestReceiver.start(SECRET);
    ({ store } = await configuredStore([{ ...appConfig('shop', [envConfig('dev')]), notifications: [{ kind: 'webhook', url: receiver.url, secret: SECRET }] }]));
  });
  afterEach(() => receiver.close());

  test('each status change once, as the record shows it, delivered before the handler answers; other records are skipped', async () => {
    const log: Record<string, unknown>[] = [];
    const notifier = createNotifier({ store, installation: 'acme', dashboardUrl: () => 'https://trellis.example', secrets: { get: () => Promise.reject(new Error('none')) }, log: entry => log.push(entry) });
    const id = depId(1);
    await store.deployments.create(queuedDeployment(id, 'shop', 'dev'));
    await store.deployments.transition(id, 'running');
    await store.deployments.transition(id, 'failed', { reason: 'tests failed' });
    const result = await notifyDeploymentStream({
      Records: [
        record('INSERT', keys.deployment(id), { new: 'queued' }),
        record('MODIFY', keys.deployment(id), { old: 'queued', new: 'running' }),
        record('MODIFY', keys.deployment(id), { old: 'running', new: 'running' }), // a phase written: no change
        record('INSERT', keys.logHead(id) as { PK: string; SK: string }, { new: 'x' }), // not a deployment item
        record('MODIFY', keys.deployment(id), { old: 'running', new: 'failed' }),
        record('INSERT', keys.deployment(depId(2)), { new: 'queued' }), // gone from the table
      ],
    }, { store, notifier, log: entry => log.push(entry) });
    expect(result).toEqual({ batchItemFailures: [] });
    expect(receiver.requests.map(({ body, signatureValid }) => [body.sequence, body.event, body.deployment.status, signatureValid])).toEqual([
      [1, 'deployment.queued', 'queued', true],
      [2, 'deployment.failed', 'failed', true],
    ]);
    expect(receiver.requests[1].body.deployment.reason).toBe('tests failed');
  });

  test('a record whose deployment cannot be read is a batch item failure (the stream retries it)', async () => {
    const broken = { ...store, deployments: { ...store.deployments, get: () => Promise.reject(new Error('throttled')) } } as Store;
    const notifier = createNotifier({ store, installation: 'acme', dashboardUrl: () => '', secrets: { get: () => Promise.reject(new Error('none')) }, log: () => undefined });
    const inserted = record('INSERT', keys.deployment(depId(3)), { new: 'queued' });
    const result = await notifyDeploymentStream({ Records: [inserted] }, { store: broken, notifier, log: () => undefined });
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: inserted.dynamodb!.SequenceNumber }] });
    expect(receiver.requests).toEqual([]);
  });
});

describe('previewChange: a preview environment made or deleted', () => {
  const key = { Keys: { PK: { S: 'CONFIG' }, SK: { S: 'APP#shop#ENV#pr-12' } } };
  const preview = { preview: { M: { pullRequest: { N: '12' }, title: { S: 'Faster checkout' }, author: { S: 'octocat' }, fork: { BOOL: false } } } };

  test('INSERT with a preview is preview.created; REMOVE is preview.removed; anything else is nothing', () => {
    expect(previewChange({ eventName: 'INSERT', dynamodb: { ...key, NewImage: preview } })).toEqual({
      event: 'preview.created', application: 'shop', environment: 'pr-12', details: { pullRequest: { number: 12, title: 'Faster checkout', author: 'octocat' } },
    });
    expect(previewChange({ eventName: 'REMOVE', dynamodb: { ...key, OldImage: preview } })).toMatchObject({
      event: 'preview.removed', environment: 'pr-12', details: { pullRequest: { number: 12, title: 'Faster checkout', author: 'octocat' } },
    });
    expect(previewChange({ eventName: 'MODIFY', dynamodb: { ...key, NewImage: preview, OldImage: preview } })).toBeUndefined();
    expect(previewChange({ eventName: 'INSERT', dynamodb: { ...key, NewImage: {} } })).toBeUndefined();
    expect(previewChange({ eventName: 'INSERT', dynamodb: { Keys: { PK: { S: 'CONFIG' }, SK: { S: 'APP#shop' } }, NewImage: preview } })).toBeUndefined();
  });
});
