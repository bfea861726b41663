import { mkdtempSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join, resolve } from 'path';
import { pathToFileURL } from 'url';
import { loadLocalConfig, parseLocalConfig } from '../../src/local/local-config';
import { ValidationError } from '../../src/runtime/core/errors';
import { FULL_ENVIRONMENT } from '../core/fixtures';

const EXAMPLES = resolve(__dirname, '..', '..', 'examples');
const dirs = { configDir: '/home/ada/config', dataDir: '/home/ada/.trellis/local' };

function issuesOf(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    if (error instanceof ValidationError) return error.issues.map(issue => issue.path);
    throw error;
  }
  throw new Error('expected a ValidationError');
}

describe('the local config file', () => {
  test('examples/local-config.json: a path repository becomes local/<name>, kinds keep the construct\'s rules, {dataDir} and {serverUrl} are replaced', () => {
    const config = loadLocalConfig(join(EXAMPLES, 'local-config.json'), '/data', 'http://127.0.0.1:4100');
    expect(config.repositories).toEqual({ 'sample-app': resolve(EXAMPLES, '..', '..', 'my-app') });
    const [app] = config.applications;
    expect(app.repository).toBe('local/sample-app');
    expect(app.environments.map(env => [env.name, env.kind, env.branch, env.autoDeploy, env.protected, env.runTests])).toEqual([
      ['dev', 'development', 'main', true, false, true],
      ['staging', 'staging', undefined, false, false, true],
      ['production', 'production', undefined, false, true, false],
    ]);
    expect(app.environments[0].variables).toEqual({ SAMPLE_DEPLOY_DIR: '/data/deployed' });
    // What the deploy reads is stored, so a rollback redeploys it without a rebuild.
    expect(app.environments[0].framework).toEqual({
      kind: 'custom', deploy: ['npm', 'run', 'deploy'], remove: ['npm', 'run', 'remove'], artifact: ['package.json', 'scripts', 'src'],
    });
    // dev's deploys are checked on the local server, which serves the deployed sample app.
    expect(app.environments[0].healthCheck).toMatchObject({ url: 'http://127.0.0.1:4100/apps/dev/health', minStatus: 200, maxStatus: 399 });
    expect(app.environments.slice(1).map(env => env.healthCheck)).toEqual([undefined, undefined]);
  });

  test('{serverUrl} in variables and a health check URL is the local server\'s; unknown, it stays and the URL is refused', () => {
    const raw = {
      applications: [{
        name: 'shop',
        repository: './shop',
        environments: [{ kind: 'development', variables: { API: '{serverUrl}/apps/dev', DIR: '{dataDir}/x' }, healthCheck: { url: '{serverUrl}/apps/dev/health', retries: 1 } }],
      }],
    };
    const [env] = parseLocalConfig(raw, { ...dirs, serverUrl: 'http://127.0.0.1:4321' }).applications[0].environments;
    expect(env.variables).toEqual({ API: 'http://127.0.0.1:4321/apps/dev', DIR: '/home/ada/.trellis/local/x' });
    expect(env.healthCheck).toMatchObject({ url: 'http://127.0.0.1:4321/apps/dev/health', retries: 1 });
    expect(issuesOf(() => parseLocalConfig(raw, dirs))).toEqual(['applications[0].environments[0].healthCheck.url']);
  });

  test('variables that are a list, not names to values, are refused as they are (not turned into names 0, 1, ...)', () => {
    const raw = { applications: [{ name: 'shop', repository: './shop', environments: [{ kind: 'development', variables: ['{dataDir}/x'] }] }] };
    expect(issuesOf(() => parseLocalConfig(raw, dirs))).toEqual(['applications[0].environments[0].variables']);
  });

  test('artifact paths must be a list of strings, and stay inside the repository', () => {
    const withArtifact = (artifact: unknown) => ({
      applications: [{ name: 'shop', repository: './shop', environments: [{ kind: 'development', framework: { kind: 'custom', deploy: ['up'], remove: ['down'], artifact } }] }],
    });
    expect(parseLocalConfig(withArtifact(['dist']), dirs).applications[0].environments[0].framework?.artifact).toEqual(['dist']);
    expect(issuesOf(() => parseLocalConfig(withArtifact('dist'), dirs))).toEqual(['applications[0].environments[0].framework.artifact']);
    expect(issuesOf(() => parseLocalConfig(withArtifact(['../..']), dirs))).toEqual(['applications[0].environments[0].framework.artifact']);
  });

  test('no environments: the construct\'s defaults (dev tracks main, staging, production)', () => {
    const config = parseLocalConfig({ applications: [{ name: 'shop', repository: './shop' }] }, dirs);
    expect(config.applications[0].environments.map(env => [env.name, env.branch, env.autoDeploy, env.protected])).toEqual([
      ['dev', 'main', true, false],
      ['staging', undefined, false, false],
      ['production', undefined, false, true],
    ]);
    expect(config.repositories.shop).toBe('/home/ada/config/shop');
  });

  test('a kind without a name gets the kind\'s name; development tracks main unless told otherwise', () => {
    const config = parseLocalConfig({
      applications: [{ name: 'shop', repository: '/srv/shop', environments: [{ kind: 'development', branch: 'trunk' }, { kind: 'production' }] }],
    }, dirs);
    expect(config.applications[0].environments.map(env => [env.name, env.branch])).toEqual([['dev', 'trunk'], ['production', undefined]]);
  });

  test('owner/repo with a source keeps the GitHub name and clones from the source (path or file:// URL)', () => {
    const config = parseLocalConfig({
      applications: [
        { name: 'shop', repository: 'acme/shop', source: '../clones/shop' },
        { name: 'blog', repository: 'acme/blog', source: pathToFileURL('/srv/blog').href },
      ],
    }, dirs);
    expect(config.applications.map(app => app.repository)).toEqual(['acme/shop', 'acme/blog']);
    expect(config.repositories).toEqual({ shop: '/home/ada/clones/shop', blog: '/srv/blog' });
  });

  test('owner/repo without a source is refused, naming the prop', () => {
    const error = (() => {
      try {
        parseLocalConfig({ applications: [{ name: 'shop', repository: 'acme/shop' }] }, dirs);
      } catch (caught) {
        return caught as ValidationError;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ValidationError);
    expect(error!.message).toContain('applications[0].repository');
    expect(error!.message).toContain('source');
  });

  test('the construct\'s validation applies: bad fields are named, every one of them', () => {
    expect(issuesOf(() => parseLocalConfig({
      applications: [{ name: 'shop', repository: './shop', environments: [{ kind: 'staging', testCommand: 'npm test' }, { kind: 'weird', name: 'x' }] }],
    }, dirs))).toEqual(expect.arrayContaining(['applications[0].environments[0].testCommand', 'applications[0].environments[1].kind']));
    expect(issuesOf(() => parseLocalConfig({ apps: [] }, dirs))).toEqual(['apps', 'applications']);
    expect(issuesOf(() => parseLocalConfig({ applications: [{ name: 'shop', repository: './shop', source: 3 }] }, dirs))).toEqual(['applications[0].source']);
  });

  test('a file that is not JSON: the error names the file', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'trellis-config-')), 'broken.json');
    writeFileSync(file, '{ "applications": [');
    expect(() => loadLocalConfig(file, '/data')).toThrow(`cannot read the config file ${file}`);
  });
});

