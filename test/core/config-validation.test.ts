import { env } from './fixtures';
import { parseApplications } from '../../src/runtime/core/config-parse';
import {
  ValidationContext, httpUrlProblem, validateApplication, validateApplications, validateEnvironment,
} from '../../src/runtime/core/config-validation';
import { ValidationError, ValidationIssue } from '../../src/runtime/core/errors';
import { ApplicationConfig, EnvironmentConfig, HealthCheckConfig } from '../../src/runtime/core/types';

function pipeline(): EnvironmentConfig[] {
  return [
    env(),
    env({ name: 'staging', kind: 'staging', branch: 'release', autoDeploy: true }),
    env({
      name: 'prod',
      kind: 'production',
      branch: undefined,
      autoDeploy: false,
      protected: true,
      region: 'eu-west-1',
      account: '111122223333',
      deployRoleArn: 'arn:aws:iam::111122223333:role/deploy',
      variables: { LOG_LEVEL: 'warn', _FLAG: '1' },
    }),
  ];
}

function app(overrides: Partial<ApplicationConfig> = {}): ApplicationConfig {
  return {
    name: 'shop',
    repository: 'acme/shop',
    environments: pipeline(),
    ...overrides,
  };
}

const paths = (issues: readonly ValidationIssue[]) => issues.map(issue => issue.path);

/** The one issue at `path`; fails when there are none or several. */
function issueAt(issues: readonly ValidationIssue[], path: string): ValidationIssue {
  const found = issues.filter(issue => issue.path === path);
  expect(found).toHaveLength(1);
  return found[0];
}

describe('a valid configuration', () => {
  test('yields no issues at any level', () => {
    const apps = [app(), app({ name: 'admin', repository: 'acme/admin' })];
    expect(validateApplications(apps)).toEqual([]);
    expect(validateApplication(apps[0])).toEqual([]);
    for (const e of apps[0].environments) {
      expect(validateEnvironment(e)).toEqual([]);
    }
  });

  test('an empty list of applications is valid', () => {
    expect(validateApplications([])).toEqual([]);
  });

  test('production without autoDeploy and a custom environment with autoDeploy are fine', () => {
    expect(validateEnvironment(env({ name: 'prod', kind: 'production', autoDeploy: false }))).toEqual([]);
    expect(validateEnvironment(env({ name: 'preview', kind: 'custom', autoDeploy: true, branch: 'preview' }))).toEqual([]);
  });

  test('two environments may track one branch when only one deploys automatically', () => {
    const environments = [env(), env({ name: 'qa', kind: 'staging', branch: 'main', autoDeploy: false })];
    expect(validateApplication(app({ environments }))).toEqual([]);
  });
});

describe('validateApplications', () => {
  test('rejects duplicate application names at the later index and names the first', () => {
    const apps = [app(), app({ repository: 'acme/other' }), app({ name: 'admin' }), app()];
    const issues = validateApplications(apps);
    expect(paths(issues)).toEqual(['applications[1].name', 'applications[3].name']);
    for (const issue of issues) {
      expect(issue.message).toContain("'shop'");
      expect(issue.message).toContain('applications[0]');
      expect(issue.message).toContain('unique');
    }
  });

  test('prefixes nested issues with the application index', () => {
    const apps = [app(), app({ name: 'admin', environments: [env(), env({ region: 'mars-1' })] })];
    const issues = validateApplications(apps);
    expect(issues).toContainEqual({ path: 'applications[1].environments[1].region', message: expect.stringContaining("'mars-1'") });
    expect(issues).toContainEqual({ path: 'applications[1].environments[1].name', message: expect.stringContaining("'dev'") });
    expect(paths(issues).every(p => p.startsWith('applications[1].'))).toBe(true);
  });

  test('uses a caller-supplied root path', () => {
    const issues = validateApplications([app({ name: 'Bad' })], {}, 'props.applications');
    expect(paths(issues)).toEqual(['props.applications[0].name']);
  });
});

