import { Harness, admin, apiHarness, deployer, sha } from './harness';
import { Principal } from '../../src/runtime/core';
import { GitHubConnection } from '../../src/runtime/core/github';
import { finalizeTask } from '../../src/runtime/deployments/finalize';
import { launchQueued } from '../../src/runtime/deployments/launch';
import { FakeTaskRunner, taskArn } from '../deployments/fake-task-runner';

const SECRET = 's3cret-value-that-never-leaves';
const shopAdmin: Principal = { subject: 'sub-sal', name: 'sal', grants: [{ application: 'shop', role: 'admin' }] };

/** Only installedRepositories is asked for by these routes. */
function gitHubWith(repositories: string[]): GitHubConnection {
  const app = { installedRepositories: async () => repositories.map(fullName => ({ fullName, private: true, defaultBranch: 'main' })) };
  return { app: async () => app } as unknown as GitHubConnection;
}

describe('applications and environments from the dashboard', () => {
  let h: Harness;
  const post = (path: string, body: unknown, principal = admin) => h.call('POST', path, { principal, body });
  const remove = (path: string, confirm: unknown, principal = admin) => h.call('DELETE', path, { principal, body: { confirm } });
  const createShop = (body: Record<string, unknown> = {}) => post('/api/apps', { name: 'shop', repository: 'acme/shop', ...body });
  /** The issues of a 400, as path → message. */
  const issuesOf = (response: { status: number; json: { reason: string } }) => {
    expect(response.status).toBe(400);
    return Object.fromEntries(response.json.reason.split('\n').map(line => [line.slice(0, line.indexOf(': ')), line.slice(line.indexOf(': ') + 2)]));
  };

  beforeEach(async () => {
    h = await apiHarness();
  });

  describe('creating', () => {
    test('an application gets development (dev, branch main), staging and production by default; it is listed as dashboard-made', async () => {
      const created = await createShop();
      expect(created.status).toBe(201);
      expect(created.json).toMatchObject({ name: 'shop', repository: 'acme/shop', origin: 'dashboard' });
      expect(created.json.environments.map((env: any) => [env.name, env.kind, env.branch, env.autoDeploy, env.protected, env.position])).toEqual([
        ['dev', 'development', 'main', true, false, 0],
        ['staging', 'staging', undefined, false, false, 1],
        ['production', 'production', undefined, false, true, 2],
      ]);
      const apps = await h.call('GET', '/api/apps', { principal: admin });
      expect(apps.json.items.map((app: any) => [app.name, app.origin])).toEqual([['api', 'code'], ['shop', 'dashboard'], ['web', 'code']]);
      expect(h.logs).toContainEqual(expect.objectContaining({ message: 'application created', application: 'shop', actor: 'ada' }));
    });

    test('with its own environments, their kind defaults filled in as the construct does', async () => {
      const created = await createShop({ environments: [{ kind: 'development', branch: 'trunk' }, { name: 'qa', kind: 'custom', branch: 'qa', autoDeploy: true }, { kind: 'production', region: 'eu-west-1' }] });
      expect(created.status).toBe(201);
      expect(created.json.environments.map((env: any) => [env.name, env.branch, env.autoDeploy, env.runTests, env.region])).toEqual([
        ['dev', 'trunk', true, true, undefined],
        ['qa', 'qa', true, true, undefined],
        ['production', undefined, false, false, 'eu-west-1'],
      ]);
    });

    test('every field is checked by the construct\'s rules, each issue naming its field', async () => {
      expect(issuesOf(await post('/api/apps', { name: 'Shop!', repository: 'https://github.com/acme/shop' }))).toEqual({
        name: expect.stringMatching(/'Shop!' must be 1-40 lowercase letters/),
        repository: expect.stringMatching(/must be a GitHub repository as 'owner\/repo'/),
      });
      expect(issuesOf(await post('/api/apps', { repository: 'acme/shop' }))).toEqual({ name: 'must be a string' });
      expect(issuesOf(await post('/api/apps', { name: 'shop', repo: 'acme/shop' }))).toEqual({
        repo: 'is not a known field; did you mean `repository`?',
      });
      expect(issuesOf(await createShop({ environments: 'dev' }))).toEqual({ environments: 'must be a list of environments' });
      expect(issuesOf(await createShop({ environments: [] }))).toEqual({ environments: 'an application needs at least one environment' });
      expect(issuesOf(await createShop({ environments: [{ kind: 'development', brnach: 'main' }, { kind: 'staging', secrets: { A: 'b' } }] }))).toEqual({
        'environments[0].brnach': 'is not a known field; did you mean `branch`?',
        'environments[1].secrets': expect.stringMatching(/^is not a known field/),
      });
      expect(issuesOf(await createShop({
        environments: [
          { name: 'Dev', kind: 'dev', branch: 'a..b', runTests: 'yes', testCommand: 'npm test' },
          { name: 'qa', kind: 'custom', region: 'europe', account: '12', deployRoleArn: 'admin', variables: { '1BAD': 'x', 'AWS_REGION': 'y' } },
          { kind: 'production', autoDeploy: true, branch: 'main' },
          { name: 'qa', kind: 'custom' },
        ],
      }))).toEqual({
        'environments[0].kind': 'must be one of development, staging, production, custom',
        'environments[0].runTests': 'must be true or false',
        'environments[0].testCommand': 'must be a list of strings (an argument vector)',
      });
      expect(issuesOf(await createShop({
        environments: [
          { name: 'Dev', kind: 'custom', branch: 'a..b' },
          { name: 'qa', kind: 'custom', region: 'europe', account: '12', deployRoleArn: 'admin', variables: { '1BAD': 'x', 'AWS_REGION': 'y' } },
          { kind: 'production', autoDeploy: true, branch: 'main' },
          { name: 'qa', kind: 'custom' },
        ],
      }))).toEqual({
        'environments[0].name': expect.stringMatching(/'Dev' must be 1-32 lowercase/),
        'environments[0].branch': "branch 'a..b' contains '..' or '@{'",
        'environments[1].region': expect.stringMatching(/not an AWS region name/),
        'environments[1].account': expect.stringMatching(/12-digit AWS account id/),
        'environments[1].deployRoleArn': expect.stringMatching(/must be an IAM role ARN/),
        'environments[1].variables.1BAD': expect.stringMatching(/must be a variable name/),
        'environments[1].variables.AWS_REGION': expect.stringMatching(/reserved for the builder/),
        'environments[2].autoDeploy': expect.stringMatching(/production never deploys on push/),
        'environments[3].name': expect.stringMatching(/already used by environments\[1\]/),
      });
      expect(await h.store.config.getApplication('shop')).toBeUndefined();
    });

    test('with a GitHub App, the repository must be one it is installed on; without one, any owner/repo', async () => {
      Object.assign(h.deps, { github: gitHubWith(['acme/web', 'Acme/Shop']) });
      const refused = await post('/api/apps', { name: 'other', repository: 'acme/other' });
      expect(issuesOf(refused)).toEqual({ repository: expect.stringMatching(/the GitHub App is not installed on 'acme\/other': install the App on it/) });
      expect((await createShop()).status).toBe(201); // GitHub's names are case-insensitive

      Object.assign(h.deps, { github: { app: async () => undefined } });
      expect((await post('/api/apps', { name: 'other', repository: 'acme/other' })).status).toBe(201);
    });

    test('a name in use, by a dashboard-made or a code-defined application, is a 409', async () => {
      await createShop();
      const again = await createShop({ repository: 'acme/elsewhere' });
      expect(again.status).toBe(409);
      expect(again.json.reason).toBe('application shop exists');
      expect((await post('/api/apps', { name: 'web', repository: 'acme/web' })).status).toBe(409);
      expect((await h.store.config.getApplication('shop'))?.repository).toBe('acme/shop');
      expect((await h.store.config.getApplication('web'))?.origin).toBeUndefined();
    });

    test('only an admin of all applications creates one; only an admin of the application adds or deletes', async () => {
      const refused = await createShop({}).then(() => post('/api/apps', { name: 'other', repository: 'acme/other' }, deployer));
      expect(refused.status).toBe(403);
      expect(refused.json.reason).toBe('creating an application needs the admin role on all applications');
      expect((await post('/api/apps', { name: 'other', repository: 'acme/other' }, shopAdmin)).status).toBe(403);

      const adding = await post('/api/apps/shop/environments', { name: 'qa', kind: 'custom' }, deployer);
      expect(adding.json).toEqual({ error: 'forbidden', reason: 'adding an environment needs the admin role on application shop' });
      expect((await remove('/api/apps/shop/environments/dev', 'dev', deployer)).json.reason).toBe('deleting an environment needs the admin role on application shop');
      expect((await remove('/api/apps/shop', 'shop', deployer)).json.reason).toBe('deleting an application needs the admin role on application shop');
      expect((await h.store.config.getApplication('shop'))?.environments).toHaveLength(3);

      expect((await post('/api/apps/shop/environments', { name: 'qa', kind: 'custom' }, shopAdmin)).status).toBe(201);
    });
  });

  describe('adding an environment', () => {
    beforeEach(async () => {
      await createShop();
    });

    test('it comes last in the promotion order with every field as given; secrets go to the secret store and only their names come back', async () => {
      const added = await post('/api/apps/shop/environments', {
        name: 'qa',
        kind: 'custom',
        branch: 'qa',
        autoDeploy: true,
        runTests: true,
        testCommand: ['make', 'check'],
        variables: { LOG_LEVEL: 'debug' },
        secrets: { API_TOKEN: SECRET },
        region: 'eu-west-1',
        account: '111122223333',
        deployRoleArn: 'arn:aws:iam::111122223333:role/deploy',
      });
      expect(added.status).toBe(201);
      expect(added.json).toMatchObject({
        name: 'qa',
        kind: 'custom',
        position: 3,
        branch: 'qa',
        autoDeploy: true,
        runTests: true,
        testCommand: ['make', 'check'],
        variables: { LOG_LEVEL: 'debug' },
        secrets: [{ name: 'API_TOKEN', set: true }],
        region: 'eu-west-1',
        account: '111122223333',
      });
      expect(await h.store.config.getEnvironment('shop', 'qa')).toMatchObject({ deployRoleArn: 'arn:aws:iam::111122223333:role/deploy', position: 3 });
      expect(h.secrets.value(h.secretName('shop', 'qa'))).toEqual({ API_TOKEN: SECRET });

      const read = await h.call('GET', '/api/apps/shop', { principal: admin });
      expect(read.json.environments.map((env: any) => env.name)).toEqual(['dev', 'staging', 'production', 'qa']);
      for (const text of [added.text, read.text, JSON.stringify(h.logs), JSON.stringify(await h.store.config.getApplication('shop'))]) {
        expect(text).not.toContain(SECRET);
      }
    });

    test('how it deploys is set as in code: custom commands as argument vectors, a health check with the construct\'s defaults', async () => {
      const added = await post('/api/apps/shop/environments', {
        name: 'qa',
        kind: 'custom',
        framework: { kind: 'custom', deploy: ['npm', 'run', 'deploy'], remove: ['npm', 'run', 'remove'] },
        rootDirectory: 'packages/api',
        healthCheck: { url: 'https://qa.example.com/health' },
      });
      expect(added.status).toBe(201);
      expect(await h.store.config.getEnvironment('shop', 'qa')).toMatchObject({
        framework: { kind: 'custom', deploy: ['npm', 'run', 'deploy'], remove: ['npm', 'run', 'remove'] },
        rootDirectory: 'packages/api',
        healthCheck: { url: 'https://qa.example.com/health', minStatus: 200, maxStatus: 399 },
      });
      expect(issuesOf(await post('/api/apps/shop/environments', { name: 'qa2', kind: 'custom', framework: { kind: 'custom', deploy: 'npm run deploy' } })))
        .toEqual({ 'framework.deploy': expect.stringMatching(/list|array|vector/) });
      expect(issuesOf(await post('/api/apps/shop/environments', { name: 'qa2', kind: 'custom', framework: { kind: 'custom', deply: ['x'] } })))
        .toEqual({ 'framework.deply': expect.stringMatching(/deploy/) });
    });

    test('a new environment does not inherit the secrets of an earlier one of its name', async () => {
      await h.secrets.update(h.secretName('shop', 'qa'), { OLD: 'left over' });
      const added = await post('/api/apps/shop/environments', { name: 'qa', kind: 'custom', secrets: { NEW: 'n' } });
      expect(added.json.secrets).toEqual([{ name: 'NEW', set: true }]);
      expect(h.secrets.value(h.secretName('shop', 'qa'))).toEqual({ NEW: 'n' });
    });

    test('every field is checked, each issue naming its field; a branch two environments would deploy on push is refused', async () => {
      const issues = issuesOf(await post('/api/apps/shop/environments', {
        name: 'QA',
        kind: 'custom',
        branch: 'no spaces',
        region: 'mars',
        account: 'x',
        deployRoleArn: 'y',
        variables: { 'BAD-NAME': 'v' },
        secrets: { TRELLIS_X: 'v', OK: 3 },
      }));
      expect(issues).toEqual({
        'name': expect.stringMatching(/'QA' must be/),
        'branch': expect.stringMatching(/contains a space/),
        'region': expect.stringMatching(/not an AWS region/),
        'account': expect.stringMatching(/12-digit/),
        'deployRoleArn': expect.stringMatching(/IAM role ARN/),
        'variables.BAD-NAME': expect.stringMatching(/must be a variable name/),
        'secrets.OK': expect.stringMatching(/must be a string/),
      });
      expect(issuesOf(await post('/api/apps/shop/environments', { name: 'qa', kind: 'custom', secrets: { TRELLIS_X: 'v' } }))).toEqual({
        'secrets.TRELLIS_X': expect.stringMatching(/reserved for the builder/),
      });
      expect(issuesOf(await post('/api/apps/shop/environments', { name: 'qa', kind: 'custom', variables: { A: '1' }, secrets: { A: '2' } }))).toEqual({
        'secrets.A': 'is also a variable; a name is either a variable or a secret',
      });
      expect(issuesOf(await post('/api/apps/shop/environments', { name: 'qa', kind: 'staging', autoDeploy: 'yes', testComand: ['x'] }))).toEqual({
        testComand: 'is not a known field; did you mean `testCommand`?',
      });
      expect(issuesOf(await post('/api/apps/shop/environments', { name: 'qa', kind: 'custom', branch: 'main', autoDeploy: true }))).toEqual({
        branch: expect.stringMatching(/already deploys branch 'main' automatically/),
      });
      expect(issuesOf(await post('/api/apps/shop/environments', { kind: 'custom' }))).toEqual({ name: 'must be a string' });
      expect((await h.store.config.listEnvironments('shop')).map(env => env.name)).toEqual(['dev', 'staging', 'production']);
      expect(h.secrets.secrets.size).toBe(0);
    });

    test('a name in use is a 409; so is an application defined in code, naming why', async () => {
      const duplicate = await post('/api/apps/shop/environments', { name: 'staging', kind: 'custom' });
      expect(duplicate.status).toBe(409);
      expect(duplicate.json.reason).toBe('environment shop/staging exists');

      const code = await post('/api/apps/web/environments', { name: 'qa', kind: 'custom' });
      expect(code.status).toBe(409);
      expect(code.json.reason).toBe('no environment can be added here: application web is defined in code (TrellisPipeline applications): change it there');
      expect(await h.store.config.getEnvironment('web', 'qa')).toBeUndefined();
      expect((await post('/api/apps/nope/environments', { name: 'qa', kind: 'custom' })).status).toBe(404);
    });
  });

  describe('deleting', () => {
    const runner = new FakeTaskRunner();
    const build = () => ({ store: h.store, runner, clock: h.deps.clock, log: (entry: Record<string, unknown>) => h.logs.push(entry) });

    /** The teardown runs and its task stops with `exitCode`, as the finalizer is told. */
    async function runTeardown(id: string, exitCode: number) {
      expect(await launchQueued(id, build())).toMatchObject({ outcome: 'started' });
      return finalizeTask({ deploymentId: id, taskId: taskArn(id), exitCode }, build());
    }

    async function deployedShop() {
      await createShop();
      const deployed = await h.finished('shop', 'dev', 'succeeded', { commit: sha(7) });
      await h.setCurrent('shop', 'dev', deployed);
      return deployed;
    }

    test('the name must be typed again', async () => {
      await createShop();
      expect(issuesOf(await remove('/api/apps/shop', 'shp'))).toEqual({ confirm: expect.stringMatching(/must be the application's name \('shop'\), typed again/) });
      expect(issuesOf(await h.call('DELETE', '/api/apps/shop/environments/dev', { principal: admin }))).toEqual({ confirm: 'is required' });
      expect(issuesOf(await remove('/api/apps/shop/environments/dev', 'dev', admin).then(() => remove('/api/apps/shop/environments/staging', 'dev')))).toEqual({
        confirm: expect.stringMatching(/must be the environment's name \('staging'\)/),
      });
      expect((await h.store.config.listEnvironments('shop')).map(env => env.name)).toEqual(['staging', 'production']);
    });

    test('nothing deployed: deleted at once (200), no teardown', async () => {
      await createShop();
      const env = await remove('/api/apps/shop/environments/staging', 'staging');
      expect(env.status).toBe(200);
      expect(env.json).toEqual({ status: 'deleted', teardowns: [] });
      expect((await h.store.config.listEnvironments('shop')).map(e => e.name)).toEqual(['dev', 'production']);

      const app = await remove('/api/apps/shop', 'shop');
      expect(app.json).toEqual({ status: 'deleted', teardowns: [] });
      expect((await h.call('GET', '/api/apps/shop', { principal: admin })).status).toBe(404);
      expect(await h.store.config.listEnvironments('shop')).toEqual([]);
      expect(h.queue.sent).toEqual([]);
    });

    test('the only environment goes with its application', async () => {
      await post('/api/apps', { name: 'solo', repository: 'acme/solo', environments: [{ kind: 'development' }] });
      const refused = await remove('/api/apps/solo/environments/dev', 'dev');
      expect(refused.status).toBe(409);
      expect(refused.json.reason).toBe('dev is the only environment of solo: delete the application instead');
    });

    test('code-defined applications and their environments are not deleted here: 409 naming why', async () => {
      const app = await remove('/api/apps/web', 'web');
      expect(app.status).toBe(409);
      expect(app.json.reason).toBe('it cannot be deleted here: application web is defined in code (TrellisPipeline applications): change it there');
      const env = await remove('/api/apps/web/environments/dev', 'dev');
      expect(env.json.reason).toBe('web/dev cannot be deleted here: application web is defined in code (TrellisPipeline applications): change it there');
      expect((await h.store.config.listEnvironments('web')).map(e => e.name)).toEqual(['dev', 'staging', 'prod']);
      expect(h.queue.sent).toEqual([]);
    });

    test('an application with a deployed environment: 202 with the teardown; nothing else deploys meanwhile; it goes when the teardown succeeded, history kept', async () => {
      const deployed = await deployedShop();
      const response = await remove('/api/apps/shop', 'shop');
      expect(response.status).toBe(202);
      expect(response.json).toEqual({ status: 'tearing-down', teardowns: [expect.any(String)] });
      const [teardownId] = response.json.teardowns;
      expect(await h.store.deployments.get(teardownId)).toMatchObject({ action: 'teardown', environment: 'dev', commit: sha(7), status: 'queued', repository: 'acme/shop' });
      expect(h.queue.sent).toEqual([{ deploymentId: teardownId }]);

      const view = await h.call('GET', '/api/apps/shop', { principal: admin });
      expect(view.json.deleting).toMatchObject({ requestedBy: 'ada' });
      expect(view.json.environments.map((env: any) => [env.name, env.deleting?.teardownId])).toEqual([['dev', teardownId], ['staging', undefined], ['production', undefined]]);
      expect(view.json.environments.every((env: any) => env.deleting)).toBe(true);
      h.commits.push('acme/shop', 'main', { sha: sha(8) });
      const deploy = await post('/api/apps/shop/environments/dev/deploy', {});
      expect(deploy.status).toBe(409);
      expect(deploy.json.reason).toBe('environment shop/dev is being deleted');
      expect((await post('/api/apps/shop/environments', { name: 'qa', kind: 'custom' })).json.reason).toBe('application shop is being deleted');

      expect(await runTeardown(teardownId, 0)).toMatchObject({ status: 'succeeded' });
      expect(await h.store.config.getApplication('shop')).toBeUndefined();
      expect(await h.store.config.listEnvironments('shop')).toEqual([]);
      expect((await h.store.deployments.listByEnvironment('shop', 'dev')).items.map(d => d.id)).toEqual([teardownId, deployed.id]);
      expect(h.logs).toContainEqual(expect.objectContaining({ message: 'application deleted after its teardowns', application: 'shop' }));
    });

    test('a failed teardown leaves the environment marked, with the reason shown; deleting again retries, and its success deletes it', async () => {
      await deployedShop();
      const first = await remove('/api/apps/shop/environments/dev', 'dev');
      expect(first.status).toBe(202);
      const [failing] = first.json.teardowns;
      // Asked again while it runs: the same teardown.
      expect((await remove('/api/apps/shop/environments/dev', 'dev')).json.teardowns).toEqual([failing]);

      expect(await runTeardown(failing, 1)).toMatchObject({ status: 'failed' });
      const env = await h.store.config.getEnvironment('shop', 'dev');
      expect(env).toMatchObject({ deleting: { teardownId: failing }, currentCommit: sha(7) });
      const view = await h.call('GET', '/api/apps/shop', { principal: admin });
      expect(view.json.environments[0].deleting).toMatchObject({ teardownId: failing, failure: 'the teardown failed: the builder exited with code 1' });

      const retry = await remove('/api/apps/shop/environments/dev', 'dev');
      expect(retry.status).toBe(202);
      const [again] = retry.json.teardowns;
      expect(again).not.toBe(failing);
      expect(await runTeardown(again, 0)).toMatchObject({ status: 'succeeded' });
      expect(await h.store.config.getEnvironment('shop', 'dev')).toBeUndefined();
      // Only the environment: the application stays, with the others.
      expect((await h.store.config.getApplication('shop'))?.environments.map(e => e.name)).toEqual(['staging', 'production']);
    });

    test('a teardown that cannot succeed: deleting with keepDeployed leaves what it deployed running, never while a deployment is under way', async () => {
      await deployedShop();
      const first = await remove('/api/apps/shop', 'shop');
      const [failing] = first.json.teardowns;
      const keep = (confirm: string, keepDeployed: unknown) => h.call('DELETE', '/api/apps/shop', { principal: admin, body: { confirm, keepDeployed } });
      // The teardown still runs: nothing is deleted from under it.
      const busy = await keep('shop', true);
      expect({ status: busy.status, reason: busy.json.reason }).toEqual({ status: 409, reason: expect.stringContaining('a deployment is under way in shop/dev') });
      expect(await runTeardown(failing, 1)).toMatchObject({ status: 'failed' });

      expect(issuesOf(await keep('shop', 'yes'))).toEqual({ keepDeployed: 'must be true or false' });
      expect(issuesOf(await keep('shp', true))).toEqual({ confirm: expect.stringContaining("must be the application's name") });
      const deleted = await keep('shop', true);
      expect({ status: deleted.status, json: deleted.json }).toEqual({ status: 200, json: { status: 'deleted', teardowns: [], leftDeployed: ['dev'] } });
      expect(await h.store.config.getApplication('shop')).toBeUndefined();
      expect(await h.store.config.getEnvironment('shop', 'dev')).toBeUndefined();
      expect(h.logs).toContainEqual(expect.objectContaining({ message: 'deleted without a teardown: what it deployed is left running', leftDeployed: ['dev'] }));
    });

    test('a teardown of an environment not being deleted deletes nothing', async () => {
      await deployedShop();
      const teardown = await post('/api/apps/shop/environments/dev/teardown', { confirm: 'dev' });
      expect(await runTeardown(teardown.json.id, 0)).toMatchObject({ status: 'succeeded' });
      expect(await h.store.config.getEnvironment('shop', 'dev')).toMatchObject({ name: 'dev' });
    });
  });
});
