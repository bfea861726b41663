import { appConfig, depId, envConfig, queuedDeployment as queuedDeploymentOf } from './fixtures';
import { ApplicationConfig, Store } from '../../src/runtime/core';
import { FULL_ENVIRONMENT } from '../core/fixtures';
import { freshStore } from '../support/test-table';

/** Promotion order deliberately differs from the sort-key (alphabetical) order. */
const web = appConfig('web', [
  envConfig('dev', { kind: 'development', branch: 'develop', autoDeploy: true, runTests: true, testCommand: ['npm', 'test'], variables: { LOG_LEVEL: 'debug' } }),
  envConfig('staging', { kind: 'staging', branch: 'main', region: 'eu-west-1' }),
  envConfig('prod', {
    kind: 'production',
    region: 'eu-central-1',
    account: '111122223333',
    deployRoleArn: 'arn:aws:iam::111122223333:role/deploy',
    protected: true,
  }),
]);
const api = appConfig('api', [
  envConfig('qa', { kind: 'custom', branch: 'release/1.x' }),
  envConfig('live', { kind: 'production' }),
]);
/** A name that shares a prefix with `web`: its environments must never show up under `web`. */
const webhooks = appConfig('webhooks', [envConfig('dev', { kind: 'development' })]);

function names(app: ApplicationConfig | undefined): string[] {
  return (app?.environments ?? []).map(env => env.name);
}

