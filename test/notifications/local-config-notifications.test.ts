import { parseLocalConfig } from '../../src/local/local-config';
import { ValidationError } from '../../src/runtime/core/errors';

const dirs = { configDir: '/home/ada/config', dataDir: '/data' };

function app(notifications: unknown) {
  return { applications: [{ name: 'shop', repository: './shop', environments: [{ kind: 'development' }], notifications }] };
}

describe('notifications in the local config file', () => {
  test('a webhook with its key as given and any http(s) URL, and Slack by URL, are taken as written', () => {
    const notifications = [
      { kind: 'webhook', url: 'http://127.0.0.1:9000/hook', secret: 'local-key', events: ['deployment.failed'] },
      { kind: 'slack', url: 'https://hooks.slack.com/services/T/B/X', environments: ['dev'] },
    ];
    expect(parseLocalConfig(app(notifications), dirs).applications[0].notifications).toEqual(notifications);
  });

  test('SNS is refused, named; so is a misspelt key', () => {
    let error: unknown;
    try {
      parseLocalConfig(app([{ kind: 'webhook', url: 'http://127.0.0.1:9000/hook', secret: 'k' }, { kind: 'sns', topicArn: 'arn:aws:sns:eu-west-1:111122223333:t' }]), dirs);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues).toEqual([
      { path: 'applications[0].notifications[1].kind', message: 'local mode has no SNS: use a webhook or slack destination here' },
    ]);
    expect(() => parseLocalConfig(app([{ kind: 'webhook', url: 'http://127.0.0.1:9000/hook', secrett: 'k' }]), dirs))
      .toThrow('applications[0].notifications[0].secrett: is not a known field; did you mean `secret`?');
  });
});
