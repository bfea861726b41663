import { repositoryUrl } from '../../src/builder/git';
import { readBuildSettings, requestFromRecord } from '../../src/builder/params';
import { Deployment } from '../../src/runtime/core';
import { depId, queuedDeployment } from '../store/fixtures';

const settings = {
  TRELLIS_DEPLOYMENT_ID: depId(1),
  TRELLIS_INSTALLATION: 'acme',
};

describe('readBuildSettings', () => {
  test('reads the deployment id and the installation; the git source is optional', () => {
    expect(readBuildSettings(settings)).toEqual({ ok: true, value: { deploymentId: depId(1), installation: 'acme' } });
  });

  test('what the record says is not read from the environment: an old launcher\'s variables change nothing', () => {
    const old = { ...settings, TRELLIS_ACTION: 'teardown', TRELLIS_APPLICATION: 'other', TRELLIS_ENVIRONMENT: 'prod', TRELLIS_COMMIT: 'b'.repeat(40) };
    expect(readBuildSettings(old)).toEqual(readBuildSettings(settings));
  });

  test.each(['/srv/git/shop', 'file:///srv/git/shop', 'https://git.example.com/shop.git', 'http://127.0.0.1:4101/local/shop.git'])('accepts the git source %s', gitUrl => {
    expect(readBuildSettings({ ...settings, TRELLIS_GIT_URL: gitUrl })).toMatchObject({ ok: true, value: { gitUrl } });
  });

  test.each(['ext::sh -c touch% /tmp/x', '-uupload-pack=x', 'relative/path', 'ssh://host/repo', 'http://plain.example.com/x',
    'http://127.0.0.1.example.com/x', 'http://127.0.0.1@example.com/x', 'http://localhost:4101/x'])('refuses the git source %s', gitUrl => {
    expect(readBuildSettings({ ...settings, TRELLIS_GIT_URL: gitUrl }).ok).toBe(false);
  });

  test('a GitHub Enterprise Server is a host to clone from: https, no path, query or credentials', () => {
    expect(readBuildSettings({ ...settings, TRELLIS_GITHUB_WEB_URL: 'https://github.acme.com' })).toMatchObject({ ok: true, value: { githubWebUrl: 'https://github.acme.com' } });
    expect(repositoryUrl('acme/shop', undefined, 'https://github.acme.com/')).toBe('https://github.acme.com/acme/shop.git');
    expect(repositoryUrl('acme/shop')).toBe('https://github.com/acme/shop.git');
    for (const url of ['http://github.acme.com', 'https://user:pw@github.acme.com', 'https://github.acme.com/x', 'https://github.acme.com?x', '-c', 'ext::sh']) {
      expect({ url, ok: readBuildSettings({ ...settings, TRELLIS_GITHUB_WEB_URL: url }).ok }).toEqual({ url, ok: false });
    }
  });

  test('lists every problem at once, with control characters made printable', () => {
    expect(readBuildSettings({ TRELLIS_DEPLOYMENT_ID: 'dep\n1' })).toEqual({
      ok: false,
      problems: ["TRELLIS_DEPLOYMENT_ID: 'dep?1' is not a deployment id", 'TRELLIS_INSTALLATION is not set'],
    });
  });
});

describe('requestFromRecord', () => {
  const read = readBuildSettings(settings);
  if (!read.ok) throw new Error('the settings above are valid');
  const record = (overrides: Partial<Deployment> = {}) => queuedDeployment(depId(1), 'shop', 'prod', { action: 'promote', commit: 'a'.repeat(40), ...overrides });

  test('the record says what is built and where; the stage is the environment\'s name', () => {
    expect(requestFromRecord(read.value, record())).toEqual({
      ok: true,
      value: { deploymentId: depId(1), installation: 'acme', action: 'promote', application: 'shop', environment: 'prod', commit: 'a'.repeat(40), stage: 'prod' },
    });
  });

  test('a record is checked like any input: every problem at once, named by field, printable', () => {
    const hostile = record({ action: undefined, commit: 'A'.repeat(40), environment: 'dev\nx', application: 42 as unknown as string });
    expect(requestFromRecord(read.value, hostile)).toEqual({
      ok: false,
      problems: [
        'action is not set',
        'application is not a string',
        expect.stringMatching(/^environment: 'dev\?x' must be/),
        `commit: '${'A'.repeat(40)}' is not a full 40-character lowercase commit sha`,
      ],
    });
  });

  test.each([['destroy'], ['constructor'], ['__proto__']])('an action that is not one (%s) is refused', action => {
    expect(requestFromRecord(read.value, record({ action: action as Deployment['action'] }))).toEqual({
      ok: false, problems: [`action: '${action}' is not one of deploy, promote, rollback, teardown`],
    });
  });
});
