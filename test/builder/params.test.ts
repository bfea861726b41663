import { readBuildRequest } from '../../src/builder/params';
import { depId } from '../store/fixtures';

const valid = {
  TRELLIS_DEPLOYMENT_ID: depId(1),
  TRELLIS_ACTION: 'promote',
  TRELLIS_APPLICATION: 'shop',
  TRELLIS_ENVIRONMENT: 'prod',
  TRELLIS_COMMIT: 'a'.repeat(40),
  TRELLIS_STAGE: 'prod',
  TRELLIS_INSTALLATION: 'acme',
};

describe('readBuildRequest', () => {
  test('reads every parameter; the git source is optional', () => {
    expect(readBuildRequest(valid)).toEqual({
      ok: true,
      request: { deploymentId: depId(1), action: 'promote', application: 'shop', environment: 'prod', commit: 'a'.repeat(40), stage: 'prod', installation: 'acme' },
    });
  });

  test.each(['/srv/git/shop', 'file:///srv/git/shop', 'https://git.example.com/shop.git'])('accepts the git source %s', gitUrl => {
    expect(readBuildRequest({ ...valid, TRELLIS_GIT_URL: gitUrl })).toMatchObject({ ok: true, request: { gitUrl } });
  });

  test.each(['ext::sh -c touch% /tmp/x', '-uupload-pack=x', 'relative/path', 'ssh://host/repo', 'http://plain.example.com/x'])('refuses the git source %s', gitUrl => {
    expect(readBuildRequest({ ...valid, TRELLIS_GIT_URL: gitUrl }).ok).toBe(false);
  });

  test('lists every problem at once, with control characters made printable', () => {
    const result = readBuildRequest({ ...valid, TRELLIS_COMMIT: 'A'.repeat(40), TRELLIS_STAGE: 'dev\nx', TRELLIS_ACTION: undefined });
    expect(result).toEqual({
      ok: false,
      problems: [
        'TRELLIS_ACTION is not set',
        `TRELLIS_COMMIT: '${'A'.repeat(40)}' is not a full 40-character lowercase commit sha`,
        expect.stringMatching(/^TRELLIS_STAGE: 'dev\?x' must be/),
      ],
    });
  });
});