describe('the local config file is strict: a key no one reads is an error, never a default', () => {
  /** The issues of a refused config, as `path: message`. */
  function refused(raw: unknown): string[] {
    try {
      parseLocalConfig(raw, dirs);
    } catch (error) {
      if (error instanceof ValidationError) return error.issues.map(issue => `${issue.path}: ${issue.message}`);
      throw error;
    }
    throw new Error('parseLocalConfig accepted it');
  }
  const shop = (env: Record<string, unknown>, app: Record<string, unknown> = {}) =>
    ({ applications: [{ name: 'shop', repository: './shop', environments: [{ kind: 'development' }, { kind: 'staging', ...env }], ...app }] });

  test.each<[string, unknown, string]>([
    ['a top-level key', { ...shop({}), aplications: [] }, 'aplications: is not a known field; did you mean `applications`?'],
    ['a top-level key nothing is close to', { ...shop({}), port: 4100 }, 'port: is not a known field; the fields are applications, github'],
    ['an application key', shop({}, { enviroments: [] }), 'applications[0].enviroments: is not a known field; did you mean `environments`?'],
    ['local mode\'s own application key', shop({}, { sorce: '../clone' }), 'applications[0].sorce: is not a known field; did you mean `source`?'],
    ['runTests in lowercase', shop({ runtests: false }), 'applications[0].environments[1].runtests: is not a known field; did you mean `runTests`?'],
    ['a misspelt test command', shop({ testComand: ['make', 'check'] }),
      'applications[0].environments[1].testComand: is not a known field; did you mean `testCommand`?'],
    ['a framework key', shop({ framework: { kind: 'custom', deploy: ['d'], remove: ['r'], instal: ['npm', 'i'] } }),
      'applications[0].environments[1].framework.instal: is not a known field; did you mean `install`?'],
    ['a health check key', shop({ healthCheck: { url: 'https://a.example.com', retry: 2 } }),
      'applications[0].environments[1].healthCheck.retry: is not a known field; did you mean `retries`?'],
  ])('%s is refused with its path and the suggestion', (_, raw, issue) => {
    expect(refused(raw)).toEqual([issue]);
  });

  test('every unknown key and every other mistake are named at once', () => {
    const raw = { ...shop({ testComand: ['x'], kind: 'weird', name: 'qa' }, { sorce: 'x' }), extra: true };
    expect(refused(raw).map(issue => issue.split(':')[0])).toEqual([
      'extra', 'applications[0].sorce', 'applications[0].environments[1].testComand', 'applications[0].environments[1].kind',
    ]);
  });

  test('a config with every field the file takes still loads; variables keep any names', () => {
    const config = parseLocalConfig({
      applications: [{
        name: 'shop',
        repository: 'acme/shop',
        source: './clones/shop',
        environments: [FULL_ENVIRONMENT],
      }],
    }, dirs);
    expect(config.repositories).toEqual({ shop: '/home/ada/config/clones/shop' });
    expect(config.applications[0].environments[0]).toMatchObject({
      runTests: true, testCommand: ['npm', 'test'], nodeVersion: '18', stacks: FULL_ENVIRONMENT.stacks, variables: FULL_ENVIRONMENT.variables,
    });
    expect(Object.keys(FULL_ENVIRONMENT.variables)).toEqual(expect.arrayContaining(['testComand', 'framework']));
  });

  test('a file with a typo: loadLocalConfig throws the message trellis local prints', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'trellis-config-')), 'typo.json');
    writeFileSync(file, JSON.stringify(shop({ testComand: ['make'] })));
    expect(() => loadLocalConfig(file, '/data')).toThrow('applications[0].environments[1].testComand: is not a known field; did you mean `testCommand`?');
  });
});
