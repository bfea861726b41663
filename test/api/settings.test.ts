import { Harness, WEB, admin, apiHarness, deployer, sha, viewer } from './harness';
import { EnvironmentView, routePush } from '../../src/runtime/core';
import { appConfig, envConfig } from '../store/fixtures';

describe('PUT settings', () => {
  let h: Harness;

  beforeEach(async () => {
    h = await apiHarness();
  });

  const put = (body: unknown, env = 'dev', principal = admin) => h.call('PUT', `/api/apps/web/environments/${env}/settings`, { principal, body });
  const reasonOf = async (body: unknown, env = 'dev') => {
    const response = await put(body, env);
    expect(response.status).toBe(400);
    expect(response.json.error).toBe('invalid_input');
    return response.json.reason as string;
  };

  test('overrides win: the response, the builder, push routing and deploy all see the dashboard values', async () => {
    const response = await put({ branch: 'release/2', runTests: false, testCommand: ['make', 'check'], variables: { LOG_LEVEL: 'info', FEATURE_X: 'on' } });
    expect(response.status).toBe(200);
    const view = response.json as EnvironmentView;
    expect(view).toMatchObject({
      name: 'dev',
      branch: 'release/2',
      runTests: false,
      testCommand: ['make', 'check'],
      variables: { LOG_LEVEL: 'info', FEATURE_X: 'on' },
      sources: { branch: 'dashboard', runTests: 'dashboard', testCommand: 'dashboard', variables: 'dashboard' },
      allowed: { settings: true },
    });

    // What the builder reads.
    const app = await h.store.config.getApplication('web');
    expect(app?.environments[0]).toMatchObject({ branch: 'release/2', runTests: false, testCommand: ['make', 'check'], variables: { LOG_LEVEL: 'info', FEATURE_X: 'on' } });
    // Push routing follows the dashboard branch.
    const push = (branch: string) => routePush([app!], { repository: 'acme/web', ref: `refs/heads/${branch}`, deleted: false, headCommit: sha(1) });
    expect(push('release/2').targets).toEqual([{ application: 'web', environment: 'dev', branch: 'release/2', commit: sha(1) }]);
    expect(push('main').targets).toEqual([]);
    // A manual deploy too.
    h.commits.push('acme/web', 'release/2', { sha: sha(2) });
    expect((await h.call('POST', '/api/apps/web/environments/dev/deploy', { principal: deployer })).json).toMatchObject({ branch: 'release/2', commit: sha(2) });
  });

  test('the precedence rule: code value, dashboard override wins, clearing returns to the code value, config sync keeps the override', async () => {
    const dev = async () => (await h.call('GET', '/api/apps/web', { principal: admin })).json.environments[0] as EnvironmentView;
    // 1. The code's values.
    expect(await dev()).toMatchObject({ branch: 'main', runTests: true, variables: { LOG_LEVEL: 'debug' }, sources: { branch: 'code', runTests: 'code', variables: 'code' } });

    // 2. A dashboard override wins.
    await put({ branch: 'hotfix', runTests: false, variables: { LOG_LEVEL: 'info' } });
    expect(await dev()).toMatchObject({ branch: 'hotfix', runTests: false, variables: { LOG_LEVEL: 'info' }, sources: { branch: 'dashboard', runTests: 'dashboard', variables: 'dashboard' } });

    // 3. Config sync from code (new code values) keeps the overrides, which still win.
    const changed = appConfig('web', [
      envConfig('dev', { kind: 'development', branch: 'trunk', autoDeploy: true, runTests: true, testCommand: ['npm', 'run', 'ci'], variables: { LOG_LEVEL: 'warn', REGION_HINT: 'eu' } }),
      ...WEB.environments.slice(1),
    ]);
    await h.store.config.syncApplications([changed]);
    expect(await dev()).toMatchObject({
      branch: 'hotfix',
      runTests: false,
      testCommand: ['npm', 'run', 'ci'], // not overridden: the new code value
      variables: { LOG_LEVEL: 'info', REGION_HINT: 'eu' },
      sources: { branch: 'dashboard', runTests: 'dashboard', testCommand: 'code', variables: 'dashboard' },
    });

    // 4. Clearing returns to the code's (latest) value.
    const cleared = await put({ branch: null, runTests: null, variables: { LOG_LEVEL: null } });
    expect(cleared.json).toMatchObject({ branch: 'trunk', runTests: true, variables: { LOG_LEVEL: 'warn', REGION_HINT: 'eu' }, sources: { branch: 'code', runTests: 'code', testCommand: 'code', variables: 'code' } });
    expect(await dev()).toEqual(cleared.json);
    expect((await h.store.config.getEnvironment('web', 'dev'))?.overrides).toBeUndefined();
  });

  test('only the fields given change; a dashboard-only variable is deleted by null', async () => {
    await put({ runTests: false, variables: { EXTRA: '1', MORE: '2' } });
    const response = await put({ variables: { EXTRA: null } });
    expect(response.json).toMatchObject({ runTests: false, variables: { LOG_LEVEL: 'debug', MORE: '2' }, sources: { runTests: 'dashboard', variables: 'dashboard' } });
    expect(response.json.variables).not.toHaveProperty('EXTRA');
    expect((await put({})).json).toEqual(response.json);
  });

  test('secrets are written to the environment secret and shown as names only', async () => {
    const response = await put({ secrets: { STRIPE_KEY: 'sk_live_51Habcdef', DB_PASSWORD: 'correct horse battery' } });
    expect(response.status).toBe(200);
    expect(response.json.secrets).toEqual([{ name: 'DB_PASSWORD', set: true }, { name: 'STRIPE_KEY', set: true }]);
    expect(h.secrets.value('trellis/acme/web/dev')).toEqual({ STRIPE_KEY: 'sk_live_51Habcdef', DB_PASSWORD: 'correct horse battery' });
    expect((await h.store.config.getEnvironment('web', 'dev'))?.overrides).toBeUndefined(); // secrets are not overrides

    const deleted = await put({ secrets: { STRIPE_KEY: null } });
    expect(deleted.json.secrets).toEqual([{ name: 'DB_PASSWORD', set: true }]);
    expect(h.secrets.value('trellis/acme/web/dev')).toEqual({ DB_PASSWORD: 'correct horse battery' });
    expect(h.logs).toContainEqual(expect.objectContaining({ message: 'settings changed', secrets: ['STRIPE_KEY'], actor: 'ada' }));
  });

  test('a secret value never appears in any response or log line', async () => {
    const SECRET = 'pk_9f3b1c7e2a-do-not-leak';
    const current = await h.finished('web', 'dev', 'succeeded', { commit: sha(1) });
    await h.setCurrent('web', 'dev', current);
    const older = await h.finished('web', 'dev', 'succeeded', { commit: sha(2) });
    h.commits.push('acme/web', 'main', { sha: sha(3) });

    await put({ secrets: { PAYMENT_KEY: SECRET }, variables: { PUBLIC_URL: 'https://example.com' } });
    await put({ secrets: { OTHER: `${SECRET}-2` } }, 'staging');
    // Invalid requests that carry the value must not echo it either.
    await put({ secrets: { PAYMENT_KEY: SECRET }, bogus: SECRET });
    await put({ secrets: { PUBLIC_URL: SECRET } });
    await put({ secrets: { 'bad name': SECRET } });
    await put(`{"secrets": {"PAYMENT_KEY": "${SECRET}"`); // invalid JSON
    await h.call('PUT', '/api/apps/web/environments/dev/settings', { principal: viewer, body: { secrets: { PAYMENT_KEY: SECRET } } });

    const { json: deployment } = await h.call('POST', '/api/apps/web/environments/dev/deploy', { principal: admin });
    for (const principal of [viewer, admin]) {
      await h.call('GET', '/api/me', { principal });
      await h.call('GET', '/api/apps', { principal });
      await h.call('GET', '/api/apps/web', { principal });
      await h.call('GET', '/api/apps/web/environments/dev/deployments', { principal });
      await h.call('GET', `/api/deployments/${deployment.id}`, { principal });
      await h.call('GET', `/api/deployments/${deployment.id}/logs`, { principal });
    }
    await h.call('POST', '/api/apps/web/environments/dev/promote', { principal: admin });
    await h.call('POST', '/api/apps/web/environments/dev/rollback', { principal: admin, body: { deploymentId: older.id } });
    await h.call('POST', '/api/apps/web/environments/staging/teardown', { principal: admin, body: { confirm: 'staging' } });
    await h.call('POST', `/api/deployments/${deployment.id}/cancel`, { principal: admin });
    await put({ runTests: false });

    expect(h.responses.length).toBeGreaterThan(20);
    for (const response of h.responses) expect(response.text).not.toContain(SECRET);
    for (const entry of h.logs) expect(JSON.stringify(entry)).not.toContain(SECRET);
    // It is where the builder reads it.
    expect(h.secrets.value('trellis/acme/web/dev').PAYMENT_KEY).toBe(SECRET);
    expect((await h.call('GET', '/api/apps/web', { principal: admin })).json.environments[0].secrets).toEqual([{ name: 'PAYMENT_KEY', set: true }]);
  });

  test('an empty testCommand is "auto" (the package\'s test script, if any): accepted as an override', async () => {
    expect((await put({ testCommand: [] })).status).toBe(200);
    expect((await h.store.config.getEnvironment('web', 'dev'))?.overrides).toEqual({ testCommand: [] });
  });

  describe('invalid bodies: 400 with a reason naming the field, nothing changed', () => {
    afterEach(async () => {
      expect((await h.store.config.getEnvironment('web', 'dev'))?.overrides).toBeUndefined();
      expect(h.secrets.secrets.size).toBe(0);
    });

    test('unknown fields are named', async () => {
      expect(await reasonOf({ branch: 'main', autoDeploy: false, protected: false }))
        .toBe('autoDeploy: is not a known field; the fields are branch, runTests, testCommand, variables, secrets\nprotected: is not a known field; the fields are branch, runTests, testCommand, variables, secrets');
    });

    test('a misspelt field is named with the field it was meant to be; variable and secret names are the user\'s', async () => {
      expect(await reasonOf({ runtests: false })).toBe('runtests: is not a known field; did you mean `runTests`?');
      expect(await reasonOf({ testComand: ['make', 'check'] })).toBe('testComand: is not a known field; did you mean `testCommand`?');
      expect(await reasonOf({ branch: 'main', Variables: { A: '1' }, secret: { B: '2' } }))
        .toBe('Variables: is not a known field; did you mean `variables`?\nsecret: is not a known field; did you mean `secrets`?');
      expect(await reasonOf({ brnch: 'main' })).toBe('brnch: is not a known field; did you mean `branch`?');
      // Names inside variables and secrets are not fields: any valid name is taken.
      const response = await put({ variables: { runtests: 'x', testComand: 'y' } });
      expect(response.status).toBe(200);
      await put({ variables: { runtests: null, testComand: null } });
    });

    test('types', async () => {
      expect(await reasonOf({ branch: 7 })).toBe('branch: must be a branch name, or null to return to the value from code');
      expect(await reasonOf({ runTests: 'yes' })).toBe('runTests: must be true or false, or null to return to the value from code');
      expect(await reasonOf({ testCommand: 'npm test' })).toMatch(/^testCommand: must be an argument vector/);
      expect(await reasonOf({ testCommand: ['npm', 1] })).toMatch(/^testCommand: must be an argument vector/);
      expect(await reasonOf({ variables: ['A'] })).toBe('variables: must be an object of NAME: value pairs');
      expect(await reasonOf({ variables: { A: 1 } })).toBe('variables.A: must be a string, or null to remove the dashboard value');
      expect(await reasonOf({ secrets: { A: true } })).toBe('secrets.A: must be a string, or null to delete the secret');
      expect(await reasonOf([])).toBe('body: must be a JSON object');
      expect(await reasonOf('{"branch": ')).toBe('body: is not valid JSON');
    });

    test('branch names follow git', async () => {
      expect(await reasonOf({ branch: 'feature//x' })).toBe("branch: branch 'feature//x' has an empty path component");
      expect(await reasonOf({ branch: 'a b' })).toMatch(/^branch: branch 'a b' contains a space/);
      expect(await reasonOf({ branch: '' })).toBe("branch: branch '' is empty");
    });

    test('testCommand: an argument vector of at most 64 non-empty arguments without NUL (an empty one is "auto")', async () => {
      expect(await reasonOf({ testCommand: Array.from({ length: 65 }, () => 'x') })).toBe('testCommand: must have 1 to 64 arguments');
      expect(await reasonOf({ testCommand: ['npm', 'te\0st'] })).toMatch(/^testCommand: arguments must be non-empty, at most 1024 characters and contain no NUL/);
    });

    test('variable and secret names and values', async () => {
      expect(await reasonOf({ variables: { '1ABC': 'x' } })).toMatch(/^variables\.1ABC: '1ABC' must be a variable name/);
      expect(await reasonOf({ variables: { AWS_REGION: 'x' } })).toBe('variables.AWS_REGION: names starting with TRELLIS_ or AWS_ are reserved for the builder');
      expect(await reasonOf({ variables: { BIG: 'x'.repeat(4097) } })).toBe('variables.BIG: value must be a string of at most 4096 characters without NUL');
      expect(await reasonOf({ secrets: { 'MY-KEY': 'x' } })).toMatch(/^secrets\.MY-KEY: 'MY-KEY' must be a variable name/);
      expect(await reasonOf({ secrets: { TRELLIS_TOKEN: 'x' } })).toBe('secrets.TRELLIS_TOKEN: names starting with TRELLIS_ or AWS_ are reserved for the builder');
      expect(await reasonOf({ secrets: { BIG: 'x'.repeat(4097) } })).toBe('secrets.BIG: value must be a string of at most 4096 characters without NUL');
    });

    test('at most 100 entries', async () => {
      const many = Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`V${i}`, 'x']));
      expect(await reasonOf({ variables: many })).toBe('variables: has 101 entries; at most 100 per request');
      expect(await reasonOf({ secrets: many })).toBe('secrets: has 101 entries; at most 100 per request');
    });

    test('a branch that would make two environments deploy one push', async () => {
      // dev deploys main on push; staging does not deploy on push, so it may track main too.
      expect((await put({ branch: 'main' }, 'staging')).status).toBe(200);
      await h.store.config.setOverrides('web', 'staging', {});
      await h.store.config.syncApplications([appConfig('web', [WEB.environments[0], { ...WEB.environments[1], branch: 'develop', autoDeploy: true }, WEB.environments[2]])]);
      expect(await reasonOf({ branch: 'main' }, 'staging')).toMatch(/^branch: environments\[0\] already deploys branch 'main' automatically; one push would race two environments/);
      // The other way round: the environment changed comes first.
      expect(await reasonOf({ branch: 'develop' }, 'dev'))
        .toMatch(/^branch: staging would race this environment: environments\[0\] already deploys branch 'develop' automatically/);
      await h.store.config.syncApplications([WEB]);
    });

    test('a name is a variable or a secret, not both', async () => {
      expect(await reasonOf({ variables: { KEY: 'a' }, secrets: { KEY: 'b' } }))
        .toBe('variables.KEY: is a secret variable; a name is either a variable or a secret (delete the secret first)\n'
          + 'secrets.KEY: is a (non-secret) variable; a name is either a variable or a secret (remove the variable first)');
      // LOG_LEVEL is a variable from code.
      expect(await reasonOf({ secrets: { LOG_LEVEL: 'x' } })).toMatch(/^secrets\.LOG_LEVEL: is a \(non-secret\) variable/);
    });
  });

  test('a name is a variable or a secret, not both: against what is stored too', async () => {
    await put({ secrets: { TOKEN: 'abcdef' } });
    expect(await reasonOf({ variables: { TOKEN: 'plain' } })).toBe('variables.TOKEN: is a secret variable; a name is either a variable or a secret (delete the secret first)');
    // Moving it: delete the secret and set the variable in one request.
    expect((await put({ variables: { TOKEN: 'plain' }, secrets: { TOKEN: null } })).json).toMatchObject({ variables: { TOKEN: 'plain' }, secrets: [] });
    // And back.
    expect((await put({ variables: { TOKEN: null }, secrets: { TOKEN: 'abcdef' } })).json).toMatchObject({ secrets: [{ name: 'TOKEN', set: true }] });
  });

  test('at most 100 dashboard variables and 100 secrets in total', async () => {
    const batch = (prefix: string, from: number, count: number) => Object.fromEntries(Array.from({ length: count }, (_, i) => [`${prefix}${from + i}`, 'x']));
    expect((await put({ variables: batch('V', 0, 60) })).status).toBe(200);
    expect(await reasonOf({ variables: batch('V', 60, 41) })).toBe('variables: would make 101 dashboard variables; at most 100');
    expect((await put({ variables: batch('V', 60, 40) })).status).toBe(200);
    expect((await put({ secrets: batch('S', 0, 60) })).status).toBe(200);
    expect(await reasonOf({ secrets: batch('S', 60, 41) })).toBe('secrets: would make 101 secret variables; at most 100');
  });

  test('Secrets Manager refusing the write changes nothing else: 500', async () => {
    h.secrets.failNext = 'AccessDeniedException';
    const response = await put({ runTests: false, secrets: { KEY: 'value-1234' } });
    expect(response).toMatchObject({ status: 500, json: { error: 'internal_error' } });
    expect((await h.store.config.getEnvironment('web', 'dev'))?.runTests).toBe(true);
  });

  test('an environment that does not exist: 404', async () => {
    expect(await put({ runTests: false }, 'qa')).toMatchObject({ status: 404, json: { reason: 'environment web/qa does not exist' } });
  });
});
