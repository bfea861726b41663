import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { shopInstallation } from './stack-fixtures';
import { DashboardIdentity, GitHubApp, TrellisPipeline, TrellisPipelineProps } from '../../src';
import { LOG_SETTINGS } from '../../src/contract/log-settings';
import { GITHUB_REPORT_DIMENSION_SETS, METRIC_NAMES, METRIC_NAMESPACE } from '../../src/runtime/core/metrics';
import { iamGlobMatches } from '../security/support/iam-glob';
import { FoundStatement, TemplateJson, arnText, iamStatements, statementsOfRole } from '../security/support/iam-policies';
import { synthesizedOnce } from '../support/synth-cache';

/**
 * The GitHub App's wiring: which function reads which of the App's secrets (and nothing more),
 * the two functions that act as the App, the table's stream, the public routes, and the build
 * roles that never see the App's credentials. Without `github` nothing of it exists.
 */

const ACCOUNT_ARN = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret';
const CREDENTIALS_ARN = `${ACCOUNT_ARN}:github/trellis-app-AbCdEf`;
const WEBHOOK_SECRET_ARN = `${ACCOUNT_ARN}:github/trellis-app-webhook-GhIjKl`;
/** The setup page's secrets of installation acme, as Secrets Manager names their ARNs (a random suffix). */
const STORED = {
  credentials: `${ACCOUNT_ARN}:trellis/acme/github-app-Xy12Z3`,
  webhookSecret: `${ACCOUNT_ARN}:trellis/acme/github-app-webhook-secret-Xy12Z3`,
  signingKey: `${ACCOUNT_ARN}:trellis/acme/session-signing-key-Xy12Z3`,
};
/** The patterns the grants use for them. */
const PATTERNS = {
  credentials: `${ACCOUNT_ARN}:trellis/acme/github-app-??????`,
  webhookSecret: `${ACCOUNT_ARN}:trellis/acme/github-app-webhook-secret-??????`,
  signingKey: `${ACCOUNT_ARN}:trellis/acme/session-signing-key-??????`,
};

const setupPage = () => synthesizedOnce('shop, acme, GitHub App from the setup page of acme-org', () => shopInstallation({
  github: GitHubApp.fromSetupPage({ organization: 'acme-org' }),
}));

/** An App made by hand, its secrets given by complete ARN, and sign in with GitHub. */
function givenSecretsInstallation(props: Partial<TrellisPipelineProps> = {}) {
  const stack = new Stack(undefined, 'Secrets', { env: { account: '111122223333', region: 'eu-west-1' } });
  return {
    credentials: secretsmanager.Secret.fromSecretCompleteArn(stack, 'Credentials', CREDENTIALS_ARN),
    webhookSecret: secretsmanager.Secret.fromSecretCompleteArn(stack, 'WebhookSecret', WEBHOOK_SECRET_ARN),
    props,
  };
}
const fromSecrets = () => synthesizedOnce('shop, acme, GitHub App from secrets, sign in with GitHub', () => {
  const { credentials, webhookSecret } = givenSecretsInstallation();
  return shopInstallation({
    github: GitHubApp.fromSecrets({ credentials, webhookSecret, apiUrl: 'https://github.acme.com/api/v3', webUrl: 'https://github.acme.com/' }),
    dashboard: {
      identity: DashboardIdentity.gitHub({
        roles: [{ organization: 'acme', role: 'viewer' }, { organization: 'acme', team: 'platform', role: 'admin' }],
      }),
    },
  });
});

function functionNamed(template: Template, description: RegExp): { id: string; properties: any } {
  const found = Object.entries(template.findResources('AWS::Lambda::Function'))
    .filter(([, resource]) => description.test(resource.Properties.Description ?? ''));
  expect(found).toHaveLength(1);
  return { id: found[0][0], properties: found[0][1].Properties };
}

const REPOSITORY_TOKEN = /a GitHub App token for exactly one build/;
const REPORTER = /commit statuses and GitHub Deployments/;
const WEBHOOK = /verifies GitHub webhooks/;
const CONTROL_API = /control API of the dashboard/;