describe('validateApplication', () => {
  test.each(['*', 'shop*'])('an application cannot be named %p (grants never treat * as a wildcard)', name => {
    expect(issueAt(validateApplication(app({ name })), 'application.name').message).toContain(`'${name}'`);
  });

  test('rejects a bad application name', () => {
    const issues = validateApplication(app({ name: 'My_Shop' }));
    expect(issueAt(issues, 'application.name').message).toContain("'My_Shop'");
  });

  test.each([
    'https://github.com/acme/shop',
    'acme',
    'acme/shop.git',
    'a/b/c',
  ])('rejects repository %p', repository => {
    const issues = validateApplication(app({ repository }), {}, 'applications[0]');
    expect(issues).toEqual([{ path: 'applications[0].repository', message: expect.stringContaining(`'${repository}'`) }]);
  });

  test.each(['packages/api', 'services/shop-api_v2', 'apps/@acme/web', 'a.b/c+d', 'x'])('accepts rootDirectory %p, on the application and on an environment', rootDirectory => {
    expect(validateApplication(app({ rootDirectory }))).toEqual([]);
    expect(validateEnvironment(env({ rootDirectory }))).toEqual([]);
  });

  test.each([
    ['', 'must be 1 to 255'],
    ['../other', 'may not contain . or ..'],
    ['packages/../../etc', 'may not contain . or ..'],
    ['./packages/api', 'may not contain . or ..'],
    ['/etc', 'must be relative'],
    ['packages//api', 'folder names'],
    ['packages/api/', 'folder names'],
    ['packages\\api', 'folder names'],
    ['api; rm -rf /', 'folder names'],
    ['-rf', 'folder names'],
    ['packages/$(id)', 'folder names'],
    ['with space', 'folder names'],
    ['a'.repeat(256), 'must be 1 to 255'],
  ])('refuses rootDirectory %p, naming the field', (rootDirectory, message) => {
    expect(validateApplication(app({ rootDirectory }), {}, 'applications[0]')).toEqual([
      { path: 'applications[0].rootDirectory', message: expect.stringContaining(message) },
    ]);
    expect(validateEnvironment(env({ rootDirectory }), {}, 'e')).toEqual([{ path: 'e.rootDirectory', message: expect.stringContaining(message) }]);
  });

  test('rejects an application without environments', () => {
    const issues = validateApplication(app({ environments: [] }), {}, 'applications[2]');
    expect(issues).toEqual([{ path: 'applications[2].environments', message: expect.stringContaining('at least one environment') }]);
  });

  test('rejects duplicate environment names at the later index', () => {
    const environments = [
      env(),
      env({ name: 'staging', kind: 'staging', branch: 'release' }),
      env({ branch: 'other', autoDeploy: false }),
    ];
    const issues = validateApplications([app({ environments })]);
    expect(issues).toHaveLength(1);
    expect(issues[0].path).toBe('applications[0].environments[2].name');
    expect(issues[0].message).toContain("'dev'");
    expect(issues[0].message).toContain('environments[0]');
  });

  test('rejects two auto-deploy environments on one branch in one application', () => {
    const environments = [
      env(),
      env({ name: 'qa', kind: 'staging', branch: 'main', autoDeploy: true }),
    ];
    const issues = validateApplications([app({ environments })]);
    expect(issues).toHaveLength(1);
    expect(issues[0].path).toBe('applications[0].environments[1].branch');
    expect(issues[0].message).toContain('environments[0]');
    expect(issues[0].message).toContain("'main'");
  });

  test('reports every extra auto-deploy environment on a shared branch against the first', () => {
    const environments = [
      env({ name: 'a', branch: 'main' }),
      env({ name: 'b', branch: 'develop' }),
      env({ name: 'c', branch: 'main' }),
      env({ name: 'd', branch: 'main' }),
    ];
    const issues = validateApplication(app({ environments }));
    expect(paths(issues)).toEqual(['application.environments[2].branch', 'application.environments[3].branch']);
    expect(issues.every(issue => issue.message.includes('environments[0]'))).toBe(true);
  });

  test('two applications may auto-deploy the same branch name', () => {
    const apps = [app(), app({ name: 'admin', repository: 'acme/shop' })];
    expect(validateApplications(apps)).toEqual([]);
  });
});

