import { FULL_ENVIRONMENT, FULL_FRAMEWORK, FULL_HEALTH_CHECK } from './fixtures';
import { APPLICATION_KEYS, ENVIRONMENT_KEYS, FRAMEWORK_KEYS, HEALTH_CHECK_KEYS } from '../../src/runtime/core/config-keys';
import { parseApplications } from '../../src/runtime/core/config-parse';
import { ValidationError, ValidationIssue } from '../../src/runtime/core/errors';
import { ApplicationConfig } from '../../src/runtime/core/types';
import { closestKey, editDistance, unknownKeyIssues } from '../../src/runtime/core/unknown-keys';

const FULL_NOTIFICATION = {
  kind: 'webhook' as const,
  url: 'https://hooks.example.com/trellis',
  secretArn: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:shop-hook-AbCdEf',
  events: ['deployment.failed' as const],
  environments: [FULL_ENVIRONMENT.name],
};

const FULL_APPLICATION: Required<ApplicationConfig> = {
  name: 'shop',
  repository: 'acme/shop',
  rootDirectory: 'packages/shop',
  environments: [FULL_ENVIRONMENT],
  notifications: [FULL_NOTIFICATION],
  previews: {
    from: FULL_ENVIRONMENT.name,
    forks: 'ignore',
    maxConcurrent: 5,
    buildRoleArn: 'arn:aws:iam::111122223333:role/previews',
    forkBuildRoleArn: 'arn:aws:iam::111122223333:role/fork-previews',
  },
};

/** The issues of a config that parseApplications refuses. */
function refused(input: unknown): ValidationIssue[] {
  try {
    parseApplications(input);
  } catch (error) {
    if (error instanceof ValidationError) return [...error.issues];
    throw error;
  }
  throw new Error('parseApplications accepted it');
}

/** FULL_APPLICATION with `change` applied to a deep copy. */
function withChange(change: (app: any) => void): unknown {
  const copy = JSON.parse(JSON.stringify(FULL_APPLICATION));
  change(copy);
  return [copy];
}

describe('closestKey: the known key a typo was meant to be', () => {
  const known = ['name', 'kind', 'branch', 'region', 'retries', 'autoDeploy', 'runTests', 'testCommand', 'variables', 'healthCheck', 'install', 'url', 'timeoutSeconds', 'intervalSeconds'];

  test.each([
    ['runtests', 'runTests'], // case only
    ['RUNTESTS', 'runTests'],
    ['testComand', 'testCommand'], // a letter missing
    ['testCommmand', 'testCommand'], // a letter too many
    ['tsetCommand', 'testCommand'], // two neighbours swapped
    ['autoDeplyo', 'autoDeploy'],
    ['instal', 'install'],
    ['variable', 'variables'],
    ['brnach', 'branch'],
    ['uri', 'url'],
    ['kinds', 'kind'],
    ['health_check', 'healthCheck'],
    ['timeout', 'timeoutSeconds'], // the start of a known key
    ['interval', 'intervalSeconds'],
    ['retry', 'retries'],
    ['tests', 'runTests'],
    ['regoin', 'region'],
  ])('%s → %s', (typed, expected) => {
    expect(closestKey(typed, known)).toBe(expected);
  });

  test.each(['colour', 'deploy', 'x', 'foo', 'timeoutMinutesAndMore', '', 'stage', 'urlPath'])('%j is not close to any: no suggestion', typed => {
    expect(closestKey(typed, known)).toBeUndefined();
  });

  test('a very long key is not compared (no quadratic work on hostile input)', () => {
    expect(closestKey(`testCommand${'a'.repeat(10_000)}`, known)).toBeUndefined();
  });

  test('the nearest wins; a tie goes to the earlier key', () => {
    expect(closestKey('brunch', ['branch', 'brunches'])).toBe('branch');
    expect(closestKey('ab', ['ac', 'ad'])).toBe('ac');
    // Within the distance beats a prefix.
    expect(closestKey('retry', ['retryCount', 'retro'])).toBe('retro');
  });

  test('editDistance counts insertions, deletions, substitutions and neighbour swaps', () => {
    expect(editDistance('', '')).toBe(0);
    expect(editDistance('abc', '')).toBe(3);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('ab', 'ba')).toBe(1);
    expect(editDistance('abcd', 'acbd')).toBe(1);
  });
});

