import { appEnvironment, baseEnvironment, deployEnvironment } from '../../src/builder/child-env';
import { AssumeRoleCredentialSource, sessionNameFor } from '../../src/builder/credentials';
import { envConfig } from '../store/fixtures';

const processEnv = {
  PATH: '/usr/bin',
  TRELLIS_TABLE_NAME: 'table',
  TRELLIS_STAGE: 'dev',
  TRELLIS_LOG_INGEST_FUNCTION: 'trellis-log-ingest',
  AWS_REGION: 'us-east-1',
  AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: '/v2/credentials/abc',
  npm_config_audit: 'true',
};

/** The builder's own credentials as they look outside ECS (static or web identity). */
const ownCredentials = {
  AWS_ACCESS_KEY_ID: 'AKIABUILDEROWN00001',
  AWS_SECRET_ACCESS_KEY: 'builder-own-secret',
  AWS_SESSION_TOKEN: 'builder-own-session',
  AWS_WEB_IDENTITY_TOKEN_FILE: '/var/run/token',
  AWS_ROLE_ARN: 'arn:aws:iam::111122223333:role/builder',
};

describe('child environments', () => {
  test("the base drops the builder's TRELLIS_* settings (the log-ingest function too) and the task role endpoint", () => {
    expect(baseEnvironment(processEnv)).toEqual({ PATH: '/usr/bin', AWS_REGION: 'us-east-1', npm_config_audit: 'true' });
  });

  test("the builder's own AWS credentials reach no app command, only a deploy without a deploy role", () => {
    const base = baseEnvironment({ ...processEnv, ...ownCredentials });
    expect(base).toEqual({ PATH: '/usr/bin', AWS_REGION: 'us-east-1', npm_config_audit: 'true' });
    const app = appEnvironment(base, envConfig('dev'), {}, 'dev', 'c0ffee');
    for (const name of Object.keys(ownCredentials)) expect(app[name]).toBeUndefined();
    expect(deployEnvironment(app, { ...processEnv, ...ownCredentials }, {})).toMatchObject(ownCredentials);
    // With a deploy role, only its credentials: none of the builder's.
    const deploy = deployEnvironment(app, { ...processEnv, ...ownCredentials }, { AWS_ACCESS_KEY_ID: 'ASIA1', AWS_SECRET_ACCESS_KEY: 's', AWS_SESSION_TOKEN: 't' });
    expect(deploy.AWS_WEB_IDENTITY_TOKEN_FILE).toBeUndefined();
    expect(deploy.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI).toBeUndefined();
    expect(deploy.AWS_ACCESS_KEY_ID).toBe('ASIA1');
  });

  test('the app sees its variables, secrets, region and stage over the defaults', () => {
    const env = envConfig('dev', { region: 'eu-west-1', variables: { LOG_LEVEL: 'debug' } });
    const result = appEnvironment(baseEnvironment(processEnv), env, { API_KEY: 'k3y!' }, 'dev', 'c0ffee');
    expect(result).toMatchObject({
      LOG_LEVEL: 'debug', API_KEY: 'k3y!', AWS_REGION: 'eu-west-1', AWS_DEFAULT_REGION: 'eu-west-1', STAGE: 'dev', TRELLIS_STAGE: 'dev', TRELLIS_COMMIT: 'c0ffee', CI: 'true',
    });
    // The operator's setting beats the builder's default.
    expect(result.npm_config_audit).toBe('true');
  });

  test('deploys get the assumed role; without one, the task role endpoint comes back', () => {
    const app = { PATH: '/usr/bin' };
    expect(deployEnvironment(app, processEnv, { AWS_ACCESS_KEY_ID: 'ASIA1' })).toEqual({ PATH: '/usr/bin', AWS_ACCESS_KEY_ID: 'ASIA1' });
    expect(deployEnvironment(app, processEnv, {})).toEqual({ PATH: '/usr/bin', AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: '/v2/credentials/abc' });
  });
});

describe('AssumeRoleCredentialSource', () => {
  test('assumes the deploy role with the session name and the session tags of the recorded application and environment; no role, no call', async () => {
    const calls: unknown[][] = [];
    const source = new AssumeRoleCredentialSource(async (roleArn, sessionName, tags) => {
      calls.push([roleArn, sessionName, tags]);
      return { accessKeyId: 'ASIA1', secretAccessKey: 'secret', sessionToken: 'token' };
    }, { name: sessionNameFor('20260301T120000000Z-0000000a'), installation: 'acme' });

    expect(await source.credentialsFor(envConfig('dev'), 'shop')).toEqual({});
    expect(await source.credentialsFor(envConfig('prod', { deployRoleArn: 'arn:aws:iam::111122223333:role/deploy' }), 'shop')).toEqual({
      AWS_ACCESS_KEY_ID: 'ASIA1', AWS_SECRET_ACCESS_KEY: 'secret', AWS_SESSION_TOKEN: 'token',
    });
    expect(calls).toEqual([['arn:aws:iam::111122223333:role/deploy', 'trellis-20260301T120000000Z-0000000a',
      { 'trellis:application': 'shop', 'trellis:environment': 'prod', 'trellis:installation': 'acme' }]]);
  });

  test('session names keep to what STS accepts', () => {
    expect(sessionNameFor('bad id;$(x)')).toBe('trellis-badidx');
    expect(sessionNameFor(undefined)).toBe('trellis-build');
  });
});