describe('DynamoConfigStore', () => {
  let store: Store;

  beforeEach(async () => {
    ({ store } = await freshStore());
  });

  test('an empty table has no applications', async () => {
    expect(await store.config.listApplications()).toEqual([]);
    expect(await store.config.getApplication('web')).toBeUndefined();
    expect(await store.config.listEnvironments('web')).toEqual([]);
    expect(await store.config.getEnvironment('web', 'dev')).toBeUndefined();
  });

  test('sync then listApplications returns every app with its environments in promotion order', async () => {
    await store.config.syncApplications([web, api, webhooks]);

    const apps = await store.config.listApplications();
    expect(apps.map(app => app.name).sort()).toEqual(['api', 'web', 'webhooks']);
    const byName = new Map(apps.map(app => [app.name, app]));
    expect(names(byName.get('web'))).toEqual(['dev', 'staging', 'prod']);
    expect(names(byName.get('api'))).toEqual(['qa', 'live']);
    expect(names(byName.get('webhooks'))).toEqual(['dev']);
    expect(byName.get('web')).toMatchObject(web);
    expect(byName.get('api')).toMatchObject(api);
    expect(byName.get('api')?.repository).toBe('acme/api');
  });

  test('getApplication returns the app with ordered environments and no key attributes', async () => {
    await store.config.syncApplications([web, api, webhooks]);

    const app = await store.config.getApplication('web');
    expect(app).toMatchObject(web);
    expect(names(app)).toEqual(['dev', 'staging', 'prod']);
    for (const leaked of ['PK', 'SK', 'GSI1PK', 'GSI1SK', 'entity']) {
      expect(app).not.toHaveProperty(leaked);
      expect(app?.environments[0]).not.toHaveProperty(leaked);
    }
    expect(await store.config.getApplication('we')).toBeUndefined();
  });

  test('listEnvironments returns records with application and position, in promotion order', async () => {
    await store.config.syncApplications([web, api, webhooks]);

    const envs = await store.config.listEnvironments('web');
    expect(envs.map(env => [env.application, env.name, env.position])).toEqual([
      ['web', 'dev', 0], ['web', 'staging', 1], ['web', 'prod', 2],
    ]);
    expect(envs[0]).toEqual({ ...web.environments[0], application: 'web', position: 0 });
    expect(envs[2]).toEqual({ ...web.environments[2], application: 'web', position: 2 });
    expect(await store.config.listEnvironments('nope')).toEqual([]);
  });

  test('getEnvironment returns one record, undefined when absent', async () => {
    await store.config.syncApplications([web, api]);

    expect(await store.config.getEnvironment('web', 'staging')).toEqual({ ...web.environments[1], application: 'web', position: 1 });
    expect(await store.config.getEnvironment('api', 'live')).toMatchObject({ application: 'api', name: 'live', kind: 'production', position: 1 });
    expect(await store.config.getEnvironment('web', 'live')).toBeUndefined();
    expect(await store.config.getEnvironment('api', 'dev')).toBeUndefined();
  });

  test('re-sync deletes a removed environment and a removed application (with its environments)', async () => {
    await store.config.syncApplications([web, api, webhooks]);

    const webWithoutStaging = appConfig('web', [web.environments[0], web.environments[2]]);
    await store.config.syncApplications([webWithoutStaging, webhooks]);

    expect((await store.config.listApplications()).map(app => app.name).sort()).toEqual(['web', 'webhooks']);
    expect(await store.config.getApplication('api')).toBeUndefined();
    expect(await store.config.listEnvironments('api')).toEqual([]);
    expect(await store.config.getEnvironment('api', 'qa')).toBeUndefined();
    expect(await store.config.getEnvironment('web', 'staging')).toBeUndefined();
    // The remaining environments are renumbered to the new promotion order.
    expect((await store.config.listEnvironments('web')).map(env => [env.name, env.position])).toEqual([['dev', 0], ['prod', 1]]);
    expect(names(await store.config.getApplication('webhooks'))).toEqual(['dev']);
  });

  test('re-sync to nothing empties the configuration', async () => {
    await store.config.syncApplications([web, api]);
    await store.config.syncApplications([]);
    expect(await store.config.listApplications()).toEqual([]);
    expect(await store.config.listEnvironments('web')).toEqual([]);
  });

  test('re-sync follows a new promotion order and new configuration values', async () => {
    await store.config.syncApplications([web]);

    const reordered = appConfig('web', [
      envConfig('staging', { kind: 'staging', branch: 'main', region: 'eu-west-1', variables: { A: '1' } }),
      envConfig('dev', { kind: 'development', branch: 'trunk', autoDeploy: false, testCommand: ['make', 'check'] }),
      web.environments[2],
    ], 'acme/web-renamed');
    await store.config.syncApplications([reordered]);

    const app = await store.config.getApplication('web');
    expect(app?.repository).toBe('acme/web-renamed');
    expect(names(app)).toEqual(['staging', 'dev', 'prod']);
    expect(await store.config.getEnvironment('web', 'dev')).toEqual({ ...reordered.environments[1], application: 'web', position: 1 });
    expect((await store.config.getEnvironment('web', 'staging'))?.variables).toEqual({ A: '1' });
  });

  test('re-sync keeps runtime state: the lock holder and pending request survive', async () => {
    await store.config.syncApplications([web]);
    const holder = depId(1);
    const waiting = depId(2);
    expect(await store.deployments.claimEnvironment('web', 'prod', holder)).toEqual({ outcome: 'acquired' });
    expect(await store.deployments.claimEnvironment('web', 'prod', waiting)).toEqual({ outcome: 'waiting' });

    const changed = appConfig('web', [web.environments[0], web.environments[1], { ...web.environments[2], variables: { NEW: 'yes' } }]);
    await store.config.syncApplications([changed]);

    const prod = await store.config.getEnvironment('web', 'prod');
    expect(prod).toMatchObject({ lockHolder: holder, pending: waiting, variables: { NEW: 'yes' } });
    expect((await store.config.listEnvironments('web'))[2]).toMatchObject({ name: 'prod', lockHolder: holder, pending: waiting });
    // The lock is still effective after the sync.
    expect(await store.deployments.claimEnvironment('web', 'prod', depId(3))).toEqual({ outcome: 'waiting', displaced: waiting });
    expect(await store.deployments.releaseEnvironment('web', 'prod', holder)).toEqual({ next: depId(3) });
  });

  test('every field of every type survives a sync and comes back as written; then removed when the code drops it', async () => {
    const full: ApplicationConfig = { name: 'full', repository: 'acme/full', rootDirectory: 'packages/full', environments: [FULL_ENVIRONMENT] };
    await store.config.syncApplications([full]);
    expect(await store.config.getApplication('full')).toEqual({ ...full, environments: [{ ...FULL_ENVIRONMENT, application: 'full', position: 0 }] });
    expect((await store.config.listApplications())[0]).toMatchObject({ rootDirectory: 'packages/full' });

    const bare = appConfig('full', [envConfig(FULL_ENVIRONMENT.name, { kind: FULL_ENVIRONMENT.kind })]);
    await store.config.syncApplications([bare]);
    expect(await store.config.getApplication('full')).toEqual({ ...bare, environments: [{ ...bare.environments[0], application: 'full', position: 0 }] });
  });

  test('optional fields absent from the new configuration are removed', async () => {
    await store.config.syncApplications([web]);
    expect(await store.config.getEnvironment('web', 'prod')).toMatchObject({ region: 'eu-central-1', account: '111122223333' });

    const stripped = appConfig('web', web.environments.map(env => envConfig(env.name, { kind: env.kind })));
    await store.config.syncApplications([stripped]);

    for (const env of await store.config.listEnvironments('web')) {
      for (const field of ['branch', 'region', 'account', 'deployRoleArn']) {
        expect(env).not.toHaveProperty(field);
      }
    }
    expect(await store.config.getEnvironment('web', 'staging')).toEqual({ ...stripped.environments[1], application: 'web', position: 1 });
  });

  test('a removed environment releases nothing and cannot be claimed; re-adding it starts with no runtime state', async () => {
    await store.config.syncApplications([web]);
    const holder = depId(1);
    await store.deployments.claimEnvironment('web', 'staging', holder);

    await store.config.syncApplications([appConfig('web', [web.environments[0], web.environments[2]])]);
    expect(await store.deployments.releaseEnvironment('web', 'staging', holder)).toEqual({});
    // Releasing must not have re-created the item.
    expect(await store.config.getEnvironment('web', 'staging')).toBeUndefined();
    await expect(store.deployments.claimEnvironment('web', 'staging', depId(2))).rejects.toMatchObject({ name: 'NotFoundError' });
    expect(await store.config.getEnvironment('web', 'staging')).toBeUndefined();

    await store.config.syncApplications([web]);
    const readded = await store.config.getEnvironment('web', 'staging');
    expect(readded).toEqual({ ...web.environments[1], application: 'web', position: 1 });
    expect(readded?.lockHolder).toBeUndefined();
  });

  describe('dashboard overrides', () => {
    const overrides = { branch: 'hotfix/login', runTests: false, testCommand: ['make', 'ci'], variables: { LOG_LEVEL: 'info', FEATURE_X: 'on' } };

    test('every read returns the effective configuration with the raw overrides alongside', async () => {
      await store.config.syncApplications([web]);
      const returned = await store.config.setOverrides('web', 'dev', overrides);

      const expected = {
        ...web.environments[0],
        application: 'web',
        position: 0,
        branch: 'hotfix/login',
        runTests: false,
        testCommand: ['make', 'ci'],
        variables: { LOG_LEVEL: 'info', FEATURE_X: 'on' },
        overrides,
      };
      expect(returned).toEqual(expected);
      expect(await store.config.getEnvironment('web', 'dev')).toEqual(expected);
      expect((await store.config.listEnvironments('web'))[0]).toEqual(expected);
      expect((await store.config.getApplication('web'))?.environments[0]).toEqual(expected);
      expect((await store.config.listApplications())[0].environments[0]).toEqual(expected);
      // The others are untouched.
      expect(await store.config.getEnvironment('web', 'staging')).toEqual({ ...web.environments[1], application: 'web', position: 1 });
    });

    test('a partial override changes only its fields; variables merge name by name', async () => {
      await store.config.syncApplications([web]);
      await store.config.setOverrides('web', 'dev', { variables: { EXTRA: '1' } });

      const dev = await store.config.getEnvironment('web', 'dev');
      expect(dev).toMatchObject({ branch: 'develop', runTests: true, testCommand: ['npm', 'test'], variables: { LOG_LEVEL: 'debug', EXTRA: '1' } });
    });

    test('empty overrides remove them: the code values apply again', async () => {
      await store.config.syncApplications([web]);
      await store.config.setOverrides('web', 'dev', overrides);
      const cleared = await store.config.setOverrides('web', 'dev', {});

      expect(cleared).toEqual({ ...web.environments[0], application: 'web', position: 0 });
      expect(await store.config.getEnvironment('web', 'dev')).toEqual({ ...web.environments[0], application: 'web', position: 0 });
    });

    test('config sync keeps the overrides; they still win over new code values', async () => {
      await store.config.syncApplications([web]);
      await store.config.setOverrides('web', 'dev', { branch: 'hotfix/login', variables: { LOG_LEVEL: 'info' } });

      const changed = appConfig('web', [
        envConfig('dev', { kind: 'development', branch: 'trunk', autoDeploy: true, runTests: false, testCommand: ['npm', 'test'], variables: { LOG_LEVEL: 'warn', NEW: 'x' } }),
        web.environments[1],
        web.environments[2],
      ]);
      await store.config.syncApplications([changed]);

      const dev = await store.config.getEnvironment('web', 'dev');
      expect(dev).toMatchObject({
        branch: 'hotfix/login', // override wins
        runTests: false, // not overridden: the new code value
        variables: { LOG_LEVEL: 'info', NEW: 'x' },
        overrides: { branch: 'hotfix/login', variables: { LOG_LEVEL: 'info' } },
      });
      // Cleared: the code value from the latest sync.
      expect(await store.config.setOverrides('web', 'dev', {})).toMatchObject({ branch: 'trunk', variables: { LOG_LEVEL: 'warn', NEW: 'x' } });
    });

    test('setting overrides leaves the lock alone', async () => {
      await store.config.syncApplications([web]);
      await store.deployments.claimEnvironment('web', 'prod', depId(1));
      await store.deployments.claimEnvironment('web', 'prod', depId(2));

      await store.config.setOverrides('web', 'prod', { runTests: true });
      expect(await store.config.getEnvironment('web', 'prod')).toMatchObject({ lockHolder: depId(1), pending: depId(2), runTests: true });
    });

    test('an environment that does not exist is not created', async () => {
      await store.config.syncApplications([web]);
      await expect(store.config.setOverrides('web', 'qa', { runTests: true })).rejects.toMatchObject({ name: 'NotFoundError' });
      await expect(store.config.setOverrides('api', 'dev', {})).rejects.toMatchObject({ name: 'NotFoundError' });
      expect(await store.config.getEnvironment('web', 'qa')).toBeUndefined();
      expect(names(await store.config.getApplication('web'))).toEqual(['dev', 'staging', 'prod']);
    });
  });

  describe('dashboard-made applications', () => {
    const made = appConfig('shop', [envConfig('dev', { kind: 'development', branch: 'main' }), envConfig('production', { kind: 'production' })], 'acme/shop');
    const mark = { requestedAt: '2026-03-01T12:00:00.000Z', requestedBy: 'alice' };

    test('createApplication stores the app with origin dashboard and its environments in order; a second one of the name conflicts', async () => {
      const created = await store.config.createApplication(made);
      expect(created).toMatchObject({ name: 'shop', repository: 'acme/shop', origin: 'dashboard' });
      expect(names(created)).toEqual(['dev', 'production']);
      expect(await store.config.getEnvironment('shop', 'production')).toEqual({ ...made.environments[1], application: 'shop', position: 1 });

      await expect(store.config.createApplication(appConfig('shop', [envConfig('qa')]))).rejects.toMatchObject({ name: 'ConflictError' });
      expect(names(await store.config.getApplication('shop'))).toEqual(['dev', 'production']);
    });

    test('createApplication conflicts with a code-defined application of the name, which stays as it was', async () => {
      await store.config.syncApplications([web]);
      await expect(store.config.createApplication(appConfig('web', [envConfig('qa')]))).rejects.toThrow(/application web exists/);
      expect(await store.config.getApplication('web')).toEqual({ ...web, environments: (await store.config.listEnvironments('web')) });
      expect(await store.config.getEnvironment('web', 'qa')).toBeUndefined();
    });

    test('addEnvironment appends to the promotion order; a duplicate, a code-defined or a missing application is refused', async () => {
      await store.config.createApplication(made);
      const added = await store.config.addEnvironment('shop', envConfig('qa', { kind: 'custom', branch: 'qa' }));
      expect(added).toMatchObject({ application: 'shop', name: 'qa', position: 2, branch: 'qa' });
      expect(names(await store.config.getApplication('shop'))).toEqual(['dev', 'production', 'qa']);

      await expect(store.config.addEnvironment('shop', envConfig('qa'))).rejects.toThrow(/environment shop\/qa exists/);
      await store.config.syncApplications([web]);
      await expect(store.config.addEnvironment('web', envConfig('qa'))).rejects.toThrow(/not a dashboard-made application/);
      expect(await store.config.getEnvironment('web', 'qa')).toBeUndefined();
      await expect(store.config.addEnvironment('nope', envConfig('qa'))).rejects.toMatchObject({ name: 'NotFoundError' });
    });

    test('config sync never deletes a dashboard-made application, and keeps managing its own', async () => {
      await store.config.createApplication(made);
      await store.config.syncApplications([web]);
      await store.config.syncApplications([]);

      expect(await store.config.getApplication('web')).toBeUndefined();
      expect(await store.config.getApplication('shop')).toMatchObject({ origin: 'dashboard' });
      expect(names(await store.config.getApplication('shop'))).toEqual(['dev', 'production']);
    });

    test('a code application with the name of a dashboard-made one is refused before anything is written: nothing made on the dashboard is lost', async () => {
      await store.config.createApplication(made);
      await store.config.syncApplications([web]);
      const code = appConfig('shop', [envConfig('dev', { kind: 'development', branch: 'trunk' })], 'acme/shop-code');
      const added = appConfig('added', [envConfig('dev')]);
      await expect(store.config.syncApplications([web, added, code])).rejects.toMatchObject({
        name: 'ConflictError', message: expect.stringMatching(/^application shop was made on the dashboard: delete it there/),
      });
      expect(await store.config.getApplication('shop')).toMatchObject({ origin: 'dashboard', repository: 'acme/shop' });
      expect(names(await store.config.getApplication('shop'))).toEqual(['dev', 'production']);
      expect(await store.config.getApplication('added')).toBeUndefined();
      expect(await store.config.getApplication('web')).toBeDefined();
    });

    test('markDeleting marks the application or one environment; a code-defined one is refused', async () => {
      await store.config.createApplication(made);
      await store.config.markDeleting('shop', 'dev', { ...mark, teardownId: depId(1) });
      expect(await store.config.getEnvironment('shop', 'dev')).toMatchObject({ deleting: { ...mark, teardownId: depId(1) } });
      expect(await store.config.getEnvironment('shop', 'production')).not.toHaveProperty('deleting');
      await store.config.markDeleting('shop', undefined, mark);
      expect(await store.config.getApplication('shop')).toMatchObject({ deleting: mark });
      // No environment can be added to an application being deleted.
      await expect(store.config.addEnvironment('shop', envConfig('qa'))).rejects.toMatchObject({ name: 'ConflictError' });

      await store.config.syncApplications([web]);
      await expect(store.config.markDeleting('web', undefined, mark)).rejects.toMatchObject({ name: 'ConflictError' });
      await expect(store.config.markDeleting('web', 'dev', mark)).rejects.toMatchObject({ name: 'ConflictError' });
      await expect(store.config.markDeleting('shop', 'nope', mark)).rejects.toThrow(/does not exist/);
      expect(await store.config.getEnvironment('web', 'dev')).not.toHaveProperty('deleting');
      expect(await store.config.getEnvironment('shop', 'nope')).toBeUndefined();
    });

    test('deleteEnvironment removes only an environment that runs nothing, of a dashboard-made application; history stays', async () => {
      await store.config.createApplication(made);
      await store.deployments.create(queuedDeploymentOf(depId(1), 'shop', 'dev'));
      await store.deployments.claimEnvironment('shop', 'dev', depId(1));
      await expect(store.config.deleteEnvironment('shop', 'dev')).rejects.toThrow(/still runs/);

      await store.deployments.releaseEnvironment('shop', 'dev', depId(1), { deploymentId: depId(1), commit: 'a'.repeat(40) });
      await expect(store.config.deleteEnvironment('shop', 'dev')).rejects.toThrow(/still runs/);
      await store.deployments.claimEnvironment('shop', 'dev', depId(2));
      await store.deployments.releaseEnvironment('shop', 'dev', depId(2), null); // a teardown succeeded

      await store.config.deleteEnvironment('shop', 'dev');
      expect(names(await store.config.getApplication('shop'))).toEqual(['production']);
      expect((await store.deployments.listByEnvironment('shop', 'dev')).items.map(d => d.id)).toEqual([depId(1)]);
      await expect(store.config.deleteEnvironment('shop', 'dev')).rejects.toMatchObject({ name: 'ConflictError' });

      await store.config.syncApplications([web]);
      await expect(store.config.deleteEnvironment('web', 'staging')).rejects.toThrow(/not a dashboard-made application/);
      expect(await store.config.getEnvironment('web', 'staging')).toBeDefined();
    });

    test('deleteApplication removes the application with its environments when none runs anything; never a code-defined one', async () => {
      await store.config.createApplication(made);
      await store.deployments.claimEnvironment('shop', 'production', depId(1));
      await expect(store.config.deleteApplication('shop')).rejects.toThrow(/still runs/);
      expect(names(await store.config.getApplication('shop'))).toEqual(['dev', 'production']);

      await store.deployments.releaseEnvironment('shop', 'production', depId(1));
      await store.config.deleteApplication('shop');
      expect(await store.config.getApplication('shop')).toBeUndefined();
      expect(await store.config.listEnvironments('shop')).toEqual([]);
      // The name is free again.
      await store.config.createApplication(made);

      await store.config.syncApplications([web]);
      await expect(store.config.deleteApplication('web')).rejects.toThrow(/not a dashboard-made application/);
      expect(names(await store.config.getApplication('web'))).toEqual(['dev', 'staging', 'prod']);
    });
  });
});