/** The statements of a function's role, from the template. */
function statementsOfFunction(template: Template, description: RegExp): FoundStatement[] {
  const { properties } = functionNamed(template, description);
  const role = `<${properties.Role['Fn::GetAtt'][0]}>`;
  return iamStatements(template.toJSON() as TemplateJson).filter(statement => statement.roles.includes(role));
}

/** The statements that name Secrets Manager actions. */
function secretStatements(statements: FoundStatement[]): Array<{ actions: string[]; resources: string[] }> {
  return statements
    .filter(statement => statement.actions.some(action => action.startsWith('secretsmanager:')))
    .map(statement => ({ actions: [...statement.actions].sort(), resources: [...statement.resources].sort() }));
}

/** Whether any Allow statement lets `actions`' first match on `arn`. */
function allows(statements: FoundStatement[], action: string, arn: string): boolean {
  return statements.some(statement => statement.effect === 'Allow'
    && statement.actions.some(pattern => iamGlobMatches(pattern, action))
    && statement.resources.some(pattern => iamGlobMatches(pattern, arn)));
}

describe('without github', () => {
  const { template } = shopInstallation();

  test('no App: no stream, no repository-token or reporter function, no GitHub variables or routes', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', { StreamSpecification: Match.absent() });
    template.resourcePropertiesCountIs('AWS::Lambda::EventSourceMapping', { EventSourceArn: Match.objectLike({ 'Fn::GetAtt': Match.arrayWith(['StreamArn']) }) }, 0);
    const descriptions = Object.values(template.findResources('AWS::Lambda::Function')).map(resource => resource.Properties.Description ?? '');
    expect(descriptions.filter(text => REPOSITORY_TOKEN.test(text) || REPORTER.test(text))).toEqual([]);
    expect(JSON.stringify(template.toJSON())).not.toMatch(/GITHUB_|TRELLIS_REPOSITORY_TOKEN_FUNCTION|github-app|\/auth\/github|app-created/);
  });
});