describe('validateEnvironment', () => {
  const at = 'applications[0].environments[1]';

  test('rejects production with autoDeploy', () => {
    const issues = validateEnvironment(env({ name: 'prod', kind: 'production', autoDeploy: true }), {}, at);
    expect(issues).toEqual([{ path: `${at}.autoDeploy`, message: expect.stringContaining('production') }]);
  });

  test('production autoDeploy is reported through the application path too', () => {
    const environments = [env(), env({ name: 'prod', kind: 'production', branch: 'release', autoDeploy: true })];
    const issues = validateApplications([app({ environments })]);
    expect(paths(issues)).toEqual([`${at}.autoDeploy`]);
  });

  test('artifact paths: relative, inside the repository, no node_modules or .git, with a deploy command of its own', () => {
    const custom = { kind: 'custom' as const, deploy: ['make', 'up'], remove: ['make', 'down'] };
    const artifactIssue = (artifact: string[], framework: object = custom) =>
      validateEnvironment(env({ framework: { ...framework, artifact } as never }), {}, at).map(issue => issue.message);
    expect(artifactIssue(['package.json', 'scripts/', './dist', 'a b/c.txt'])).toEqual([]);
    expect(artifactIssue(['dist'], { kind: 'cdk' })).toEqual([expect.stringContaining('need a configured deploy command')]);
    const refused: Array<[string[], string]> = [
      [[], 'at least one path'],
      [['/etc/passwd'], 'relative to the repository'],
      [['--checkpoint-action=exec=sh'], 'relative to the repository'],
      [['dist/../../x'], 'leaves the repository'],
      [['.', './'], 'names the whole repository'],
      [['node_modules/.bin'], 'node_modules is never stored'],
      [['.git/config'], 'git directory'],
      [['dist\\..\\x'], 'control characters or backslashes'],
      [['dist\nx'], 'control characters or backslashes'],
      [['x'.repeat(201)], '1 to 200 characters'],
      [Array.from({ length: 21 }, (_, i) => `p${i}`), 'at most 20 paths'],
    ];
    for (const [given, message] of refused) expect(artifactIssue(given)).toEqual([expect.stringContaining(message)]);
    expect(validateEnvironment(env({ framework: { ...custom, artifact: ['../x'] } }), {}, at)[0].path).toBe(`${at}.framework.artifact`);
  });

  test('rejects autoDeploy without a branch', () => {
    const issues = validateEnvironment(env({ branch: undefined, autoDeploy: true }), {}, at);
    expect(issues).toEqual([{ path: `${at}.autoDeploy`, message: expect.stringContaining('needs a branch') }]);
  });

  test('an environment without a branch is fine when it does not deploy on push', () => {
    expect(validateEnvironment(env({ branch: undefined, autoDeploy: false }))).toEqual([]);
  });

  test('rejects a bad environment name', () => {
    const issues = validateEnvironment(env({ name: 'Dev Env' }), {}, at);
    expect(issues).toEqual([{ path: `${at}.name`, message: expect.stringContaining("'Dev Env'") }]);
  });

  test('rejects a bad branch', () => {
    const issues = validateEnvironment(env({ branch: 'feature..x' }), {}, at);
    expect(issues).toEqual([{ path: `${at}.branch`, message: expect.stringContaining("'feature..x'") }]);
  });

  test('accepts a branch with slashes', () => {
    expect(validateEnvironment(env({ branch: 'feature/a/b' }))).toEqual([]);
  });

  test.each<[keyof EnvironmentConfig, string]>([
    ['region', 'EU-WEST-1'],
    ['region', 'mars-1'],
    ['account', '12345'],
    ['account', '1111-2222-3333'],
    ['deployRoleArn', 'arn:aws:iam::111122223333:user/deploy'],
    ['deployRoleArn', 'deploy'],
  ])('rejects %s %p', (field, value) => {
    const issues = validateEnvironment(env({ [field]: value }), {}, at);
    expect(issues).toEqual([{ path: `${at}.${field}`, message: expect.stringContaining(`'${value}'`) }]);
  });

  test('reports every bad field, not just the first', () => {
    const issues = validateEnvironment(env({
      name: '-x',
      region: 'nowhere',
      account: 'none',
      deployRoleArn: 'role',
      testCommand: [''],
    }), {}, at);
    expect(paths(issues).sort()).toEqual([
      `${at}.account`,
      `${at}.deployRoleArn`,
      `${at}.name`,
      `${at}.region`,
      `${at}.testCommand`,
    ]);
  });

  describe('testCommand', () => {
    test('an empty command is "auto" (the package\'s test script, if any); too many arguments are refused', () => {
      expect(validateEnvironment(env({ testCommand: [] }), {}, at)).toEqual([]);
      const issues = validateEnvironment(env({ testCommand: Array.from({ length: 65 }, () => 'x') }), {}, at);
      expect(issues).toEqual([{ path: `${at}.testCommand`, message: expect.stringContaining('1 to 64') }]);
    });

    test.each([
      [['npm', '']],
      [['']],
      [['npm', 'a'.repeat(1025)]],
      [['npm', 'te\0st']],
    ])('rejects arguments %j', testCommand => { // %j: JSON, so a NUL is \u0000 in the title (and the JUnit XML)
      const issues = validateEnvironment(env({ testCommand }), {}, at);
      expect(issues).toEqual([{ path: `${at}.testCommand`, message: expect.stringContaining('non-empty') }]);
    });

    test('rejects more than 64 arguments and accepts exactly 64', () => {
      expect(paths(validateEnvironment(env({ testCommand: Array(65).fill('x') }), {}, at))).toEqual([`${at}.testCommand`]);
      expect(validateEnvironment(env({ testCommand: Array(64).fill('x') }))).toEqual([]);
    });

    test('accepts an argument of exactly 1024 characters', () => {
      expect(validateEnvironment(env({ testCommand: ['echo', 'a'.repeat(1024)] }))).toEqual([]);
    });
  });

  describe('variables', () => {
    test.each(['TRELLIS_TOKEN', 'TRELLIS_', 'AWS_REGION', 'AWS_SECRET_ACCESS_KEY'])('rejects reserved name %p', name => {
      const issues = validateEnvironment(env({ variables: { OK: '1', [name]: 'x' } }), {}, at);
      expect(issues).toEqual([{ path: `${at}.variables.${name}`, message: expect.stringContaining('reserved') }]);
    });

    test.each(['TRELLIS', 'AWS', 'MY_AWS_REGION', 'aws_region'])('does not reserve %p', name => {
      expect(validateEnvironment(env({ variables: { [name]: 'x' } }))).toEqual([]);
    });

    test.each(['1ST', 'MY-VAR', 'MY VAR', 'A.B', ''])('rejects bad name %p', name => {
      const issues = validateEnvironment(env({ variables: { [name]: 'x' } }), {}, at);
      expect(issues).toEqual([{ path: `${at}.variables.${name}`, message: expect.stringContaining(`'${name}'`) }]);
    });

    test('a name that is both malformed and reserved gets both issues under one path', () => {
      const name = 'AWS_BAD-NAME';
      const issues = validateEnvironment(env({ variables: { [name]: 'x' } }), {}, at);
      expect(issues).toHaveLength(2);
      expect(new Set(paths(issues))).toEqual(new Set([`${at}.variables.${name}`]));
    });

    test('issues for one over-long reserved name share one path', () => {
      const name = `AWS_${'X'.repeat(200)}`;
      const issues = validateEnvironment(env({ variables: { [name]: 'x' } }), {}, at);
      expect(issues).toHaveLength(2);
      expect(new Set(paths(issues)).size).toBe(1);
    });

    test('control characters in a name do not reach the path', () => {
      const issues = validateEnvironment(env({ variables: { 'BAD\nNAME': 'x' } }), {}, at);
      expect(issues.length).toBeGreaterThan(0);
      for (const issue of issues) {
        expect(issue.path).toBe(`${at}.variables.BAD?NAME`);
      }
    });

    test('rejects values over 4096 characters or with NUL, accepts 4096', () => {
      const tooLong = validateEnvironment(env({ variables: { BIG: 'v'.repeat(4097) } }), {}, at);
      expect(tooLong).toEqual([{ path: `${at}.variables.BIG`, message: expect.stringContaining('4096') }]);
      const nul = validateEnvironment(env({ variables: { NUL: 'a\0b' } }), {}, at);
      expect(nul).toEqual([{ path: `${at}.variables.NUL`, message: expect.stringContaining('NUL') }]);
      expect(validateEnvironment(env({ variables: { BIG: 'v'.repeat(4096), EMPTY: '' } }))).toEqual([]);
    });

    test('rejects a value that is not a string (untrusted input)', () => {
      const variables = { PORT: 8080 } as unknown as Record<string, string>;
      const issues = validateEnvironment(env({ variables }), {}, at);
      expect(paths(issues)).toEqual([`${at}.variables.PORT`]);
    });
  });

  describe('healthCheck', () => {
    const check = (overrides: Partial<HealthCheckConfig> = {}): HealthCheckConfig => ({
      url: 'https://api.example.com/health', minStatus: 200, maxStatus: 399, timeoutSeconds: 10, retries: 3, intervalSeconds: 5, ...overrides,
    });
    const issuesOf = (overrides: Partial<HealthCheckConfig>) => validateEnvironment(env({ healthCheck: check(overrides) }), {}, at);

    test.each([
      ['the defaults', {}],
      ['a stack output instead of a URL', { url: undefined, stackOutput: 'ApiUrl' }],
      ['http with a port, path and query', { url: 'http://127.0.0.1:8080/health?deep=1' }],
      ['the widest limits', { minStatus: 100, maxStatus: 599, timeoutSeconds: 120, retries: 10, intervalSeconds: 300 }],
      ['the narrowest limits', { minStatus: 204, maxStatus: 204, timeoutSeconds: 1, retries: 0, intervalSeconds: 0 }],
      ['fractions of a second', { timeoutSeconds: 1.5, intervalSeconds: 0.25 }],
    ])('accepts %s', (_, overrides) => {
      expect(issuesOf(overrides)).toEqual([]);
    });

    test.each<[string, Partial<HealthCheckConfig>, string, string]>([
      ['neither url nor stackOutput', { url: undefined }, 'healthCheck', 'exactly one of url and stackOutput'],
      ['both url and stackOutput', { stackOutput: 'ApiUrl' }, 'healthCheck', 'exactly one of url and stackOutput'],
      ['an ftp URL', { url: 'ftp://example.com/' }, 'healthCheck.url', 'must be an http:// or https:// URL'],
      ['a host name without a scheme', { url: 'api.example.com/health' }, 'healthCheck.url', 'is not a URL'],
      ['a URL with spaces', { url: 'https://example.com/a b' }, 'healthCheck.url', 'spaces or control characters'],
      ['a URL with a password', { url: 'https://user:pw@example.com/' }, 'healthCheck.url', 'user name or password'],
      ['an output name with a hyphen', { url: undefined, stackOutput: 'Api-Url' }, 'healthCheck.stackOutput', 'CloudFormation output name'],
      ['an output name of 256 characters', { url: undefined, stackOutput: 'A'.repeat(256) }, 'healthCheck.stackOutput', 'CloudFormation output name'],
      ['minStatus below 100', { minStatus: 99 }, 'healthCheck.minStatus', 'from 100 to 599'],
      ['maxStatus above 599', { maxStatus: 600 }, 'healthCheck.maxStatus', 'from 100 to 599'],
      ['a fractional status', { minStatus: 200.5 }, 'healthCheck.minStatus', 'whole number'],
      ['maxStatus below minStatus', { minStatus: 300, maxStatus: 299 }, 'healthCheck.maxStatus', 'below minStatus 300'],
      ['a timeout under a second', { timeoutSeconds: 0.5 }, 'healthCheck.timeoutSeconds', '1 to 120 seconds, got 0.5'],
      ['a timeout over two minutes', { timeoutSeconds: 121 }, 'healthCheck.timeoutSeconds', '1 to 120 seconds'],
      ['negative retries', { retries: -1 }, 'healthCheck.retries', 'from 0 to 10'],
      ['eleven retries', { retries: 11 }, 'healthCheck.retries', 'from 0 to 10'],
      ['fractional retries', { retries: 1.5 }, 'healthCheck.retries', 'whole number'],
      ['a negative interval', { intervalSeconds: -1 }, 'healthCheck.intervalSeconds', '0 to 300 seconds'],
      ['an interval over five minutes', { intervalSeconds: 301 }, 'healthCheck.intervalSeconds', '0 to 300 seconds'],
      ['a timeout that is not a number', { timeoutSeconds: NaN }, 'healthCheck.timeoutSeconds', '1 to 120 seconds'],
    ])('rejects %s, naming the prop', (_, overrides, field, message) => {
      expect(issuesOf(overrides)).toEqual([{ path: `${at}.${field}`, message: expect.stringContaining(message) }]);
    });

    test('reports every bad field of the check at once', () => {
      expect(paths(issuesOf({ url: 'nope', minStatus: 1, retries: 99, intervalSeconds: 999 })).sort()).toEqual([
        `${at}.healthCheck.intervalSeconds`, `${at}.healthCheck.minStatus`, `${at}.healthCheck.retries`, `${at}.healthCheck.url`,
      ]);
    });

    test('a URL or output name known only at deploy time (a token) is not checked', () => {
      const context: ValidationContext = { isUnresolved: value => value.includes('${Token[') };
      const tokenUrl = env({ healthCheck: check({ url: 'https://${Token[TOKEN.7]}.execute-api.eu-west-1.amazonaws.com/' }) });
      expect(validateEnvironment(tokenUrl, context)).toEqual([]);
      expect(paths(validateEnvironment(tokenUrl))).toEqual(['environment.healthCheck.url']);
    });

    test('httpUrlProblem: the same rule for a URL read from a stack output', () => {
      expect(httpUrlProblem('https://d111.cloudfront.net')).toBeUndefined();
      expect(httpUrlProblem(`https://example.com/${'a'.repeat(2048)}`)).toContain('at most 2048');
      expect(httpUrlProblem('https://exa\nmple.com')).toContain('control characters');
    });
  });
});

