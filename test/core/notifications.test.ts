import { createHmac } from 'crypto';
import { env } from './fixtures';
import { parseApplications } from '../../src/runtime/core/config-parse';
import { ValidationError, ValidationIssue } from '../../src/runtime/core/errors';
import { NOTIFICATION_DESTINATION_KEYS } from '../../src/runtime/core/notification-rules';
import { deploymentEvent, notificationPayload, notificationSignature, slackMessage, wantsEvent } from '../../src/runtime/core/notifications';
import { Deployment } from '../../src/runtime/core/types';

const deployment: Deployment = {
  id: 'dep-1',
  application: 'shop',
  environment: 'dev',
  action: 'rollback',
  commit: '0123456789abcdef0123456789abcdef01234567',
  branch: 'main',
  trigger: { kind: 'auto-rollback', actor: 'trellis', sourceDeploymentId: 'dep-0' },
  status: 'succeeded',
  reason: 'health check <failed> & more',
  createdAt: '2026-03-01T12:00:00.000Z',
  updatedAt: '2026-03-01T12:01:00.000Z',
};

describe('deploymentEvent: a deployment status as an event', () => {
  test.each<[Deployment['status'], Deployment['action'], string | undefined]>([
    ['queued', 'deploy', 'deployment.queued'],
    ['queued', 'teardown', 'deployment.queued'],
    ['running', 'deploy', undefined],
    ['succeeded', 'deploy', 'deployment.succeeded'],
    ['succeeded', 'promote', 'deployment.succeeded'],
    ['succeeded', 'rollback', 'deployment.rolled_back'],
    ['succeeded', 'teardown', 'environment.torn_down'],
    ['failed', 'rollback', 'deployment.failed'],
    ['superseded', 'deploy', 'deployment.superseded'],
    ['cancelled', 'deploy', undefined],
  ])('%s %s → %s', (status, action, event) => {
    expect(deploymentEvent({ status, action })).toBe(event);
  });
});

describe('wantsEvent: a destination\'s filters', () => {
  test('no filters: everything; events and environments both have to match', () => {
    expect(wantsEvent({ kind: 'sns', topicArn: 'x' }, 'deployment.failed', 'prod')).toBe(true);
    const filtered = { kind: 'sns' as const, topicArn: 'x', events: ['deployment.failed' as const], environments: ['prod'] };
    expect(wantsEvent(filtered, 'deployment.failed', 'prod')).toBe(true);
    expect(wantsEvent(filtered, 'deployment.failed', 'dev')).toBe(false);
    expect(wantsEvent(filtered, 'deployment.succeeded', 'prod')).toBe(false);
  });
});

describe('the payload', () => {
  const payload = notificationPayload({
    id: 'd-1',
    event: 'deployment.rolled_back',
    sequence: 7,
    timestamp: '2026-03-01T12:01:00.000Z',
    installation: 'main',
    application: 'shop',
    environment: 'dev',
    details: { deployment },
    deploymentUrl: id => `https://trellis.example.com/#/deployments/${id}`,
  });

  test('has the documented fields, the deployment without internals, the trigger kind and actor', () => {
    expect(payload).toEqual({
      id: 'd-1',
      event: 'deployment.rolled_back',
      sequence: 7,
      timestamp: '2026-03-01T12:01:00.000Z',
      installation: 'main',
      application: 'shop',
      environment: 'dev',
      deployment: {
        id: 'dep-1',
        action: 'rollback',
        status: 'succeeded',
        commit: deployment.commit,
        branch: 'main',
        reason: deployment.reason,
        trigger: { kind: 'auto-rollback', actor: 'trellis' },
        url: 'https://trellis.example.com/#/deployments/dep-1',
      },
    });
  });

  test('the signature is the HMAC-SHA256 of the exact bytes, as a receiver computes it', () => {
    const body = JSON.stringify(payload);
    const expected = createHmac('sha256', 'k3y').update(Buffer.from(body, 'utf8')).digest('hex');
    expect(notificationSignature('k3y', body)).toBe(`sha256=${expected}`);
    expect(notificationSignature('other', body)).not.toBe(`sha256=${expected}`);
  });

  test('Slack gets a readable message with values escaped and the link', () => {
    const { text } = slackMessage(payload);
    expect(text).toContain('*shop/dev*: rolled back');
    expect(text).toContain('rollback (automatic) of `0123456`');
    expect(text).toContain('Reason: health check &lt;failed&gt; &amp; more');
    expect(text).toContain('<https://trellis.example.com/#/deployments/dep-1|Open on the dashboard>');
  });

  test('a preview event carries its pull request and no deployment', () => {
    const preview = notificationPayload({
      id: 'd-2',
      event: 'preview.removed',
      sequence: 1,
      timestamp: 't',
      installation: 'main',
      application: 'shop',
      environment: 'pr-4',
      details: { pullRequest: { number: 4, title: 'Faster' } },
      deploymentUrl: id => id,
    });
    expect(preview).toMatchObject({ pullRequest: { number: 4, title: 'Faster' } });
    expect(Object.keys(preview).sort()).toEqual(['application', 'environment', 'event', 'id', 'installation', 'pullRequest', 'sequence', 'timestamp']);
    expect(preview.deployment).toBeUndefined();
  });
});

