import { CONTROL_API_ENV, GITHUB_ENV } from '../../src/contract/function-environment';
import { installationUrlsFromEnvironment } from '../../src/runtime/api/installation-urls';

describe('the control API\'s own URLs from its environment', () => {
  const complete = {
    [GITHUB_ENV.controlApiUrl]: 'https://abc.execute-api.eu-west-1.amazonaws.com',
    [GITHUB_ENV.webhookUrl]: 'https://hooks.example/webhook',
    [CONTROL_API_ENV.dashboardOrigins]: 'https://d1.cloudfront.net http://localhost:5173',
  };

  test('the dashboard is the first of the CORS origins', () => {
    expect(installationUrlsFromEnvironment(complete)).toEqual({
      api: 'https://abc.execute-api.eu-west-1.amazonaws.com',
      dashboard: 'https://d1.cloudfront.net',
      webhook: 'https://hooks.example/webhook',
    });
  });

  test('without any one of them there are none (no GitHub App configured)', () => {
    for (const name of Object.keys(complete)) {
      expect(installationUrlsFromEnvironment({ ...complete, [name]: undefined })).toBeUndefined();
      expect(installationUrlsFromEnvironment({ ...complete, [name]: '' })).toBeUndefined();
    }
  });
});