describe('unresolved values (CDK tokens)', () => {
  const isToken = (value: string) => value.includes('${Token[');
  const context: ValidationContext = { isUnresolved: isToken };

  test('skip the format rules', () => {
    const tokenEnv = env({
      region: '${Token[AWS.Region.12]}',
      account: '${Token[AWS.AccountId.7]}',
      deployRoleArn: '${Token[TOKEN.42]}',
      branch: '${Token[TOKEN.43]}',
    });
    expect(validateEnvironment(tokenEnv, context)).toEqual([]);
    expect(validateApplication(app({ repository: '${Token[TOKEN.44]}', environments: [tokenEnv] }), context)).toEqual([]);
  });

  test('are still rejected without the context, so the context is what skips them', () => {
    const issues = validateEnvironment(env({ region: '${Token[AWS.Region.12]}' }));
    expect(paths(issues)).toEqual(['environment.region']);
  });

  test('only the unresolved values are skipped', () => {
    const issues = validateEnvironment(env({ region: '${Token[AWS.Region.12]}', account: 'abc' }), context, 'e');
    expect(paths(issues)).toEqual(['e.account']);
  });

  test('do not switch off the structural rules', () => {
    const issues = validateEnvironment(env({ kind: 'production', branch: '${Token[TOKEN.1]}', autoDeploy: true, testCommand: [''] }), context, 'e');
    expect(paths(issues).sort()).toEqual(['e.autoDeploy', 'e.testCommand']);
  });

  test('reach nested environments through validateApplications', () => {
    const apps = [app({ environments: [env({ region: '${Token[AWS.Region.12]}' })] })];
    expect(validateApplications(apps, context)).toEqual([]);
    expect(paths(validateApplications(apps))).toEqual(['applications[0].environments[0].region']);
  });
});

