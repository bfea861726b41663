import { formatIssue, formatIssueAs } from '../../src/runtime/core/errors';
import { NameForm, nameFormOfAgent, pascalCase, propPathAs, snakeCase } from '../../src/runtime/core/name-forms';

describe('nameFormOfAgent: JSII_AGENT as each jsii host sets it', () => {
  test.each<[string | undefined, NameForm]>([
    // Python's runtime: f"Python/{platform.python_version()}"
    ['Python/3.11.9', 'snake'],
    ['Python/3.13.0rc1', 'snake'],
    // Java's: String.format("Java/%s", System.getProperty("java.version"))
    ['Java/17.0.13', 'camel'],
    ['Java/21', 'camel'],
    // .NET's: "DotNet/{0}/{1}/{2}"; Go's: runtime.Version()/GOOS/GOARCH
    ['DotNet/8.0.11/.NETCoreApp,Version=v8.0/1.0.0.0', 'pascal'],
    ['go1.22.5/linux/amd64', 'pascal'],
    // Node itself sets none: TypeScript or JavaScript.
    [undefined, 'camel'],
    ['', 'camel'],
    // A host this code does not know: both forms.
    ['Rust/1.80.0', 'both'],
    ['python/3.11', 'both'],
    ['node.js/v22.12.0', 'both'],
  ])('%s -> %s', (agent, form) => {
    expect(nameFormOfAgent(agent)).toBe(form);
  });
});

describe('snakeCase follows jsii-pacmak\'s Python names', () => {
  test.each<[string, string]>([
    ['autoDeploy', 'auto_deploy'],
    ['rootDirectory', 'root_directory'],
    ['name', 'name'],
    ['deployRoleArn', 'deploy_role_arn'],
    ['webSocketUrl', 'web_socket_url'],
    ['s3Bucket', 's3_bucket'],
    ['ipv6Enabled', 'ipv6_enabled'],
    ['jwksURL', 'jwks_url'],
    ['URLPrefix', 'url_prefix'],
    ['memoryLimitMiB', 'memory_limit_mib'],
    ['ephemeralStorageGiB', 'ephemeral_storage_gib'],
    ['cacheKiBPerBuild', 'cache_kib_per_build'],
    ['timeoutSeconds', 'timeout_seconds'],
    // Python keywords get jsii's trailing underscore; other names that merely contain one do not.
    ['from', 'from_'],
    ['lambda', 'lambda_'],
    ['import', 'import_'],
    ['fromAddress', 'from_address'],
    ['protected', 'protected'],
  ])('%s -> %s', (name, snake) => {
    expect(snakeCase(name)).toBe(snake);
  });
});

test('pascalCase upper-cases the first letter only, as jsii does for C# and Go', () => {
  expect(['autoDeploy', 'memoryLimitMiB', 'name', 'jwksURL'].map(pascalCase)).toEqual(['AutoDeploy', 'MemoryLimitMiB', 'Name', 'JwksURL']);
});

describe('propPathAs renames each prop of a path, never an index or a map key', () => {
  const cases: Array<[string, string, string, string]> = [
    // path, snake, pascal, both
    ['autoDeploy', 'auto_deploy', 'AutoDeploy', 'autoDeploy (auto_deploy)'],
    ['applications[0].environments[1].rootDirectory', 'applications[0].environments[1].root_directory',
      'Applications[0].Environments[1].RootDirectory', 'applications[0].environments[1].rootDirectory (applications[0].environments[1].root_directory)'],
    ['applications[12].environments[3].healthCheck.timeoutSeconds', 'applications[12].environments[3].health_check.timeout_seconds',
      'Applications[12].Environments[3].HealthCheck.TimeoutSeconds',
      'applications[12].environments[3].healthCheck.timeoutSeconds (applications[12].environments[3].health_check.timeout_seconds)'],
    ['applications[0].environments[0].stacks[4]', 'applications[0].environments[0].stacks[4]', 'Applications[0].Environments[0].Stacks[4]',
      'applications[0].environments[0].stacks[4]'],
    // A variable's name is the user's data: kept, whatever it looks like.
    ['applications[0].environments[2].variables.apiBaseUrl', 'applications[0].environments[2].variables.apiBaseUrl',
      'Applications[0].Environments[2].Variables.apiBaseUrl', 'applications[0].environments[2].variables.apiBaseUrl'],
    ['applications[0].environments[2].variables.some.dottedKey', 'applications[0].environments[2].variables.some.dottedKey',
      'Applications[0].Environments[2].Variables.some.dottedKey', 'applications[0].environments[2].variables.some.dottedKey'],
    ['buildServer.memoryLimitMiB', 'build_server.memory_limit_mib', 'BuildServer.MemoryLimitMiB', 'buildServer.memoryLimitMiB (build_server.memory_limit_mib)'],
    ['callbackUrls[2]', 'callback_urls[2]', 'CallbackUrls[2]', 'callbackUrls[2] (callback_urls[2])'],
    ['framework.install', 'framework.install', 'Framework.Install', 'framework.install'],
    // Not a plain name (an unknown key as printed, quoted): left alone.
    ["applications[0].'bad key'", "applications[0].'bad key'", "Applications[0].'bad key'", "applications[0].'bad key'"],
    ['', '', '', ''],
  ];
  test.each(cases)('%s', (path, snake, pascal, both) => {
    expect(propPathAs(path, 'camel')).toBe(path);
    expect(propPathAs(path, 'snake')).toBe(snake);
    expect(propPathAs(path, 'pascal')).toBe(pascal);
    expect(propPathAs(path, 'both')).toBe(both);
  });
});

describe('formatIssueAs renders the path only; formatIssue keeps JSON names', () => {
  const issue = { path: 'applications[0].environments[1].autoDeploy', message: 'production never deploys on push; remove autoDeploy' };
  test.each<[NameForm, string]>([
    ['camel', 'applications[0].environments[1].autoDeploy: production never deploys on push; remove autoDeploy'],
    ['snake', 'applications[0].environments[1].auto_deploy: production never deploys on push; remove autoDeploy'],
    ['pascal', 'Applications[0].Environments[1].AutoDeploy: production never deploys on push; remove autoDeploy'],
    ['both', 'applications[0].environments[1].autoDeploy (applications[0].environments[1].auto_deploy): production never deploys on push; remove autoDeploy'],
  ])('%s', (form, text) => {
    expect(formatIssueAs(issue, form)).toBe(text);
  });

  test('runtime messages (formatIssue) are unchanged whatever JSII_AGENT says', () => {
    const saved = process.env.JSII_AGENT;
    process.env.JSII_AGENT = 'Python/3.12.3';
    try {
      expect(formatIssue(issue)).toBe('applications[0].environments[1].autoDeploy: production never deploys on push; remove autoDeploy');
    } finally {
      if (saved === undefined) delete process.env.JSII_AGENT;
      else process.env.JSII_AGENT = saved;
    }
  });
});