describe('GitHubApp.fromSetupPage', () => {
  test('the table streams changes with old and new images', () => {
    setupPage().template.hasResourceProperties('AWS::DynamoDB::Table', { StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' } });
  });

  test('each function acting as the App knows where GitHub and the credentials are; the webhook knows the webhook secret only', () => {
    const { template } = setupPage();
    const github = { GITHUB_API_URL: 'https://api.github.com', GITHUB_WEB_URL: 'https://github.com', GITHUB_APP_SECRET: 'trellis/acme/github-app' };
    const variables = (description: RegExp) => functionNamed(template, description).properties.Environment.Variables;
    expect(variables(REPOSITORY_TOKEN)).toEqual({ ...github, TABLE_NAME: expect.anything(), TRELLIS_INSTALLATION: 'acme' });
    expect(variables(REPORTER)).toEqual({ ...github, TABLE_NAME: expect.anything(), TRELLIS_INSTALLATION: 'acme', DASHBOARD_URL: expect.anything() });
    expect(arnText(variables(REPORTER).DASHBOARD_URL)).toMatch(/^https:\/\/<TrellisDashboardDistribution\w+\.DomainName>$/);
    const webhook = variables(WEBHOOK);
    expect(webhook.GITHUB_APP_WEBHOOK_SECRET).toBe('trellis/acme/github-app-webhook-secret');
    expect(Object.keys(webhook).filter(name => name.startsWith('GITHUB_'))).toEqual(['GITHUB_APP_WEBHOOK_SECRET']);
    const api = variables(CONTROL_API);
    expect(api).toMatchObject({ ...github, GITHUB_APP_WEBHOOK_SECRET: 'trellis/acme/github-app-webhook-secret', GITHUB_ORGANIZATION: 'acme-org' });
    expect(api.GITHUB_APP_ORIGIN).toBeUndefined();
    expect(arnText(api.GITHUB_WEBHOOK_URL)).toMatch(/^<TrellisWebhookApi\w+\.ApiEndpoint>\/webhook$/);
    expect(arnText(api.TRELLIS_API_URL)).toMatch(/^<TrellisDashboardApi\w+\.ApiEndpoint>$/);
    expect(api.GITHUB_SIGN_IN_ISSUER).toBeUndefined();
  });

  test('secrets: each function gets exactly the App secrets it needs, by their names\' ARN patterns', () => {
    const { template } = setupPage();
    expect(secretStatements(statementsOfFunction(template, REPOSITORY_TOKEN))).toEqual([{ actions: ['secretsmanager:GetSecretValue'], resources: [PATTERNS.credentials] }]);
    expect(secretStatements(statementsOfFunction(template, REPORTER))).toEqual([{ actions: ['secretsmanager:GetSecretValue'], resources: [PATTERNS.credentials] }]);
    const webhook = secretStatements(statementsOfFunction(template, WEBHOOK));
    expect(webhook).toContainEqual({ actions: ['secretsmanager:GetSecretValue'], resources: [PATTERNS.webhookSecret] });
    expect(webhook.flatMap(statement => statement.resources).filter(resource => resource.includes('github-app'))).toEqual([PATTERNS.webhookSecret]);
    const api = secretStatements(statementsOfFunction(template, CONTROL_API));
    expect(api).toContainEqual({
      actions: ['secretsmanager:CreateSecret', 'secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue'],
      resources: [PATTERNS.credentials, PATTERNS.webhookSecret],
    });
    // No sign in with GitHub here: the signing key is not the API's to touch.
    expect(api.flatMap(statement => statement.resources).filter(resource => resource.includes('session-signing-key'))).toEqual([]);
  });

  test('the setup page\'s patterns match the stored secrets and not one another', () => {
    expect(iamGlobMatches(PATTERNS.credentials, STORED.credentials)).toBe(true);
    expect(iamGlobMatches(PATTERNS.credentials, STORED.webhookSecret)).toBe(false);
    expect(iamGlobMatches(PATTERNS.webhookSecret, STORED.webhookSecret)).toBe(true);
    expect(iamGlobMatches(PATTERNS.webhookSecret, STORED.credentials)).toBe(false);
  });

  test('the table: the token function reads configuration and deployment items, the reporter also writes the GitHub Deployment\'s id of deployment items and a preview\'s record of environment items; no index, no other item', () => {
    const { template, pipeline } = setupPage();
    const table = `<${Stack.of(pipeline).resolve((pipeline.table.table.node.defaultChild as any).logicalId)}.Arn>`;
    const dynamo = (description: RegExp) => statementsOfFunction(template, description)
      .filter(statement => statement.actions.some(action => action.startsWith('dynamodb:')))
      .map(({ actions, resources, conditions }) => ({ actions, resources, conditions }));
    const leadingKeys = (keys: string[]) => ({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': keys } });
    expect(dynamo(REPOSITORY_TOKEN)).toEqual([{ actions: ['dynamodb:GetItem', 'dynamodb:Query'], resources: [table], conditions: leadingKeys(['CONFIG', 'DEP#*']) }]);
    expect(dynamo(REPORTER)).toEqual([
      { actions: ['dynamodb:GetItem'], resources: [table], conditions: leadingKeys(['CONFIG', 'DEP#*']) },
      {
        actions: ['dynamodb:UpdateItem'],
        resources: [table],
        conditions: {
          ...leadingKeys(['DEP#*']),
          'ForAllValues:StringEquals': { 'dynamodb:Attributes': ['PK', 'SK', 'githubDeploymentId'] },
          'StringEqualsIfExists': { 'dynamodb:ReturnValues': ['NONE', 'UPDATED_OLD', 'UPDATED_NEW'] },
        },
      },
      {
        actions: ['dynamodb:UpdateItem'],
        resources: [table],
        conditions: {
          ...leadingKeys(['CONFIG']),
          'ForAllValues:StringEquals': { 'dynamodb:Attributes': ['PK', 'SK', 'preview'] },
          'StringEqualsIfExists': { 'dynamodb:ReturnValues': ['NONE', 'UPDATED_OLD', 'UPDATED_NEW'] },
        },
      },
      { actions: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'], resources: [table.replace('.Arn>', '.StreamArn>')], conditions: {} },
    ]);
  });

  test('the two new functions\' policies have no wildcard resource at all', () => {
    const { template } = setupPage();
    for (const description of [REPOSITORY_TOKEN, REPORTER]) {
      const resources = statementsOfFunction(template, description).flatMap(statement => statement.resources);
      expect(resources.length).toBeGreaterThan(0);
      expect(resources.filter(resource => resource.includes('*'))).toEqual([]);
    }
  });

  test('the reporter reads pushed deployments from the stream, with bounded retries that never block it', () => {
    const { template } = setupPage();
    const reporter = functionNamed(template, REPORTER).id;
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: reporter },
      EventSourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^TrellisTable'), 'StreamArn'] },
      StartingPosition: 'LATEST',
      BatchSize: 3,
      MaximumRetryAttempts: 2,
      BisectBatchOnFunctionError: true,
      MaximumRecordAgeInSeconds: 3600,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    const [mapping] = Object.values(template.findResources('AWS::Lambda::EventSourceMapping', { Properties: { FunctionName: { Ref: reporter } } }));
    const patterns = mapping.Properties.FilterCriteria.Filters.map((filter: { Pattern: string }) => JSON.parse(filter.Pattern));
    expect(patterns).toEqual([{
      eventName: ['INSERT', 'MODIFY'],
      dynamodb: {
        Keys: { PK: { S: [{ prefix: 'DEP#' }] }, SK: { S: ['DEP'] } },
        NewImage: { action: { S: [{ 'anything-but': ['teardown'] }] } },
      },
    }]);
  });

  test('builds learn the token function\'s name; every build role may invoke it and the live log function, nothing else', () => {
    const { template, pipeline } = setupPage();
    const tokenFunction = functionNamed(template, REPOSITORY_TOKEN).id;
    const container = template.findResources('AWS::ECS::TaskDefinition');
    const environment = (Object.values(container)[0] as any).Properties.ContainerDefinitions[0].Environment;
    expect(environment).toContainEqual({ Name: 'TRELLIS_REPOSITORY_TOKEN_FUNCTION', Value: { Ref: tokenFunction } });
    // github.com is the builder's default host to clone from: no setting for it.
    expect(environment.map((variable: { Name: string }) => variable.Name)).not.toContain('TRELLIS_GITHUB_WEB_URL');
    for (const env of ['dev', 'staging', 'production']) {
      const invoked = statementsOfRole(template.toJSON() as TemplateJson, pipeline.buildServer.buildRole('shop', env))
        .filter(statement => statement.actions.includes('lambda:InvokeFunction'))
        .flatMap(statement => statement.resources);
      expect(invoked.sort()).toEqual([`<${tokenFunction}.Arn>`, expect.stringMatching(/^<TrellisLogsIngest\w+\.Arn>$/)].sort());
    }
  });

  test('build roles are refused the App\'s credentials, its webhook secret and the session signing key', () => {
    const { template, pipeline } = setupPage();
    for (const env of ['dev', 'staging', 'production']) {
      const statements = statementsOfRole(template.toJSON() as TemplateJson, pipeline.buildServer.buildRole('shop', env));
      // The check can see a grant: the role reads its own environment's secret.
      expect(allows(statements, 'secretsmanager:GetSecretValue', `${ACCOUNT_ARN}:trellis/acme/shop/${env}-Xy12Z3`)).toBe(true);
      for (const arn of Object.values(STORED)) {
        for (const action of ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret', 'secretsmanager:PutSecretValue']) {
          expect({ env, arn, action, allowed: allows(statements, action, arn) }).toEqual({ env, arn, action, allowed: false });
        }
      }
    }
  });

  test('the App-created callback is a public GET route; there is no sign-in route without DashboardIdentity.gitHub', () => {
    const { template } = setupPage();
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'GET /github/app-created', AuthorizationType: 'NONE' });
    template.resourcePropertiesCountIs('AWS::ApiGatewayV2::Route', { RouteKey: 'GET /auth/github/{proxy+}' }, 0);
    template.resourcePropertiesCountIs('AWS::ApiGatewayV2::Route', { RouteKey: 'POST /auth/github/token' }, 0);
  });

  test('the dashboard\'s pages may post the manifest form to GitHub', () => {
    const { template } = setupPage();
    const [policy] = Object.values(template.findResources('AWS::CloudFront::ResponseHeadersPolicy'));
    const csp = policy.Properties.ResponseHeadersPolicyConfig.SecurityHeadersConfig.ContentSecurityPolicy.ContentSecurityPolicy;
    expect(arnText(csp)).toMatch(/form-action 'self' https:\/\/github\.com(;|$)/);
  });
});

describe('GitHubApp.fromSecrets and DashboardIdentity.gitHub', () => {
  test('the functions find the given secrets by ARN, at the Enterprise Server given', () => {
    const { template } = fromSecrets();
    const variables = (description: RegExp) => functionNamed(template, description).properties.Environment.Variables;
    for (const description of [REPOSITORY_TOKEN, REPORTER, CONTROL_API]) {
      expect(variables(description)).toMatchObject({
        GITHUB_API_URL: 'https://github.acme.com/api/v3', GITHUB_WEB_URL: 'https://github.acme.com', GITHUB_APP_SECRET: CREDENTIALS_ARN,
      });
    }
    expect(variables(WEBHOOK).GITHUB_APP_WEBHOOK_SECRET).toBe(WEBHOOK_SECRET_ARN);
    expect(variables(WEBHOOK).GITHUB_APP_SECRET).toBeUndefined();
    // The setup page is told the App is the user's: it offers neither to create nor to replace it.
    expect(variables(CONTROL_API).GITHUB_APP_ORIGIN).toBe('given');
    // Builds clone from the Enterprise Server.
    const [task] = Object.values(template.findResources('AWS::ECS::TaskDefinition')) as any[];
    expect(task.Properties.ContainerDefinitions[0].Environment).toContainEqual({ Name: 'TRELLIS_GITHUB_WEB_URL', Value: 'https://github.acme.com' });
  });

  test('secrets: read only, by their own ARNs; nothing creates or writes them, and there is no App-created callback', () => {
    const { template } = fromSecrets();
    const read = ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'];
    for (const description of [REPOSITORY_TOKEN, REPORTER]) {
      expect(secretStatements(statementsOfFunction(template, description))).toEqual([{ actions: read, resources: [CREDENTIALS_ARN] }]);
    }
    expect(secretStatements(statementsOfFunction(template, WEBHOOK))).toContainEqual({ actions: read, resources: [WEBHOOK_SECRET_ARN] });
    const api = secretStatements(statementsOfFunction(template, CONTROL_API));
    expect(api).toContainEqual({ actions: read, resources: [CREDENTIALS_ARN] });
    expect(api.filter(statement => statement.resources.includes(WEBHOOK_SECRET_ARN))).toEqual([]);
    template.resourcePropertiesCountIs('AWS::ApiGatewayV2::Route', { RouteKey: 'GET /github/app-created' }, 0);
  });

  test('sign in with GitHub: the API is the issuer of the tokens it accepts, and holds the signing key and the mappings', () => {
    const { template } = fromSecrets();
    const accepted = functionNamed(template, CONTROL_API).properties.Environment.Variables;
    const issuer = arnText(accepted.AUTH_ISSUER);
    expect(issuer).toMatch(/^<TrellisDashboardApi\w+\.ApiEndpoint>\/auth\/github$/);
    expect(accepted.AUTH_AUDIENCE).toBe('trellis-dashboard');
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'GET /auth/github/{proxy+}', AuthorizationType: 'NONE' });
    // trellis login redeems its one-use code before it has a token; no other POST under /auth/github is public.
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'POST /auth/github/token', AuthorizationType: 'NONE' });
    template.resourcePropertiesCountIs('AWS::ApiGatewayV2::Route', { RouteKey: 'POST /auth/github/{proxy+}' }, 0);
    const api = functionNamed(template, CONTROL_API).properties.Environment.Variables;
    expect(arnText(api.GITHUB_SIGN_IN_ISSUER)).toBe(issuer);
    expect(JSON.parse(api.GITHUB_SIGN_IN_ROLES)).toEqual([{ organization: 'acme', role: 'viewer' }, { organization: 'acme', team: 'platform', role: 'admin' }]);
    expect(secretStatements(statementsOfFunction(template, CONTROL_API))).toContainEqual({
      actions: ['secretsmanager:CreateSecret', 'secretsmanager:GetSecretValue'], resources: [PATTERNS.signingKey],
    });
  });

  test('the live log socket accepts the same tokens: issuer, audience and key set of the API', () => {
    const { template } = fromSecrets();
    const sockets = Object.values(template.findResources('AWS::Lambda::Function'))
      .map(resource => resource.Properties.Environment?.Variables ?? {})
      .filter(variables => LOG_SETTINGS.authIssuer in variables);
    expect(sockets.length).toBeGreaterThan(0);
    for (const variables of sockets) {
      expect(arnText(variables[LOG_SETTINGS.authIssuer])).toMatch(/^<TrellisDashboardApi\w+\.ApiEndpoint>\/auth\/github$/);
      expect(arnText(variables[LOG_SETTINGS.authJwksUrl])).toMatch(/^<TrellisDashboardApi\w+\.ApiEndpoint>\/auth\/github\/\.well-known\/jwks\.json$/);
      expect(variables[LOG_SETTINGS.authAudience]).toBe('trellis-dashboard');
    }
  });

  test('the dashboard\'s config.json sends the browser to the API\'s sign-in route, and names no OAuth endpoint', () => {
    const { template } = fromSecrets();
    const [config] = Object.values(template.findResources('Custom::CDKBucketDeployment', { Properties: { DistributionPaths: ['/config.json'] } }));
    // The tokens config.json holds: the API's URL, the live log socket's and the sign-in URL.
    const values = Object.values(config.Properties.SourceMarkers[0]).map(arnText);
    expect(values).toEqual(['"<TrellisDashboardApiB4518EAE.ApiEndpoint>"', expect.stringMatching(/^"wss:\/\//),
      '"<TrellisDashboardApiB4518EAE.ApiEndpoint>/auth/github/sign-in"']);
  });

  test('no dependency cycle: the issuer names the API, the API\'s routes name the function', () => {
    expect(cycleIn(fromSecrets().template.toJSON() as TemplateJson)).toBeUndefined();
    expect(cycleIn(setupPage().template.toJSON() as TemplateJson)).toBeUndefined();
  });
});