/** The issues of an application with these destinations. */
function issues(notifications: unknown, previews?: unknown): ValidationIssue[] {
  try {
    const environments = [env(), env({ name: 'prod', kind: 'production', branch: undefined, autoDeploy: false })];
    parseApplications([{ name: 'shop', repository: 'acme/shop', environments, notifications, ...previews !== undefined && { previews } }]);
    return [];
  } catch (error) {
    if (error instanceof ValidationError) return [...error.issues];
    throw error;
  }
}

describe('notifications in the configuration', () => {
  test('each kind with its fields passes and is kept', () => {
    const destinations = [
      { kind: 'webhook', url: 'http://127.0.0.1:9000/hook', secret: 'local-key', events: ['deployment.failed'], environments: ['prod'] },
      { kind: 'webhook', url: 'https://hooks.example.com/t', secretArn: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:hook' },
      { kind: 'slack', urlSecretArn: 'shop/slack' },
      { kind: 'slack', url: 'https://hooks.slack.com/services/T/B/X' },
      { kind: 'sns', topicArn: 'arn:aws:sns:eu-west-1:111122223333:deployments' },
    ];
    expect(issues(destinations)).toEqual([]);
    const [app] = parseApplications([{ name: 'shop', repository: 'acme/shop', environments: [env()], notifications: destinations.slice(1) }]);
    expect(app.notifications).toEqual(destinations.slice(1));
  });

  test('every bad field is named; a Slack URL (a secret) is never repeated', () => {
    const slackUrl = 'ftp://hooks.slack.com/services/T/B/SECRETPART';
    const found = issues([
      { kind: 'email' },
      { kind: 'webhook', url: 'https://x.example.com', secret: 'a', secretArn: 'b' },
      { kind: 'webhook', secret: 'k', topicArn: 'arn:aws:sns:eu-west-1:111122223333:t' },
      { kind: 'slack', url: slackUrl },
      { kind: 'sns', topicArn: 'not-an-arn', events: ['deployment.exploded'], environments: ['qa'] },
      { kind: 'sns', topicArn: 'arn:aws:sns:eu-west-1:111122223333:t', events: [], environments: ['pr-12'] },
    ]);
    expect(found).toEqual(expect.arrayContaining([
      { path: 'applications[0].notifications[0].kind', message: 'must be one of webhook, slack, sns' },
      { path: 'applications[0].notifications[1].secret', message: 'a webhook destination needs exactly one of secret, secretArn' },
      { path: 'applications[0].notifications[2].url', message: 'a webhook destination needs url' },
      { path: 'applications[0].notifications[2].topicArn', message: 'is not used by a webhook destination' },
      { path: 'applications[0].notifications[3].url', message: "must be an http(s) URL (the incoming webhook's)" },
      { path: 'applications[0].notifications[4].topicArn', message: expect.stringContaining('SNS topic') },
      { path: 'applications[0].notifications[4].events[0]', message: expect.stringContaining("'deployment.exploded' is not an event") },
      { path: 'applications[0].notifications[4].environments[0]', message: "'qa' is not an environment of this application (dev, prod)" },
      { path: 'applications[0].notifications[5].events', message: expect.stringContaining('at least one event') },
      // A preview's name only where the application has previews.
      { path: 'applications[0].notifications[5].environments[0]', message: "'pr-12' is not an environment of this application (dev, prod)" },
    ]));
    expect(found).toHaveLength(10);
    const pr12 = { kind: 'sns', topicArn: 'arn:aws:sns:eu-west-1:111122223333:t', environments: ['pr-12', 'qa'] };
    expect(issues([pr12], { from: 'dev' })).toEqual([
      { path: 'applications[0].notifications[0].environments[1]', message: "'qa' is not an environment of this application (dev, prod, or a preview's pr-<n>)" },
    ]);
    expect(JSON.stringify(found)).not.toContain('SECRETPART');
  });

  test('an unknown key is named with the fields there are', () => {
    expect(issues([{ kind: 'webhook', url: 'https://x.example.com', secret: 'k', secert: 'k' }])).toEqual([
      { path: 'applications[0].notifications[0].secert', message: 'is not a known field; did you mean `secret`?' },
    ]);
  });

  test('the destination key list is the type\'s', () => {
    expect([...NOTIFICATION_DESTINATION_KEYS].sort()).toEqual(['environments', 'events', 'kind', 'secret', 'secretArn', 'topicArn', 'url', 'urlSecretArn']);
  });
});