describe('unknownKeyIssues', () => {
  test('names each unknown key at its full path, with a suggestion or the list of fields', () => {
    expect(unknownKeyIssues({ name: 'a', nmae: 'b', colour: 'red' }, ['name', 'kind'], 'applications[0].environments[1]')).toEqual([
      { path: 'applications[0].environments[1].nmae', message: 'is not a known field; did you mean `name`?' },
      { path: 'applications[0].environments[1].colour', message: 'is not a known field; the fields are name, kind' },
    ]);
  });

  test('a root object names its keys alone; control characters and very long keys are shown safely', () => {
    expect(unknownKeyIssues({ 'a\nb': 1, ['k'.repeat(100)]: 2 }, ['name'], '').map(issue => issue.path)).toEqual(['a?b', `${'k'.repeat(40)}...`]);
  });

  test('known keys and an empty object: nothing', () => {
    expect(unknownKeyIssues({ name: 'a', kind: undefined }, ['name', 'kind'], 'x')).toEqual([]);
    expect(unknownKeyIssues({}, [], 'x')).toEqual([]);
  });
});

describe('the key lists are the types\' keys', () => {
  test('each list has exactly the fields of a fully set object of its type', () => {
    const sorted = (keys: readonly string[]) => [...keys].sort();
    expect(sorted(APPLICATION_KEYS)).toEqual(sorted(Object.keys(FULL_APPLICATION)));
    expect(sorted(ENVIRONMENT_KEYS)).toEqual(sorted(Object.keys(FULL_ENVIRONMENT)));
    expect(sorted(FRAMEWORK_KEYS)).toEqual(sorted(Object.keys(FULL_FRAMEWORK)));
    expect(sorted(HEALTH_CHECK_KEYS)).toEqual(sorted(Object.keys(FULL_HEALTH_CHECK)));
  });
});

describe('parseApplications refuses unknown keys at every level', () => {
  test('a config with every optional field set passes, and variables may have any names', () => {
    const [app] = parseApplications(JSON.parse(JSON.stringify([FULL_APPLICATION])));
    expect(app.environments[0]).toMatchObject({
      testCommand: ['npm', 'test'],
      buildRoleArn: FULL_ENVIRONMENT.buildRoleArn,
      dependencyCache: false,
      framework: FULL_FRAMEWORK,
      variables: FULL_ENVIRONMENT.variables,
    });
    expect(app.environments[0].healthCheck).toMatchObject({ url: FULL_HEALTH_CHECK.url, retries: 2 });
    // The smallest config passes too.
    expect(parseApplications([{ name: 'shop', repository: 'acme/shop', environments: [{ name: 'dev' }] }])).toHaveLength(1);
  });

  const env = 'applications[0].environments[0]';
  test.each<[string, (app: any) => void, string, string]>([
    ['an application key', app => { app.environmnts = []; }, 'applications[0].environmnts', 'did you mean `environments`?'],
    ['an application key, in another case', app => { app.Name = 'x'; }, 'applications[0].Name', 'did you mean `name`?'],
    ['an environment key', app => { app.environments[0].testComand = ['make']; }, `${env}.testComand`, 'did you mean `testCommand`?'],
    ['runTests in lowercase', app => { app.environments[0].runtests = false; }, `${env}.runtests`, 'did you mean `runTests`?'],
    ['an environment key nothing is close to', app => { app.environments[0].colour = 'red'; }, `${env}.colour`, 'the fields are name, kind, branch'],
    ['a framework key', app => { app.environments[0].framework.instal = ['npm', 'i']; }, `${env}.framework.instal`, 'did you mean `install`?'],
    ['a framework key in the construct\'s spelling', app => { app.environments[0].framework.deployCommand = ['x']; }, `${env}.framework.deployCommand`,
      'did you mean `deploy`?'],
    ['a health check key', app => { app.environments[0].healthCheck.timeout = 5; }, `${env}.healthCheck.timeout`, 'did you mean `timeoutSeconds`?'],
    ['a health check key nothing is close to', app => { app.environments[0].healthCheck.method = 'POST'; }, `${env}.healthCheck.method`,
      'the fields are url, stackOutput, minStatus, maxStatus, timeoutSeconds, retries, intervalSeconds'],
  ])('%s', (_, change, path, message) => {
    expect(refused(withChange(change))).toEqual([{ path, message: expect.stringContaining(message) }]);
  });

  test('the second environment of the second application is named as such, with every unknown key at once', () => {
    const second = { name: 'api', repository: 'acme/api', environments: [{ name: 'dev' }, { name: 'prod', kind: 'production', testComand: ['x'], brnach: 'main' }] };
    expect(refused([FULL_APPLICATION, second])).toEqual([
      { path: 'applications[1].environments[1].testComand', message: 'is not a known field; did you mean `testCommand`?' },
      { path: 'applications[1].environments[1].brnach', message: 'is not a known field; did you mean `branch`?' },
    ]);
  });
});