test('metricGitHubReportFailures reads what the reporter emits: Trellis/GitHubReportFailures by installation, summed', () => {
  const { stack, pipeline } = setupPage();
  const config = pipeline.metricGitHubReportFailures().toMetricConfig().metricStat!;
  expect({ namespace: config.namespace, name: config.metricName, statistic: config.statistic }).toEqual({
    namespace: METRIC_NAMESPACE, name: METRIC_NAMES.gitHubReportFailures, statistic: 'Sum',
  });
  expect(config.dimensions?.map(dimension => [dimension.name, stack.resolve(dimension.value)])).toEqual([['Installation', 'acme']]);
  expect(GITHUB_REPORT_DIMENSION_SETS).toEqual([['Installation']]);
  expect(() => pipeline.metricGitHubReportFailures({ dimensionsMap: { Reason: 'x' } })).toThrow(/dimensionsMap: is set by Trellis/);
});

describe('refused at synth, naming the option', () => {
  const message = (build: () => unknown) => {
    try {
      build();
    } catch (error) {
      return (error as Error).message;
    }
    throw new Error('accepted');
  };

  test('GitHubApp.fromSetupPage: URLs and organization', () => {
    expect(message(() => GitHubApp.fromSetupPage({ apiUrl: 'http://github.acme.com/api/v3', organization: 'acme org' }))).toBe([
      'GitHubApp.fromSetupPage: invalid options',
      "  apiUrl: 'http://github.acme.com/api/v3' must be an https URL",
      "  organization: 'acme org' must be a GitHub account or organization login, such as 'acme'",
    ].join('\n'));
  });

  test('GitHubApp.fromSecrets: an unknown key and a missing secret', () => {
    const { credentials } = givenSecretsInstallation();
    expect(message(() => GitHubApp.fromSecrets({ credentials, webhookSecrt: credentials } as any))).toBe([
      'GitHubApp.fromSecrets: invalid options',
      '  webhookSecrt: is not a known field; did you mean `webhookSecret`?',
      '  webhookSecret: is required: a secretsmanager.ISecret',
    ].join('\n'));
  });

  test('GitHubApp.fromSecrets: an ARN where a secret belongs; Python callers read the option as they wrote it', () => {
    const saved = process.env.JSII_AGENT;
    process.env.JSII_AGENT = 'Python/3.12.3';
    try {
      expect(message(() => GitHubApp.fromSecrets({ credentials: CREDENTIALS_ARN, webhookSecret: WEBHOOK_SECRET_ARN } as any))).toBe([
        'GitHubApp.fromSecrets: invalid options',
        '  credentials: must be a secretsmanager.ISecret, such as secretsmanager.Secret.fromSecretCompleteArn(scope, id, arn)',
        '  webhook_secret: must be a secretsmanager.ISecret, such as secretsmanager.Secret.fromSecretCompleteArn(scope, id, arn)',
      ].join('\n'));
    } finally {
      if (saved === undefined) delete process.env.JSII_AGENT;
      else process.env.JSII_AGENT = saved;
    }
  });

  test('DashboardIdentity.gitHub: each mapping\'s problem at its path, and an empty list', () => {
    expect(message(() => DashboardIdentity.gitHub({ roles: [{ organization: 'acme', team: 'acme/platform', role: 'owner' }] }))).toBe([
      'DashboardIdentity.gitHub: invalid options',
      "  roles[0].team: 'acme/platform' must be a team's slug, such as 'platform': give the team's slug alone; the organization is `organization`",
      "  roles[0].role: 'owner' must be one of viewer, deployer, admin",
    ].join('\n'));
    expect(message(() => DashboardIdentity.gitHub({ roles: [] }))).toMatch(/roles: give at least one mapping/);
  });

  test('DashboardIdentity.gitHub without a GitHub App', () => {
    const identity = DashboardIdentity.gitHub({ roles: [{ organization: 'acme', role: 'admin' }] });
    expect(message(() => new TrellisPipeline(new Stack(), 'Trellis', { dashboard: { identity } })))
      .toMatch(/identity: DashboardIdentity\.gitHub\(\) signs users in through the GitHub App: give the TrellisPipeline `github`/);
  });

  test('an unknown pipeline prop close to github', () => {
    expect(message(() => new TrellisPipeline(new Stack(), 'Trellis', { gitHub: GitHubApp.fromSetupPage() } as any))).toMatch(/gitHub: is not a known field; did you mean `github`\?/);
  });
});

