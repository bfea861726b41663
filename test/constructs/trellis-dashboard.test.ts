import * as fs from 'fs';
import * as path from 'path';
import { Duration, RemovalPolicy, Stack, Stage } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { newStack, shopInstallation } from './stack-fixtures';
import { TrellisDashboard, DashboardIdentity, TrellisDashboardProps, StateTable, TrellisPipeline, WebSocketAuthentication } from '../../src';

/** A TrellisDashboard on its own, with a literal live log URL. */
function standalone(props: Partial<TrellisDashboardProps> = {}) {
  const stack = newStack();
  const dashboard = new TrellisDashboard(stack, 'Dashboard', {
    table: new StateTable(stack, 'Table'),
    queue: new sqs.Queue(stack, 'Queue'),
    installationName: 'acme',
    webSocketUrl: 'wss://live.example.com/live',
    ...props,
  });
  return { stack, dashboard, template: Template.fromStack(stack) };
}

/** The logical id of the one resource of `type` whose id starts with `prefix`. */
function idOf(template: Template, type: string, prefix: string): string {
  const ids = Object.keys(template.findResources(type)).filter(id => id.startsWith(prefix));
  expect(ids).toHaveLength(1);
  return ids[0];
}

function resourceOf(template: Template, type: string, prefix: string): any {
  return template.findResources(type)[idOf(template, type, prefix)];
}

/** An intrinsic as text: `${Id}` for Ref, `${Id.Attr}` for GetAtt, joins flattened. */
function readable(value: any): string {
  if (typeof value === 'string') return value;
  if (value.Ref) return `\${${value.Ref}}`;
  if (value['Fn::GetAtt']) return `\${${value['Fn::GetAtt'].join('.')}}`;
  if (value['Fn::Join']) return value['Fn::Join'][1].map(readable).join(value['Fn::Join'][0]);
  if (value['Fn::Select']) return `\${Select(${value['Fn::Select'][0]}, ${readable(value['Fn::Select'][1])})}`;
  if (value['Fn::Split']) return `\${Split(${value['Fn::Split'][0]}, ${readable(value['Fn::Split'][1])})}`;
  throw new Error(`unexpected value ${JSON.stringify(value)}`);
}

/**
 * Whether a CSP source list lets the page connect to `target` (CSP Level 3 matching, enough
 * for these sources: scheme, `*.` host wildcards, default ports, exact or `/`-ended paths).
 */
function cspAllows(sources: string[], target: string): boolean {
  const url = new URL(target);
  return sources.some(source => {
    if (source.startsWith("'")) return false; // 'self' is the dashboard's own origin, never execute-api
    const match = /^([a-z][a-z0-9+.-]*):\/\/([^/:]+)(?::(\d+))?(\/.*)?$/.exec(source);
    if (!match) throw new Error(`unexpected CSP source ${source}`);
    const [, scheme, host, port, sourcePath] = match;
    if (`${scheme}:` !== url.protocol) return false;
    const hostMatches = host.startsWith('*.') ? url.hostname.endsWith(host.slice(1)) : url.hostname === host;
    if (!hostMatches || (port ?? '') !== url.port) return false;
    if (!sourcePath) return true;
    return sourcePath.endsWith('/') ? url.pathname.startsWith(sourcePath) : url.pathname === sourcePath;
  });
}

/**
 * config.json as the deployment writes it: the staged asset's file, with the deploy-time
 * markers replaced by their values (as readable text).
 */
function writtenDashboardConfig(stack: Stack, template: Template): any {
  const deployments = Object.values(template.findResources('Custom::CDKBucketDeployment'))
    .filter((resource: any) => resource.Properties.SystemMetadata?.['cache-control'] === 'no-store') as any[];
  expect(deployments).toHaveLength(1);
  const [objectKey] = deployments[0].Properties.SourceObjectKeys;
  const file = path.join(Stage.of(stack)!.assetOutdir, `asset.${objectKey.replace(/\.zip$/, '')}`, 'config.json');
  let text = fs.readFileSync(file, 'utf8');
  for (const [marker, value] of Object.entries(deployments[0].Properties.SourceMarkers?.[0] ?? {})) text = text.split(marker).join(readable(value));
  return JSON.parse(text);
}

/** Every IAM statement attached to the role of the function whose logical id starts with `prefix`. */
function statementsOfFunction(template: Template, prefix: string): any[] {
  const roleId = resourceOf(template, 'AWS::Lambda::Function', prefix).Properties.Role['Fn::GetAtt'][0];
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((policy: any) => policy.Properties.Roles.some((role: any) => role.Ref === roleId))
    .flatMap((policy: any) => policy.Properties.PolicyDocument.Statement);
}

const actionsOf = (statement: any): string[] => [].concat(statement.Action);
const resourcesOf = (statement: any): any[] => [].concat(statement.Resource);

/** IAM's wildcards (`*` any characters, `?` one) as a regular expression. */
function iamPattern(pattern: string): RegExp {
  return new RegExp(`^${pattern.split('').map(c => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\/]/g, '\\$&'))).join('')}$`);
}

const API_FUNCTION = 'TrellisDashboardApiHandler';
const SECRET_ARN = 'arn:${AWS::Partition}:secretsmanager:eu-west-1:111122223333:secret:';