describe('default paths', () => {
  test('validateApplication and validateEnvironment name their root', () => {
    expect(paths(validateApplication(app({ name: 'X' })))).toEqual(['application.name']);
    expect(paths(validateEnvironment(env({ name: 'X' })))).toEqual(['environment.name']);
  });
});

describe('parseApplications: healthCheck', () => {
  const parse = (healthCheck: unknown) => parseApplications([{
    name: 'shop', repository: 'acme/shop', environments: [{ name: 'dev', kind: 'development', branch: 'main', healthCheck }],
  }]);
  /** The issues of a rejected parse. */
  const rejected = (healthCheck: unknown): ValidationIssue[] => {
    try {
      parse(healthCheck);
    } catch (error) {
      if (error instanceof ValidationError) return [...error.issues];
      throw error;
    }
    throw new Error('parse accepted it');
  };
  const at = 'applications[0].environments[0].healthCheck';

  test('fills in the defaults', () => {
    expect(parse({ url: 'https://api.example.com/health' })[0].environments[0].healthCheck).toEqual({
      url: 'https://api.example.com/health', stackOutput: undefined, minStatus: 200, maxStatus: 399, timeoutSeconds: 10, retries: 3, intervalSeconds: 5,
    });
  });

  test('keeps what is given', () => {
    const given = { stackOutput: 'ApiUrl', minStatus: 200, maxStatus: 299, timeoutSeconds: 3, retries: 0, intervalSeconds: 1 };
    expect(parse(given)[0].environments[0].healthCheck).toEqual({ url: undefined, ...given });
  });

  test('absent or null: no health check', () => {
    expect(parse(undefined)[0].environments[0].healthCheck).toBeUndefined();
    expect(parse(null)[0].environments[0].healthCheck).toBeUndefined();
  });

  test.each<[string, unknown, string, string]>([
    ['not an object', 'https://api.example.com', at, 'must be an object'],
    ['a number given as a string', { url: 'https://a.example.com', retries: '3' }, `${at}.retries`, 'must be a number'],
    ['a url that is not a string', { url: 42 }, `${at}.url`, 'must be a string'],
    ['a misspelt field', { url: 'https://a.example.com', timeout: 5 }, `${at}.timeout`, 'did you mean `timeoutSeconds`?'],
    ['a field nothing is close to', { url: 'https://a.example.com', method: 'POST' }, `${at}.method`, 'the fields are url, stackOutput, minStatus'],
    ['a rule broken after parsing', { url: 'https://a.example.com', maxStatus: 100 }, `${at}.maxStatus`, 'below minStatus 200'],
    ['neither url nor stackOutput', {}, at, 'exactly one of url and stackOutput'],
  ])('rejects %s, naming the field', (_, healthCheck, path, message) => {
    expect(rejected(healthCheck)).toEqual([{ path, message: expect.stringContaining(message) }]);
  });
});