/**
 * A cycle of references (Ref, Fn::GetAtt, DependsOn) among the template's resources, as
 * CloudFormation would refuse it; undefined when there is none.
 */
function cycleIn(template: TemplateJson): string[] | undefined {
  const resources = template.Resources as Record<string, { DependsOn?: string | string[]; Properties?: unknown }>;
  const edges = new Map<string, Set<string>>();
  const collect = (value: unknown, into: Set<string>): void => {
    if (Array.isArray(value)) {value.forEach(item => collect(item, into));} else if (value && typeof value === 'object') {
      for (const [key, item] of Object.entries(value)) {
        if (key === 'Ref' && typeof item === 'string' && item in resources) into.add(item);
        else if (key === 'Fn::GetAtt' && Array.isArray(item) && item[0] in resources) into.add(item[0]);
        else collect(item, into);
      }
    }
  };
  for (const [id, resource] of Object.entries(resources)) {
    const into = new Set<string>([resource.DependsOn ?? []].flat());
    collect(resource.Properties, into);
    edges.set(id, into);
  }
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (id: string, path: string[]): string[] | undefined => {
    if (state.get(id) === 'done') return undefined;
    if (state.get(id) === 'visiting') return [...path.slice(path.indexOf(id)), id];
    state.set(id, 'visiting');
    for (const next of edges.get(id) ?? []) {
      const cycle = visit(next, [...path, id]);
      if (cycle) return cycle;
    }
    state.set(id, 'done');
    return undefined;
  };
  for (const id of edges.keys()) {
    const cycle = visit(id, []);
    if (cycle) return cycle;
  }
  return undefined;
}
