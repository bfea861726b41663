import { FAKE_ROLE_CREDENTIALS } from './fake-credentials';
import { BuildRun, BuilderHarness, frameworkRecords, npmPackage } from './harness';
import { appConfig, envConfig } from '../store/fixtures';

/**
 * Secrets reach the app as environment variables and appear in no output line and no
 * argument list; the GitHub token reaches only git, through its environment.
 */
describe('builder: secrets', () => {
  const token = 'ghp_FAKEtoken0123456789abcdefghijklmnopq';
  const header = `AUTHORIZATION: basic ${Buffer.from(`x-access-token:${token}`).toString('base64')}`;
  const secret = 'hunter2"s3cr3t/value';
  const pem = 'first-line-of-key\nsecond-line-of-key';
  let harness: BuilderHarness;
  let result: BuildRun;

  beforeAll(async () => {
    harness = await BuilderHarness.create();
    await harness.configure([appConfig('vault', [envConfig('dev', {
      runTests: true,
      testCommand: ['npm', 'run', 'test'],
      region: 'eu-west-1',
      deployRoleArn: 'arn:aws:iam::111122223333:role/deploy',
    })])]);
    const printer = [
      'const s = process.env.MY_SECRET;',
      'console.log("secret is " + s);',
      'console.log("json " + JSON.stringify(s));',
      'console.log("url " + encodeURIComponent(s));',
      'console.log("pem " + process.env.MY_KEY);',
      // Half a secret per chunk: masking works on whole lines, not on chunks.
      'process.stdout.write("split " + s.slice(0, 5));',
      'setTimeout(() => console.log(s.slice(5) + " done"), 200);',
    ].join('\n');
    const repo = harness.repo('vault', { 'serverless.yml': 'service: vault\n', 'print-secret.js': printer, ...npmPackage('vault', { test: 'node print-secret.js' }) });
    result = await harness.run({
      application: 'vault',
      environment: 'dev',
      commit: repo.commits[0],
      gitUrl: repo.url,
      secrets: {
        'trellis/test/github-token': token,
        'trellis/test/vault/dev': JSON.stringify({ MY_SECRET: secret, MY_KEY: pem, SHORT: 'ab' }),
      },
    });
  });

  afterAll(() => harness?.cleanup());

  test('the build succeeds', () => {
    expect(result.code).toBe(0);
  });

  test("the app's own output shows *** for every form of a secret", () => {
    expect(result.lines).toEqual(expect.arrayContaining([
      'secret is ***',
      'json "***"',
      'url ***',
      'pem ***',
      '***',
      'split *** done',
      'serverless sees MY_SECRET=***',
      'serverless sees AWS_SECRET_ACCESS_KEY=***',
    ]));
    const forms = [secret, JSON.stringify(secret).slice(1, -1), encodeURIComponent(secret), ...pem.split('\n'), FAKE_ROLE_CREDENTIALS.secretAccessKey];
    for (const form of forms) {
      expect(result.output).not.toContain(form);
      // Nor in the printed JSON records, where a secret would appear JSON-escaped.
      expect(result.stdout).not.toContain(JSON.stringify(form).slice(1, -1));
    }
  });

  test('the token goes to git as an http.extraheader in its environment, masked in its output', () => {
    const fetch = result.records.find(record => record.tool === 'git' && record.argv[0] === 'fetch');
    expect(fetch?.env).toMatchObject({ GIT_CONFIG_COUNT: '2', GIT_CONFIG_KEY_1: 'http.extraheader', GIT_CONFIG_VALUE_1: header });
    expect(result.lines).toContain('git sees extraheader: AUTHORIZATION: basic ***');
    expect(result.lines).toContain('git sees token: ***');
    expect(result.output).not.toContain(token);
    expect(result.output).not.toContain(header.split(' ').pop());
  });

  test('no process saw the token or a secret in its argument list', () => {
    expect(result.records.length).toBeGreaterThan(4);
    for (const record of result.records) {
      const argv = JSON.stringify(record.argv);
      for (const value of [token, header.split(' ').pop()!, secret, FAKE_ROLE_CREDENTIALS.secretAccessKey]) expect(argv).not.toContain(value);
    }
  });

  test('only git gets the token; only the deploy gets the deploy role credentials', () => {
    const npm = result.records.filter(record => record.tool === 'npm');
    const [deploy] = frameworkRecords(result);
    expect(npm.map(record => record.argv)).toEqual([['ci'], ['run', 'test']]);
    for (const record of [...npm, deploy]) expect(record.env.GIT_CONFIG_VALUE_1).toBeUndefined();
    for (const record of npm) expect(record.env.AWS_ACCESS_KEY_ID).toBeUndefined();
    expect(deploy.env).toMatchObject({
      AWS_ACCESS_KEY_ID: FAKE_ROLE_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: FAKE_ROLE_CREDENTIALS.secretAccessKey,
      AWS_REGION: 'eu-west-1',
      MY_SECRET: secret,
    });
  });

  test('a secret too short to mask is named in a warning, its value is not printed', () => {
    expect(result.lines).toContain('warning: secret SHORT is shorter than 4 characters and is not masked in the log');
  });
});