describe('Dashboard', () => {
  test('the site bucket is private, encrypted, TLS-only and no website; only this distribution may read it', () => {
    const { template } = shopInstallation();
    const bucketId = idOf(template, 'AWS::S3::Bucket', 'TrellisDashboardSite');
    const bucket = template.findResources('AWS::S3::Bucket')[bucketId];
    expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(bucket.Properties.WebsiteConfiguration).toBeUndefined();
    expect(bucket.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm).toBe('AES256');

    const policies = Object.values(template.findResources('AWS::S3::BucketPolicy')).filter((policy: any) => policy.Properties.Bucket.Ref === bucketId) as any[];
    expect(policies).toHaveLength(1);
    const statements = policies[0].Properties.PolicyDocument.Statement;
    const distribution = idOf(template, 'AWS::CloudFront::Distribution', 'TrellisDashboardDistribution');
    const allows = statements.filter((statement: any) => statement.Effect === 'Allow');
    expect(allows).toEqual([{
      Effect: 'Allow',
      Principal: { Service: 'cloudfront.amazonaws.com' },
      Action: 's3:GetObject',
      Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, '/*']] },
      Condition: {
        StringEquals: {
          'AWS:SourceArn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':cloudfront::', { Ref: 'AWS::AccountId' }, ':distribution/', { Ref: distribution }]] },
        },
      },
    }]);
    expect(statements.filter((statement: any) => statement.Effect === 'Deny')).toEqual([
      expect.objectContaining({ Action: 's3:*', Principal: { AWS: '*' }, Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    ]);
  });

  test('CloudFront reads through origin access control, redirects HTTP to HTTPS and answers deep links with the app', () => {
    const { template } = shopInstallation();
    const oac = idOf(template, 'AWS::CloudFront::OriginAccessControl', 'TrellisDashboard');
    template.hasResourceProperties('AWS::CloudFront::OriginAccessControl', {
      OriginAccessControlConfig: { OriginAccessControlOriginType: 's3', SigningBehavior: 'always', SigningProtocol: 'sigv4' },
    });
    const config = resourceOf(template, 'AWS::CloudFront::Distribution', 'TrellisDashboardDistribution').Properties.DistributionConfig;
    expect(config.Origins).toEqual([expect.objectContaining({
      DomainName: { 'Fn::GetAtt': [idOf(template, 'AWS::S3::Bucket', 'TrellisDashboardSite'), 'RegionalDomainName'] },
      OriginAccessControlId: { 'Fn::GetAtt': [oac, 'Id'] },
      S3OriginConfig: { OriginAccessIdentity: '' },
    })]);
    expect(config.DefaultCacheBehavior).toMatchObject({ ViewerProtocolPolicy: 'redirect-to-https', AllowedMethods: ['GET', 'HEAD'] });
    expect(config.DefaultRootObject).toBe('index.html');
    expect(config.CustomErrorResponses).toEqual([403, 404].map(code => ({ ErrorCode: code, ResponseCode: 200, ResponsePagePath: '/index.html', ErrorCachingMinTTL: 0 })));
    expect(config.Logging).toBeUndefined();
    template.resourceCountIs('AWS::CloudFront::CloudFrontOriginAccessIdentity', 0);
  });

  test('every response carries security headers; the CSP lets the page reach only this installation\'s API, live logs and token endpoint', () => {
    const { template } = shopInstallation();
    const policyId = idOf(template, 'AWS::CloudFront::ResponseHeadersPolicy', 'TrellisDashboardSecurityHeaders');
    const config = resourceOf(template, 'AWS::CloudFront::Distribution', 'TrellisDashboardDistribution').Properties.DistributionConfig;
    expect(config.DefaultCacheBehavior.ResponseHeadersPolicyId).toEqual({ Ref: policyId });

    const headers = template.findResources('AWS::CloudFront::ResponseHeadersPolicy')[policyId].Properties.ResponseHeadersPolicyConfig;
    expect(headers.SecurityHeadersConfig).toMatchObject({
      StrictTransportSecurity: { AccessControlMaxAgeSec: 63072000, IncludeSubdomains: true, Override: true },
      ContentTypeOptions: { Override: true },
      FrameOptions: { FrameOption: 'DENY', Override: true },
      ReferrerPolicy: { ReferrerPolicy: 'no-referrer', Override: true },
    });
    const csp = readable(headers.SecurityHeadersConfig.ContentSecurityPolicy.ContentSecurityPolicy);
    const directives = Object.fromEntries(csp.split('; ').map(directive => [directive.split(' ')[0], directive.split(' ').slice(1)]));
    expect(directives['default-src']).toEqual(["'self'"]);
    expect(directives['script-src']).toEqual(["'self'"]);
    expect(directives['frame-ancestors']).toEqual(["'none'"]);
    expect(directives['object-src']).toEqual(["'none'"]);
    const controlApi = idOf(template, 'AWS::ApiGatewayV2::Api', 'TrellisDashboardApi');
    const logsApi = idOf(template, 'AWS::ApiGatewayV2::Api', 'TrellisLogsApi');
    const domain = idOf(template, 'AWS::Cognito::UserPoolDomain', 'TrellisDashboard');
    expect(directives['connect-src']).toEqual([
      "'self'",
      // The API's own endpoint attribute: https://<its id>.execute-api.<region>.<suffix>
      `\${${controlApi}.ApiEndpoint}`,
      `wss://\${${logsApi}}.execute-api.eu-west-1.\${AWS::URLSuffix}/live`,
      `https://\${${domain}}.auth.eu-west-1.amazoncognito.com/oauth2/token`,
    ]);
    expect(csp).not.toContain('*');
    expect(directives['upgrade-insecure-requests']).toEqual([]);
  });

  test('connect-src admits this installation\'s API and socket, and no other execute-api endpoint', () => {
    const { template } = shopInstallation();
    const headers = resourceOf(template, 'AWS::CloudFront::ResponseHeadersPolicy', 'TrellisDashboardSecurityHeaders').Properties.ResponseHeadersPolicyConfig;
    // The template's ids as CloudFormation resolves them: this installation's APIs are ctrl000001 and logs000001.
    const ids: Record<string, string> = {
      [`${idOf(template, 'AWS::ApiGatewayV2::Api', 'TrellisDashboardApi')}.ApiEndpoint`]: 'https://ctrl000001.execute-api.eu-west-1.amazonaws.com',
      [idOf(template, 'AWS::ApiGatewayV2::Api', 'TrellisLogsApi')]: 'logs000001',
      [idOf(template, 'AWS::Cognito::UserPoolDomain', 'TrellisDashboard')]: 'trellis-acme-1234abcd',
      'AWS::URLSuffix': 'amazonaws.com',
    };
    const csp = readable(headers.SecurityHeadersConfig.ContentSecurityPolicy.ContentSecurityPolicy).replace(/\$\{([^}]+)\}/g, (_, id) => ids[id]);
    const connect = csp.split('; ').find(directive => directive.startsWith('connect-src '))!.split(' ').slice(1);
    expect(cspAllows(connect, 'https://ctrl000001.execute-api.eu-west-1.amazonaws.com/api/me')).toBe(true);
    expect(cspAllows(connect, 'wss://logs000001.execute-api.eu-west-1.amazonaws.com/live?token=x')).toBe(true);
    // An attacker's API in the same region (where an injected script would send what it read), or the
    // control API's host over wss, or the socket's host on another stage: not reachable.
    expect(cspAllows(connect, 'https://attacker99.execute-api.eu-west-1.amazonaws.com/collect')).toBe(false);
    expect(cspAllows(connect, 'wss://attacker99.execute-api.eu-west-1.amazonaws.com/live')).toBe(false);
    expect(cspAllows(connect, 'https://logs000001.execute-api.eu-west-1.amazonaws.com/live')).toBe(false);
    expect(cspAllows(connect, 'https://ctrl000001.execute-api.eu-west-1.amazonaws.com.evil.example/api')).toBe(false);
  });

  test('no API Gateway authorizer (it cannot take API tokens): the function verifies every request, against the dashboard\'s identity', () => {
    const { template } = shopInstallation();
    const api = idOf(template, 'AWS::ApiGatewayV2::Api', 'TrellisDashboardApi');
    const routes = Object.values(template.findResources('AWS::ApiGatewayV2::Route')).filter((route: any) => route.Properties.ApiId.Ref === api) as any[];
    expect(routes.map(route => route.Properties.RouteKey).sort()).toEqual(['ANY /api/{proxy+}', 'GET /api/health', 'OPTIONS /api/{proxy+}']);
    for (const route of routes) {
      expect({ key: route.Properties.RouteKey, AuthorizationType: route.Properties.AuthorizationType, AuthorizerId: route.Properties.AuthorizerId })
        .toEqual({ key: route.Properties.RouteKey, AuthorizationType: 'NONE', AuthorizerId: undefined });
    }
    template.resourceCountIs('AWS::ApiGatewayV2::Authorizer', 0);
    // The stage's throttle still holds.
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', { ApiId: { Ref: api }, DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 } });
    const pool = idOf(template, 'AWS::Cognito::UserPool', 'TrellisDashboard');
    expect(resourceOf(template, 'AWS::Lambda::Function', 'TrellisDashboardApiHandler').Properties.Environment.Variables).toMatchObject({
      AUTH_ISSUER: { 'Fn::GetAtt': [pool, 'ProviderURL'] },
      AUTH_AUDIENCE: { Ref: idOf(template, 'AWS::Cognito::UserPoolClient', 'TrellisDashboard') },
      AUTH_JWKS_URL: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [pool, 'ProviderURL'] }, '/.well-known/jwks.json']] },
    });
  });

  test('CORS lets only the dashboard (and the origins of callbackUrls) call the API: the function answers it, the API has no CORS configuration', () => {
    const { template } = shopInstallation({ dashboard: { callbackUrls: ['http://localhost:5173/', 'http://localhost:5173/other', 'https://dev.example.com/trellis/'] } });
    // A CORS configuration on the API would name the distribution, whose CSP names the API: a cycle.
    expect(resourceOf(template, 'AWS::ApiGatewayV2::Api', 'TrellisDashboardApi').Properties.CorsConfiguration).toBeUndefined();
    const distribution = idOf(template, 'AWS::CloudFront::Distribution', 'TrellisDashboardDistribution');
    const origins = resourceOf(template, 'AWS::Lambda::Function', API_FUNCTION).Properties.Environment.Variables.DASHBOARD_ORIGINS;
    expect(readable(origins).split(' ')).toEqual([`https://\${${distribution}.DomainName}`, 'http://localhost:5173', 'https://dev.example.com']);
  });

  test('the API stage is throttled and writes access logs to a log group with a retention', () => {
    const { template } = shopInstallation();
    const accessLogs = idOf(template, 'AWS::Logs::LogGroup', 'TrellisDashboardApiAccessLogs');
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      ApiId: { Ref: idOf(template, 'AWS::ApiGatewayV2::Api', 'TrellisDashboardApi') },
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
      AccessLogSettings: { DestinationArn: { 'Fn::GetAtt': [accessLogs, 'Arn'] }, Format: Match.anyValue() },
    });
    expect(resourceOf(template, 'AWS::Logs::LogGroup', 'TrellisDashboardApiAccessLogs').Properties.RetentionInDays).toBe(30);
  });

  test('the API function knows the table, the queue and the installation, and logs to its own log group', () => {
    const { template } = shopInstallation();
    const fn = resourceOf(template, 'AWS::Lambda::Function', API_FUNCTION);
    // The build runner's settings come from BuildServer.grantRunBuilds (cancel stops a task, may start the next).
    expect(fn.Properties.Environment.Variables).toEqual({
      TABLE_NAME: { Ref: idOf(template, 'AWS::DynamoDB::Table', 'TrellisTable') },
      QUEUE_URL: { Ref: idOf(template, 'AWS::SQS::Queue', 'TrellisWebhookLaunchQueue') },
      TRELLIS_INSTALLATION: 'acme',
      DASHBOARD_ORIGINS: { 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [idOf(template, 'AWS::CloudFront::Distribution', 'TrellisDashboardDistribution'), 'DomainName'] }]] },
      // The function verifies each request's JWT (or API token) itself.
      AUTH_ISSUER: expect.anything(),
      AUTH_AUDIENCE: expect.anything(),
      AUTH_JWKS_URL: expect.anything(),
      // A year, unless TrellisPipelineProps.auditRetention says otherwise.
      AUDIT_RETENTION_DAYS: '365',
      CLUSTER_ARN: expect.anything(),
      TASK_DEFINITION_ARN: expect.anything(),
      CONTAINER_NAME: 'builder',
      SUBNET_IDS: expect.anything(),
      SECURITY_GROUP_IDS: expect.anything(),
      ASSIGN_PUBLIC_IP: 'true',
    });
    const logGroup = fn.Properties.LoggingConfig.LogGroup.Ref;
    expect(logGroup).toMatch(/^TrellisDashboardApiHandlerLogs/);
    expect(template.findResources('AWS::Logs::LogGroup')[logGroup].Properties.RetentionInDays).toBe(30);
  });

  test('the API function may use the table, send to the launch queue, and use only this installation\'s environment secrets and GitHub token', () => {
    const { template } = shopInstallation();
    const statements = statementsOfFunction(template, API_FUNCTION);
    for (const statement of statements) {
      expect(statement.Effect).toBe('Allow');
      expect(actionsOf(statement).every(action => /^(dynamodb|sqs|secretsmanager):|^ecs:(RunTask|StopTask|DescribeTasks)$|^iam:PassRole$/.test(action))).toBe(true);
      for (const resource of resourcesOf(statement)) expect(resource).not.toBe('*');
    }
    const sends = statements.filter(statement => actionsOf(statement).some(action => action.startsWith('sqs:')));
    expect(sends.map(statement => statement.Resource)).toEqual([{ 'Fn::GetAtt': [idOf(template, 'AWS::SQS::Queue', 'TrellisWebhookLaunchQueue'), 'Arn'] }]);

    const secrets = statements.filter(statement => actionsOf(statement).some(action => action.startsWith('secretsmanager:')));
    expect(secrets.map(statement => ({ actions: actionsOf(statement).sort(), resources: resourcesOf(statement).map(readable) }))).toEqual([
      {
        actions: ['secretsmanager:CreateSecret', 'secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue'],
        resources: [`${SECRET_ARN}trellis/acme/*/*`],
      },
      {
        actions: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'],
        resources: [`${SECRET_ARN}trellis/acme/github-token-??????`],
      },
    ]);
    // Secrets Manager ARNs end in -<6 random characters>.
    const covered = (name: string) => secrets.flatMap(resourcesOf).map(readable).some(pattern => iamPattern(pattern).test(`${SECRET_ARN}${name}-AbC123`));
    expect(covered('trellis/acme/shop/dev')).toBe(true);
    expect(covered('trellis/acme/github-token')).toBe(true);
    expect(covered('trellis/acme/github-webhook-secret')).toBe(false);
    expect(covered('trellis/acme/github-token-backup')).toBe(false);
    expect(covered('trellis/other/shop/dev')).toBe(false);
    expect(covered('trellis/acme-two/shop/dev')).toBe(false);
  });

  test('the created user pool: administrators create users, strong passwords, optional MFA, the three groups and a hosted UI domain', () => {
    const { template } = shopInstallation();
    const pool = idOf(template, 'AWS::Cognito::UserPool', 'TrellisDashboard');
    const properties = template.findResources('AWS::Cognito::UserPool')[pool].Properties;
    expect(properties.AdminCreateUserConfig.AllowAdminCreateUserOnly).toBe(true);
    expect(properties.Policies.PasswordPolicy).toEqual({
      MinimumLength: 12, RequireLowercase: true, RequireUppercase: true, RequireNumbers: true, RequireSymbols: true, TemporaryPasswordValidityDays: 3,
    });
    expect(properties.MfaConfiguration).toBe('OPTIONAL');
    expect(properties.EnabledMfas).toEqual(['SOFTWARE_TOKEN_MFA']);
    expect(properties.UserPoolTier).toBe('ESSENTIALS');
    expect(properties.UserPoolAddOns).toBeUndefined();
    expect(properties.DeletionProtection).toBe('ACTIVE');
    expect(template.findResources('AWS::Cognito::UserPool')[pool].DeletionPolicy).toBe('Retain');

    const groups = Object.values(template.findResources('AWS::Cognito::UserPoolGroup')) as any[];
    expect(groups.map(group => group.Properties.GroupName).sort()).toEqual(['admin', 'deployer', 'viewer']);
    for (const group of groups) expect(group.Properties.UserPoolId).toEqual({ Ref: pool });

    const domain = resourceOf(template, 'AWS::Cognito::UserPoolDomain', 'TrellisDashboard').Properties;
    expect(domain.UserPoolId).toEqual({ Ref: pool });
    expect(readable(domain.Domain)).toBe('trellis-acme-${Select(0, ${Split(-, ${Select(2, ${Split(/, ${AWS::StackId})})})})}');
  });

  test('the app client: authorization code (PKCE, no secret), redirecting to the dashboard, to callbackUrls and to trellis login\'s loopback listener', () => {
    const { template } = shopInstallation({ dashboard: { callbackUrls: ['http://localhost:5173/'] } });
    const client = resourceOf(template, 'AWS::Cognito::UserPoolClient', 'TrellisDashboard').Properties;
    const distribution = idOf(template, 'AWS::CloudFront::Distribution', 'TrellisDashboardDistribution');
    const dashboardUrl = `https://\${${distribution}.DomainName}/`;
    expect(client).toMatchObject({
      GenerateSecret: false,
      AllowedOAuthFlows: ['code'],
      AllowedOAuthFlowsUserPoolClient: true,
      AllowedOAuthScopes: ['openid', 'email', 'profile'],
      SupportedIdentityProviders: ['COGNITO'],
      PreventUserExistenceErrors: 'ENABLED',
    });
    // Cognito takes http only for localhost, and compares the port: trellis login listens on this one.
    expect(client.CallbackURLs.map(readable)).toEqual([dashboardUrl, 'http://localhost:5173/', 'http://localhost:53682/callback']);
    expect(client.LogoutURLs.map(readable)).toEqual([dashboardUrl, 'http://localhost:5173/']);
  });

  test('cognito options: required MFA, threat protection, a chosen domain prefix, a removal policy', () => {
    const { template } = shopInstallation({
      dashboard: { identity: DashboardIdentity.cognito({ mfaRequired: true, threatProtection: true, domainPrefix: 'acme-deploys', removalPolicy: RemovalPolicy.DESTROY }) },
    });
    const pool = resourceOf(template, 'AWS::Cognito::UserPool', 'TrellisDashboard');
    expect(pool.Properties).toMatchObject({ MfaConfiguration: 'ON', UserPoolTier: 'PLUS', UserPoolAddOns: { AdvancedSecurityMode: 'ENFORCED' } });
    expect(pool.Properties.DeletionProtection).toBe('INACTIVE');
    expect(pool.DeletionPolicy).toBe('Delete');
    template.hasResourceProperties('AWS::Cognito::UserPoolDomain', { Domain: 'acme-deploys' });
  });

  test('config.json carries the API URL, the live log URL and the sign-in settings, and is never cached', () => {
    const { stack, template } = shopInstallation();
    const domain = idOf(template, 'AWS::Cognito::UserPoolDomain', 'TrellisDashboard');
    const hostedUi = `https://\${${domain}}.auth.eu-west-1.amazoncognito.com`;
    expect(writtenDashboardConfig(stack, template)).toEqual({
      apiUrl: `\${${idOf(template, 'AWS::ApiGatewayV2::Api', 'TrellisDashboardApi')}.ApiEndpoint}`,
      webSocketUrl: `wss://\${${idOf(template, 'AWS::ApiGatewayV2::Api', 'TrellisLogsApi')}}.execute-api.eu-west-1.\${AWS::URLSuffix}/live`,
      auth: {
        kind: 'oidc',
        authorizeUrl: `${hostedUi}/oauth2/authorize`,
        tokenUrl: `${hostedUi}/oauth2/token`,
        clientId: `\${${idOf(template, 'AWS::Cognito::UserPoolClient', 'TrellisDashboard')}}`,
        scopes: ['openid', 'email', 'profile'],
        logoutUrl: `${hostedUi}/logout`,
      },
    });
    const distribution = idOf(template, 'AWS::CloudFront::Distribution', 'TrellisDashboardDistribution');
    const bucket = idOf(template, 'AWS::S3::Bucket', 'TrellisDashboardSite');
    const deployments = Object.values(template.findResources('Custom::CDKBucketDeployment')).map((resource: any) => resource.Properties);
    expect(deployments).toEqual(expect.arrayContaining([
      expect.objectContaining({
        DestinationBucketName: { Ref: bucket },
        Prune: true,
        Exclude: ['config.json'],
        SystemMetadata: { 'cache-control': 'no-cache' },
        DistributionId: { Ref: distribution },
        DistributionPaths: ['/*'],
      }),
      expect.objectContaining({
        DestinationBucketName: { Ref: bucket },
        Prune: false,
        SystemMetadata: { 'cache-control': 'no-store' },
        DistributionId: { Ref: distribution },
        DistributionPaths: ['/config.json'],
      }),
    ]));
    expect(deployments).toHaveLength(2);
  });

  test('the live log socket accepts the dashboard\'s tokens, unless webSocketAuthentication says otherwise', () => {
    const { template } = shopInstallation();
    const pool = idOf(template, 'AWS::Cognito::UserPool', 'TrellisDashboard');
    const variables = resourceOf(template, 'AWS::Lambda::Function', 'TrellisLogsSocket').Properties.Environment.Variables;
    expect(variables).toMatchObject({
      AUTH_ISSUER: { 'Fn::GetAtt': [pool, 'ProviderURL'] },
      AUTH_AUDIENCE: { Ref: idOf(template, 'AWS::Cognito::UserPoolClient', 'TrellisDashboard') },
      AUTH_JWKS_URL: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [pool, 'ProviderURL'] }, '/.well-known/jwks.json']] },
    });

    const explicit = shopInstallation({ logs: { authentication: WebSocketAuthentication.jwt({ issuer: 'https://issuer.example.com', audiences: ['other'] }) } }).template;
    expect(resourceOf(explicit, 'AWS::Lambda::Function', 'TrellisLogsSocket').Properties.Environment.Variables).toMatchObject({
      AUTH_ISSUER: 'https://issuer.example.com',
      AUTH_AUDIENCE: 'other',
    });
  });

  test('a user pool of the user\'s: nothing of Cognito is created but a hosted UI domain when none is given', () => {
    const stack = newStack();
    const pool = cognito.UserPool.fromUserPoolId(stack, 'Pool', 'eu-west-1_abc');
    const client = cognito.UserPoolClient.fromUserPoolClientId(stack, 'Client', 'client123');
    new TrellisPipeline(stack, 'Trellis', { installationName: 'acme', dashboard: { identity: DashboardIdentity.userPool(pool, client) } });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::Cognito::UserPool', 0);
    template.resourceCountIs('AWS::Cognito::UserPoolClient', 0);
    template.resourceCountIs('AWS::Cognito::UserPoolGroup', 0);
    template.hasResourceProperties('AWS::Cognito::UserPoolDomain', { UserPoolId: 'eu-west-1_abc', Domain: Match.anyValue() });
    const jwt = resourceOf(template, 'AWS::Lambda::Function', 'TrellisDashboardApiHandler').Properties.Environment.Variables;
    expect({ issuer: readable(jwt.AUTH_ISSUER), audience: jwt.AUTH_AUDIENCE }).toEqual({ issuer: 'https://cognito-idp.eu-west-1.${AWS::URLSuffix}/eu-west-1_abc', audience: 'client123' });
    const config = writtenDashboardConfig(stack, template);
    expect(config.auth.clientId).toBe('client123');
    // The domain belongs to the user's pool: `DashboardDomain` under it.
    const domain = idOf(template, 'AWS::Cognito::UserPoolDomain', 'PoolDashboardDomain');
    expect(readable(template.findResources('AWS::Cognito::UserPoolDomain')[domain].Properties.Domain)).toMatch(/^trellis-acme-\$\{Select/);
    expect(config.auth.tokenUrl).toBe(`https://\${${domain}}.auth.eu-west-1.amazoncognito.com/oauth2/token`);
    expect(Object.keys(template.findOutputs('*')).some(id => id.includes('UserPoolId'))).toBe(false);
  });

  test.each([
    ['a prefix domain', (stack: Stack) => cognito.UserPoolDomain.fromDomainName(stack, 'Domain', 'acme-login'), 'https://acme-login.auth.eu-west-1.amazoncognito.com'],
    ['a custom domain', (stack: Stack) => cognito.UserPoolDomain.fromDomainName(stack, 'Domain', 'login.acme.com'), 'https://login.acme.com'],
  ])('a user pool of the user\'s with %s: its hosted UI is used and no domain is added', (_name, domain, hostedUi) => {
    const stack = newStack();
    const pool = cognito.UserPool.fromUserPoolId(stack, 'Pool', 'eu-west-1_abc');
    const client = cognito.UserPoolClient.fromUserPoolClientId(stack, 'Client', 'client123');
    new TrellisPipeline(stack, 'Trellis', { installationName: 'acme', dashboard: { identity: DashboardIdentity.userPool(pool, client, domain(stack)) } });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::Cognito::UserPoolDomain', 0);
    expect(writtenDashboardConfig(stack, template).auth).toEqual({
      kind: 'oidc',
      authorizeUrl: `${hostedUi}/oauth2/authorize`,
      tokenUrl: `${hostedUi}/oauth2/token`,
      clientId: 'client123',
      scopes: ['openid', 'email', 'profile'],
      logoutUrl: `${hostedUi}/logout`,
    });
  });

  test('an OIDC provider: no Cognito at all; the control API, the live logs and config.json use the provider', () => {
    const identity = DashboardIdentity.oidc({
      issuer: 'https://login.example.com',
      clientId: 'trellis-dashboard',
      authorizeUrl: 'https://login.example.com/oauth2/authorize',
      tokenUrl: 'https://login.example.com/oauth2/token',
      audiences: ['trellis-dashboard', 'trellis-cli'],
      jwksUrl: 'https://login.example.com/keys',
      scopes: ['openid', 'groups'],
    });
    const { stack, template } = shopInstallation({ dashboard: { identity } });
    for (const type of ['AWS::Cognito::UserPool', 'AWS::Cognito::UserPoolClient', 'AWS::Cognito::UserPoolDomain', 'AWS::Cognito::UserPoolGroup']) template.resourceCountIs(type, 0);
    const accepted = {
      AUTH_ISSUER: 'https://login.example.com',
      AUTH_AUDIENCE: 'trellis-dashboard,trellis-cli',
      AUTH_JWKS_URL: 'https://login.example.com/keys',
    };
    expect(resourceOf(template, 'AWS::Lambda::Function', 'TrellisDashboardApiHandler').Properties.Environment.Variables).toMatchObject(accepted);
    expect(resourceOf(template, 'AWS::Lambda::Function', 'TrellisLogsSocket').Properties.Environment.Variables).toMatchObject({
      AUTH_ISSUER: 'https://login.example.com',
      AUTH_AUDIENCE: 'trellis-dashboard,trellis-cli',
      AUTH_JWKS_URL: 'https://login.example.com/keys',
    });
    expect(writtenDashboardConfig(stack, template).auth).toEqual({
      kind: 'oidc',
      authorizeUrl: 'https://login.example.com/oauth2/authorize',
      tokenUrl: 'https://login.example.com/oauth2/token',
      clientId: 'trellis-dashboard',
      scopes: ['openid', 'groups'],
    });
    const headers = resourceOf(template, 'AWS::CloudFront::ResponseHeadersPolicy', 'TrellisDashboard').Properties.ResponseHeadersPolicyConfig;
    expect(readable(headers.SecurityHeadersConfig.ContentSecurityPolicy.ContentSecurityPolicy)).toContain(' https://login.example.com/oauth2/token;');
  });

  test('outputs: the dashboard URL, the API URL and the created user pool', () => {
    const { stack, pipeline, template } = shopInstallation();
    const outputs = template.findOutputs('*');
    const valueOf = (name: string) => {
      const matches = Object.entries(outputs).filter(([id]) => id.startsWith('TrellisDashboard') && id.includes(name));
      expect(matches).toHaveLength(1);
      return matches[0][1].Value;
    };
    expect(valueOf('DashboardUrl')).toEqual(stack.resolve(pipeline.dashboard.url));
    expect(valueOf('ApiUrl')).toEqual(stack.resolve(pipeline.dashboard.apiUrl));
    expect(valueOf('UserPoolId')).toEqual({ Ref: idOf(template, 'AWS::Cognito::UserPool', 'TrellisDashboard') });
    expect(stack.resolve(pipeline.dashboard.url)).toEqual({ 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [idOf(template, 'AWS::CloudFront::Distribution', 'TrellisDashboard'), 'DomainName'] }]] });
    expect(pipeline.dashboard.userPool).toBeDefined();
    expect(pipeline.dashboard.userPoolClient).toBeDefined();
  });

  test('auditRetention reaches the control API function as whole days', () => {
    const { template } = shopInstallation({ installationName: 'acme', auditRetention: Duration.days(30) });
    expect(resourceOf(template, 'AWS::Lambda::Function', API_FUNCTION).Properties.Environment.Variables.AUDIT_RETENTION_DAYS).toBe('30');
    expect(() => shopInstallation({ installationName: 'acme', auditRetention: Duration.days(0) }))
      .toThrow(/invalid configuration\n {2}auditRetention: must be whole days from 1 day to 10 years \(3650 days\), got 0 days/);
  });

  test('a standalone dashboard, with CloudFront access logs', () => {
    const stack = newStack();
    const logBucket = new s3.Bucket(stack, 'Logs', { objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED });
    new TrellisDashboard(stack, 'Dashboard', {
      table: new StateTable(stack, 'Table'),
      queue: new sqs.Queue(stack, 'Queue'),
      installationName: 'acme',
      webSocketUrl: 'wss://live.example.com/live',
      accessLogBucket: logBucket,
    });
    const template = Template.fromStack(stack);
    const config = resourceOf(template, 'AWS::CloudFront::Distribution', 'DashboardDistribution').Properties.DistributionConfig;
    expect(config.Logging).toEqual({ Bucket: { 'Fn::GetAtt': [idOf(template, 'AWS::S3::Bucket', 'Logs'), 'RegionalDomainName'] }, Prefix: 'trellis-dashboard/' });
    const csp = readable(resourceOf(template, 'AWS::CloudFront::ResponseHeadersPolicy', 'Dashboard').Properties.ResponseHeadersPolicyConfig.SecurityHeadersConfig.ContentSecurityPolicy.ContentSecurityPolicy);
    expect(csp).toContain(' wss://live.example.com/live ');
  });

  describe('synth-time validation', () => {
    test.each([
      ['installationName', { installationName: 'Acme!' }, /installationName: 'Acme!' must be 1-32 lowercase/],
      ['webSocketUrl', { webSocketUrl: 'https://live.example.com' }, /webSocketUrl: 'https:\/\/live.example.com' must be an wss URL/],
      ['callbackUrls', { callbackUrls: ['https://ok.example.com/', 'http://dev.example.com/'] }, /callbackUrls\[1\]: 'http:\/\/dev.example.com\/' must be https \(http is accepted only for localhost\)/],
      ['callbackUrls', { callbackUrls: ['https://ok.example.com/?next=1'] }, /callbackUrls\[0\]: .*must not have a query or fragment/],
      ['auditRetention', { auditRetention: Duration.hours(12) }, /auditRetention: must be whole days from 1 day to 10 years \(3650 days\), got 0.5 days/],
      ['auditRetention', { auditRetention: Duration.days(3651) }, /auditRetention: must be whole days .* got 3651 days/],
      ['auditRetention', { auditRetention: Duration.hours(36) }, /auditRetention: must be whole days .* got 1.5 days/],
    ])('Dashboard names the bad prop (%s)', (_prop, props, message) => {
      expect(() => standalone(props as Partial<TrellisDashboardProps>)).toThrow(/^TrellisDashboard TestStack\/Dashboard: invalid configuration/);
      expect(() => standalone(props as Partial<TrellisDashboardProps>)).toThrow(message);
    });

    test('a derived hosted UI prefix Cognito would refuse asks for domainPrefix', () => {
      expect(() => shopInstallation({ installationName: 'aws-team' })).toThrow(/^TrellisDashboard TestStack\/Trellis\/Dashboard: invalid configuration\n {2}identity: .*'trellis-aws-team-\.\.\.'.*must not contain 'aws'.*domainPrefix/s);
      expect(() => shopInstallation({ installationName: 'aws-team', dashboard: { identity: DashboardIdentity.cognito({ domainPrefix: 'team-deploys' }) } })).not.toThrow();
    });

    test.each([
      [{ domainPrefix: 'Acme' }, /domainPrefix: 'Acme' must be 1-63 lowercase letters/],
      [{ domainPrefix: 'my-cognito-login' }, /domainPrefix: 'my-cognito-login' must not contain 'cognito'/],
      [{ domainPrefix: '-acme' }, /domainPrefix: '-acme' must be/],
    ])('DashboardIdentity.cognito names the bad option (%p)', (options, message) => {
      expect(() => DashboardIdentity.cognito(options)).toThrow(/^DashboardIdentity\.cognito: invalid options/);
      expect(() => DashboardIdentity.cognito(options)).toThrow(message);
    });

    const oidc = { issuer: 'https://login.example.com', clientId: 'c', authorizeUrl: 'https://login.example.com/authorize', tokenUrl: 'https://login.example.com/token' };
    test.each([
      ['issuer', { ...oidc, issuer: 'http://login.example.com' }, /issuer: 'http:\/\/login.example.com' must be an https URL/],
      ['authorizeUrl', { ...oidc, authorizeUrl: 'login.example.com/authorize' }, /authorizeUrl: 'login.example.com\/authorize' is not a URL/],
      ['tokenUrl', { ...oidc, tokenUrl: 'https://login.example.com/token?x=1' }, /tokenUrl: .*must not have a query or fragment/],
      ['logoutUrl', { ...oidc, logoutUrl: 'https://login.example.com/a;b' }, /logoutUrl: .*must not contain ';'/],
      ['jwksUrl', { ...oidc, jwksUrl: 'ftp://login.example.com/keys' }, /jwksUrl: .*must be an https URL/],
      ['clientId', { ...oidc, clientId: ' ' }, /clientId: must not be empty/],
      ['audiences', { ...oidc, audiences: [] }, /audiences: give at least one/],
      ['audiences', { ...oidc, audiences: ['a', 'b,c'] }, /audiences\[1\]: 'b,c' must be a non-empty value without commas/],
      ['scopes', { ...oidc, scopes: ['profile'] }, /scopes: must include 'openid'/],
      ['scopes', { ...oidc, scopes: ['openid', 'a b'] }, /scopes\[1\]: 'a b' is not a valid scope/],
    ])('DashboardIdentity.oidc names the bad option (%s)', (_option, options, message) => {
      expect(() => DashboardIdentity.oidc(options)).toThrow(/^DashboardIdentity\.oidc: invalid options/);
      expect(() => DashboardIdentity.oidc(options)).toThrow(message);
    });
  });
});