describe('validateEnvironment: CDK stacks', () => {
  const at = 'applications[0].environments[0]';
  const issuesOf = (stacks: string[]) => validateEnvironment(env({ stacks }), {}, at);

  test.each([[['*']], [['shop-{stage}-*', 'Shared']], [['Prod/Api', 'a.b_c-*']]])('accepts %j', stacks => {
    expect(issuesOf(stacks)).toEqual([]);
  });

  test.each([
    [[], `${at}.stacks`, 'must have 1 to 50 patterns'],
    [['shop dev'], `${at}.stacks[0]`, 'may contain letters, digits, -, _, ., /, * and {stage} only'],
    [['*', '$(reboot)'], `${at}.stacks[1]`, 'may contain letters'],
    [['{env}-*'], `${at}.stacks[0]`, 'may contain letters'],
    [[''], `${at}.stacks[0]`, 'must be 1 to 256 characters'],
    [['x'.repeat(257)], `${at}.stacks[0]`, 'must be 1 to 256 characters'],
  ])('refuses %j, naming the pattern', (stacks, path, message) => {
    expect(issuesOf(stacks)).toEqual([{ path, message: expect.stringContaining(message) }]);
  });

  test('the local config file parses a list of strings, and refuses anything else naming the field', () => {
    const withStacks = (stacks: unknown) => ({ name: 'shop', repository: 'acme/shop', environments: [{ name: 'dev', stacks }] });
    expect(parseApplications([withStacks(['shop-{stage}'])])[0].environments[0].stacks).toEqual(['shop-{stage}']);
    expect(() => parseApplications([withStacks('shop-*')])).toThrow(/applications\[0\]\.environments\[0\]\.stacks: must be a list of strings/);
  });
});
