import { Duration } from 'aws-cdk-lib';
import { newStack } from './stack-fixtures';
import { DashboardIdentity, DeploymentEnvironment, TrellisPipeline, WebSocketAuthentication } from '../../src';

/**
 * Synth-time validation errors name each prop the way the user's language spells it. The jsii
 * host that runs the library sets JSII_AGENT for the Node process (Python's runtime
 * `Python/<version>`, Java's `Java/<version>`); plain Node sets none.
 */
function withAgent<T>(agent: string | undefined, run: () => T): T {
  const saved = process.env.JSII_AGENT;
  if (agent === undefined) delete process.env.JSII_AGENT;
  else process.env.JSII_AGENT = agent;
  try {
    return run();
  } finally {
    if (saved === undefined) delete process.env.JSII_AGENT;
    else process.env.JSII_AGENT = saved;
  }
}

function messageOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected a validation error');
}

const PYTHON = 'Python/3.11.9';
const JAVA = 'Java/17.0.13';
const UNKNOWN = 'Rust/1.80.0';

function addBadApplication(): void {
  const pipeline = new TrellisPipeline(newStack(), 'Trellis');
  pipeline.addApplication({
    name: 'shop',
    repository: 'acme/shop',
    rootDirectory: '/abs',
    environments: [
      DeploymentEnvironment.development(),
      DeploymentEnvironment.custom({ name: 'preview', autoDeploy: true, variables: { apiBaseUrl: 'x'.repeat(5000) } }),
    ],
  });
}

describe('TrellisPipeline.addApplication', () => {
  test('Python: snake_case props, indexes and variable names as written', () => {
    const message = withAgent(PYTHON, () => messageOf(addBadApplication));
    expect(message).toMatch(/^TrellisPipeline TestStack\/Trellis: invalid configuration/);
    expect(message).toContain('\n  applications[0].root_directory: ');
    expect(message).toContain('\n  applications[0].environments[1].auto_deploy: an environment that deploys on push needs a branch');
    expect(message).toContain('\n  applications[0].environments[1].variables.apiBaseUrl: value must be');
    expect(message).not.toMatch(/rootDirectory:|autoDeploy:/);
  });

  test.each([['Java', JAVA], ['TypeScript (no JSII_AGENT)', undefined]])('%s: camelCase props', (_language, agent) => {
    const message = withAgent(agent, () => messageOf(addBadApplication));
    expect(message).toContain('\n  applications[0].rootDirectory: ');
    expect(message).toContain('\n  applications[0].environments[1].autoDeploy: an environment that deploys on push needs a branch');
    expect(message).toContain('\n  applications[0].environments[1].variables.apiBaseUrl: value must be');
    expect(message).not.toMatch(/_directory|auto_deploy/);
  });

  test('a host it does not know: both forms', () => {
    const message = withAgent(UNKNOWN, () => messageOf(addBadApplication));
    expect(message).toContain('\n  applications[0].environments[1].autoDeploy (applications[0].environments[1].auto_deploy): an environment');
    expect(message).toContain('\n  applications[0].rootDirectory (applications[0].root_directory): ');
  });

  test('the error keeps the issues with their JSON paths, for code that reads them', () => {
    const error = withAgent(PYTHON, () => {
      try {
        addBadApplication();
      } catch (caught) {
        return caught as { issues: Array<{ path: string }> };
      }
      throw new Error('expected a validation error');
    });
    expect(error.issues.map(issue => issue.path)).toContain('applications[0].environments[1].autoDeploy');
  });
});

describe('factories name their options the same way', () => {
  const oidc = () => DashboardIdentity.oidc({
    issuer: 'https://login.example.com',
    clientId: ' ',
    authorizeUrl: 'https://login.example.com/authorize',
    tokenUrl: 'https://login.example.com/token',
    jwksUrl: 'not a url',
  });
  const jwt = () => WebSocketAuthentication.jwt({ issuer: 'https://login.example.com', audiences: ['a', ''], jwksUrl: 'ftp://keys' });

  test.each<[string, string | undefined, string[]]>([
    ['Python', PYTHON, ['\n  client_id: must not be empty', '\n  jwks_url: ']],
    ['Java', JAVA, ['\n  clientId: must not be empty', '\n  jwksUrl: ']],
    ['TypeScript', undefined, ['\n  clientId: must not be empty', '\n  jwksUrl: ']],
  ])('DashboardIdentity.oidc, %s', (_language, agent, expected) => {
    const message = withAgent(agent, () => messageOf(oidc));
    for (const text of expected) expect(message).toContain(text);
  });

  test.each<[string, string | undefined, string]>([
    ['Python', PYTHON, '\n  jwks_url: '],
    ['Java', JAVA, '\n  jwksUrl: '],
    ['unknown', UNKNOWN, '\n  jwksUrl (jwks_url): '],
  ])('WebSocketAuthentication.jwt, %s', (_language, agent, expected) => {
    const message = withAgent(agent, () => messageOf(jwt));
    expect(message).toContain(expected);
    expect(message).toContain('\n  audiences[1]: ');
  });
});

describe('options of the parts, through TrellisPipeline', () => {
  test.each<[string, string | undefined, string, string]>([
    ['Python', PYTHON, 'artifact_expiration must be at least 1 day', '\n  retention: '],
    ['Java', JAVA, 'artifactExpiration must be at least 1 day', '\n  retention: '],
    ['unknown', UNKNOWN, 'artifactExpiration (artifact_expiration) must be at least 1 day', '\n  retention: '],
  ])('%s', (_language, agent, expiration, retention) => {
    expect(withAgent(agent, () => messageOf(() => new TrellisPipeline(newStack(), 'Trellis', { buildServer: { artifactExpiration: Duration.hours(12) } }))))
      .toContain(expiration);
    expect(withAgent(agent, () => messageOf(() => new TrellisPipeline(newStack(), 'Trellis', { logs: { retention: Duration.hours(36) } }))))
      .toMatch(new RegExp(`^BuildLogStream [^\\n]*: invalid configuration${retention}`));
  });
});
