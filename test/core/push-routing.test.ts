import { env } from './fixtures';
import { PushEvent, routePush } from '../../src/runtime/core/push-routing';
import { ApplicationConfig, EnvironmentConfig } from '../../src/runtime/core/types';

const COMMIT = '3f786850e387550fdab836ed7e6dc881de23001b';


function app(name: string, repository: string, environments: EnvironmentConfig[]): ApplicationConfig {
  return { name, repository, environments };
}

const shop = app('shop', 'acme/shop', [
  env({ name: 'dev', kind: 'development', branch: 'main', autoDeploy: true }),
  env({ name: 'staging', kind: 'staging', branch: 'release', autoDeploy: true }),
  env({ name: 'prod', kind: 'production', branch: undefined, autoDeploy: false, protected: true }),
]);
const blog = app('blog', 'acme/blog', [
  env({ name: 'dev', branch: 'main' }),
]);

function push(overrides: Partial<PushEvent> = {}): PushEvent {
  return { repository: 'acme/shop', ref: 'refs/heads/main', deleted: false, headCommit: COMMIT, ...overrides };
}

describe('routePush', () => {
  test('a push to main starts the auto-deploy environment of the matching application only', () => {
    const routing = routePush([blog, shop], push());
    expect(routing.targets).toEqual([{ application: 'shop', environment: 'dev', branch: 'main', commit: COMMIT }]);
  });

  test('an environment being deleted is skipped, saying so; the others of its application still deploy', () => {
    const mark = { requestedAt: '2026-03-01T12:00:00.000Z', teardownId: 'teardown' };
    const deleting = { ...shop, environments: [{ ...shop.environments[0], deleting: mark }, env({ name: 'qa', branch: 'main', autoDeploy: true })] };
    const routing = routePush([deleting], push());
    expect(routing.targets.map(t => t.environment)).toEqual(['qa']);
    expect(routing.ignored).toEqual(['shop/dev: is being deleted']);
  });

  test('a push to another tracked branch starts that environment instead', () => {
    const routing = routePush([shop], push({ ref: 'refs/heads/release' }));
    expect(routing.targets).toEqual([{ application: 'shop', environment: 'staging', branch: 'release', commit: COMMIT }]);
  });

  test.each(['ACME/Shop', 'Acme/shop', 'acme/SHOP'])('matches the repository %p case-insensitively', repository => {
    const routing = routePush([shop], push({ repository }));
    expect(routing.targets.map(t => `${t.application}/${t.environment}`)).toEqual(['shop/dev']);
  });

  test('matches case-insensitively when the configuration uses other case', () => {
    const upper = app('shop', 'Acme/Shop', shop.environments.slice());
    const routing = routePush([upper], push({ repository: 'acme/shop' }));
    expect(routing.targets.map(t => t.environment)).toEqual(['dev']);
  });

  test('a branch name with slashes survives intact', () => {
    const feature = app('shop', 'acme/shop', [env({ name: 'feature', kind: 'custom', branch: 'feature/x/y' })]);
    const routing = routePush([feature], push({ ref: 'refs/heads/feature/x/y' }));
    expect(routing.targets).toEqual([{ application: 'shop', environment: 'feature', branch: 'feature/x/y', commit: COMMIT }]);
  });

  test('a branch whose name merely starts like a tracked branch is not matched', () => {
    const feature = app('shop', 'acme/shop', [env({ name: 'feature', kind: 'custom', branch: 'feature/x' })]);
    const routing = routePush([feature], push({ ref: 'refs/heads/feature/x/y' }));
    expect(routing.targets).toEqual([]);
    expect(routing.ignored).toEqual([expect.stringContaining("'feature/x/y'")]);
  });

  test('branch names match case-sensitively, as git does', () => {
    const routing = routePush([shop], push({ ref: 'refs/heads/Main' }));
    expect(routing.targets).toEqual([]);
  });

  test('a tag push is ignored with a reason mentioning the tag', () => {
    const routing = routePush([shop], push({ ref: 'refs/tags/v1' }));
    expect(routing.targets).toEqual([]);
    expect(routing.ignored).toHaveLength(1);
    expect(routing.ignored[0]).toContain('tag');
    expect(routing.ignored[0]).toContain('refs/tags/v1');
  });

  test('a tag named like a tracked branch is still ignored', () => {
    const routing = routePush([shop], push({ ref: 'refs/tags/main' }));
    expect(routing.targets).toEqual([]);
    expect(routing.ignored[0]).toContain('tag');
  });

  test.each(['refs/pull/1/head', 'main', 'refs/heads'])('a ref %p that is not a branch is ignored', ref => {
    const routing = routePush([shop], push({ ref }));
    expect(routing.targets).toEqual([]);
    expect(routing.ignored).toEqual([expect.stringContaining('not a branch')]);
  });

  test('a branch delete is ignored', () => {
    const routing = routePush([shop], push({ deleted: true, headCommit: '0'.repeat(40) }));
    expect(routing.targets).toEqual([]);
    expect(routing.ignored).toEqual([expect.stringContaining('deleted')]);
    expect(routing.ignored[0]).toContain("'main'");
  });

  test('a delete flag wins even if a head commit is present', () => {
    const routing = routePush([shop], push({ deleted: true }));
    expect(routing.targets).toEqual([]);
    expect(routing.ignored).toEqual([expect.stringContaining('deleted')]);
  });

  test.each([
    ['all zeros', '0'.repeat(40)],
    ['empty', ''],
    ['absent', undefined],
  ])('a push whose head commit is %s is ignored', (_label, headCommit) => {
    const routing = routePush([shop], push({ headCommit }));
    expect(routing.targets).toEqual([]);
    expect(routing.ignored).toEqual([expect.stringContaining('no head commit')]);
  });

  test('a push to an untracked branch is ignored with a reason per application', () => {
    const routing = routePush([shop], push({ ref: 'refs/heads/experiment' }));
    expect(routing.targets).toEqual([]);
    expect(routing.ignored).toHaveLength(1);
    expect(routing.ignored[0]).toContain('shop');
    expect(routing.ignored[0]).toContain("'experiment'");
  });

  test('production tracking the pushed branch is never targeted, even with autoDeploy set in the data', () => {
    const risky = app('shop', 'acme/shop', [
      env({ name: 'prod', kind: 'production', branch: 'main', autoDeploy: true, protected: true }),
    ]);
    const routing = routePush([risky], push());
    expect(routing.targets).toEqual([]);
    expect(routing.ignored).toHaveLength(1);
    expect(routing.ignored[0]).toContain('shop/prod');
    expect(routing.ignored[0]).toContain('production');
  });

  test('production is skipped while its siblings on the same branch still deploy', () => {
    const mixed = app('shop', 'acme/shop', [
      env({ name: 'dev', branch: 'main' }),
      env({ name: 'prod', kind: 'production', branch: 'main', autoDeploy: true }),
    ]);
    const routing = routePush([mixed], push());
    expect(routing.targets.map(t => t.environment)).toEqual(['dev']);
    expect(routing.ignored).toEqual([expect.stringMatching(/^shop\/prod: .*production/)]);
  });

  test('an environment with autoDeploy off is not targeted', () => {
    const manual = app('shop', 'acme/shop', [
      env({ name: 'dev', branch: 'main' }),
      env({ name: 'qa', kind: 'staging', branch: 'main', autoDeploy: false }),
    ]);
    const routing = routePush([manual], push());
    expect(routing.targets.map(t => t.environment)).toEqual(['dev']);
    expect(routing.ignored).toEqual([expect.stringMatching(/^shop\/qa: .*autoDeploy/)]);
  });

  test('two applications sharing one repository both get targets', () => {
    const api = app('api', 'acme/monorepo', [env({ name: 'dev', branch: 'main' }), env({ name: 'qa', kind: 'staging', branch: 'qa' })]);
    const web = app('web', 'acme/monorepo', [env({ name: 'preview', kind: 'custom', branch: 'main' })]);
    const routing = routePush([api, shop, web], push({ repository: 'acme/monorepo' }));
    expect(routing.targets).toEqual([
      { application: 'api', environment: 'dev', branch: 'main', commit: COMMIT },
      { application: 'web', environment: 'preview', branch: 'main', commit: COMMIT },
    ]);
    expect(routing.ignored).toEqual([]);
  });

  test('of two applications sharing a repository, one without a tracking environment is reported', () => {
    const api = app('api', 'acme/monorepo', [env({ name: 'dev', branch: 'main' })]);
    const web = app('web', 'acme/monorepo', [env({ name: 'dev', branch: 'develop' })]);
    const routing = routePush([api, web], push({ repository: 'acme/monorepo' }));
    expect(routing.targets.map(t => t.application)).toEqual(['api']);
    expect(routing.ignored).toEqual([expect.stringMatching(/^web: .*'main'/)]);
  });

  test('an unknown repository is ignored', () => {
    const routing = routePush([shop, blog], push({ repository: 'acme/unknown' }));
    expect(routing.targets).toEqual([]);
    expect(routing.ignored).toEqual([expect.stringContaining("'acme/unknown'")]);
  });

  test('a repository that only shares a prefix is not matched', () => {
    const routing = routePush([shop], push({ repository: 'acme/shop-legacy' }));
    expect(routing.targets).toEqual([]);
  });

  test('no applications at all means nothing is started', () => {
    const routing = routePush([], push());
    expect(routing.targets).toEqual([]);
    expect(routing.ignored).toHaveLength(1);
  });

  test('control characters in the pushed ref are not echoed in reasons', () => {
    const routing = routePush([shop], push({ ref: 'refs/heads/evil\x1b[2J' }));
    expect(routing.ignored.length).toBeGreaterThan(0);
    for (const reason of routing.ignored) {
      expect(reason).not.toMatch(/[\x00-\x1f\x7f]/);
    }
  });
});
