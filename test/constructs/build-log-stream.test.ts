import { Duration, Token } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as logs from 'aws-cdk-lib/aws-logs';
import { newStack, shopInstallation } from './stack-fixtures';
import { StateTable, BuildLogStream, WebSocketAuthentication } from '../../src';

/** The logical id of the one resource of `type` whose id starts with `prefix`. */
function idOf(template: Template, type: string, prefix: string): string {
  const ids = Object.keys(template.findResources(type)).filter(id => id.startsWith(prefix));
  expect(ids).toHaveLength(1);
  return ids[0];
}

function functionOf(template: Template, prefix: string): any {
  return template.findResources('AWS::Lambda::Function')[idOf(template, 'AWS::Lambda::Function', prefix)];
}

/** Every IAM statement attached to `roleId`. */
function statementsOfRole(template: Template, roleId: string): any[] {
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((policy: any) => policy.Properties.Roles.some((role: any) => role.Ref === roleId))
    .flatMap((policy: any) => policy.Properties.PolicyDocument.Statement);
}

function statementsOfFunction(template: Template, prefix: string): any[] {
  return statementsOfRole(template, functionOf(template, prefix).Properties.Role['Fn::GetAtt'][0]);
}

const INGEST = 'TrellisLogsIngest';
const ARCHIVE = 'TrellisLogsArchive';
const SOCKET = 'TrellisLogsSocket';
const actionsOf = (statement: any): string[] => [].concat(statement.Action);
const resourcesOf = (statement: any): any[] => [].concat(statement.Resource);
const uniqueJson = (values: any[]): any[] => [...new Set(values.map(value => JSON.stringify(value)))].map(value => JSON.parse(value));

describe('LogStream', () => {
  test('one subscription filter on the build log group, to the archive function, which CloudWatch Logs alone may invoke, for that group only', () => {
    const { template } = shopInstallation();
    const buildLogs = idOf(template, 'AWS::Logs::LogGroup', 'TrellisBuildBuildLogs');
    const archive = idOf(template, 'AWS::Lambda::Function', ARCHIVE);
    const filters = Object.values(template.findResources('AWS::Logs::SubscriptionFilter')) as any[];
    expect(filters).toHaveLength(1);
    expect(filters[0].Properties).toEqual({
      LogGroupName: { Ref: buildLogs },
      DestinationArn: { 'Fn::GetAtt': [archive, 'Arn'] },
      FilterPattern: '',
    });
    const permissions = Object.values(template.findResources('AWS::Lambda::Permission')) as any[];
    const archivePermissions = permissions.filter(permission => JSON.stringify(permission.Properties.FunctionName).includes(archive));
    expect(archivePermissions.map(permission => permission.Properties)).toEqual([{
      Action: 'lambda:InvokeFunction',
      FunctionName: { 'Fn::GetAtt': [archive, 'Arn'] },
      Principal: 'logs.amazonaws.com',
      SourceArn: { 'Fn::GetAtt': [buildLogs, 'Arn'] },
    }]);
    // Each function serves one path and refuses the other's events.
    expect(functionOf(template, INGEST).Properties.Environment.Variables.TRELLIS_INGEST_PATH).toBe('live');
    expect(functionOf(template, ARCHIVE).Properties.Environment.Variables.TRELLIS_INGEST_PATH).toBe('archive');
  });

  test.each([INGEST, ARCHIVE, SOCKET])('%s may use the table and post to this API\'s live connections, nothing else', prefix => {
    const { template } = shopInstallation();
    const table = idOf(template, 'AWS::DynamoDB::Table', 'TrellisTable');
    const api = idOf(template, 'AWS::ApiGatewayV2::Api', 'TrellisLogsApi');
    const statements = statementsOfFunction(template, prefix);

    for (const statement of statements) {
      expect(statement.Effect).toBe('Allow');
      expect(actionsOf(statement).every(action => action.startsWith('dynamodb:') || action === 'execute-api:ManageConnections')).toBe(true);
      for (const resource of resourcesOf(statement)) expect(resource).not.toBe('*');
    }
    expect(JSON.stringify(statements)).not.toContain('secretsmanager');

    const dynamo = statements.filter(s => actionsOf(s).some(action => action.startsWith('dynamodb:')));
    expect(dynamo.flatMap(actionsOf)).toEqual(expect.arrayContaining(['dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:DeleteItem']));
    // Data only: no table administration (DescribeTable is read-only metadata, part of the data grant).
    expect(dynamo.flatMap(actionsOf).filter(action => /(Create|Delete|Update)Table|Backup|Export|Import|TimeToLive|\*/.test(action))).toEqual([]);
    expect(uniqueJson(dynamo.flatMap(resourcesOf))).toEqual([
      { 'Fn::GetAtt': [table, 'Arn'] },
      { 'Fn::Join': ['', [{ 'Fn::GetAtt': [table, 'Arn'] }, '/index/*']] },
    ]);

    const manage = statements.filter(s => actionsOf(s).includes('execute-api:ManageConnections'));
    expect(manage).toHaveLength(1);
    expect(manage[0].Resource).toEqual({
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':execute-api:eu-west-1:111122223333:', { Ref: api }, '/live/POST/@connections/*']],
    });
  });

  test('every function knows the table, the stage\'s callback URL and the retention; only the socket function gets auth settings', () => {
    const auth = WebSocketAuthentication.jwt({
      issuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc',
      audiences: ['client-a', 'client-b'],
      jwksUrl: 'https://keys.example.com/jwks.json',
    });
    const { template } = shopInstallation({ logs: { authentication: auth, retention: Duration.days(30) } });
    const table = idOf(template, 'AWS::DynamoDB::Table', 'TrellisTable');
    const api = idOf(template, 'AWS::ApiGatewayV2::Api', 'TrellisLogsApi');
    const common = {
      TABLE_NAME: { Ref: table },
      CONNECTIONS_ENDPOINT: { 'Fn::Join': ['', ['https://', { Ref: api }, '.execute-api.eu-west-1.', { Ref: 'AWS::URLSuffix' }, '/live']] },
      LOG_RETENTION_DAYS: '30',
    };
    expect(functionOf(template, INGEST).Properties.Environment.Variables).toEqual({ ...common, TRELLIS_INGEST_PATH: 'live' });
    expect(functionOf(template, ARCHIVE).Properties.Environment.Variables).toEqual({ ...common, TRELLIS_INGEST_PATH: 'archive' });
    expect(functionOf(template, SOCKET).Properties.Environment.Variables).toEqual({
      ...common,
      AUTH_ISSUER: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc',
      AUTH_AUDIENCE: 'client-a,client-b',
      AUTH_JWKS_URL: 'https://keys.example.com/jwks.json',
    });
  });

  test('without authentication no auth settings are set (the handler refuses every connection); retention defaults to 90 days', () => {
    // A BuildLogStream on its own: TrellisPipeline always passes its dashboard's identity.
    const stack = newStack();
    new BuildLogStream(stack, 'Logs', { table: new StateTable(stack, 'Table'), logGroup: new logs.LogGroup(stack, 'BuildLogs') });
    const template = Template.fromStack(stack);
    for (const prefix of ['LogsIngest', 'LogsArchive', 'LogsSocket']) {
      const variables = functionOf(template, prefix).Properties.Environment.Variables;
      expect(Object.keys(variables).filter(name => name !== 'TRELLIS_INGEST_PATH').sort()).toEqual(['CONNECTIONS_ENDPOINT', 'LOG_RETENTION_DAYS', 'TABLE_NAME']);
      expect(variables.LOG_RETENTION_DAYS).toBe('90');
    }
    expect(WebSocketAuthentication.jwt({ issuer: 'https://issuer.example.com', audiences: ['x'] })._environment()).toEqual({
      AUTH_ISSUER: 'https://issuer.example.com',
      AUTH_AUDIENCE: 'x',
    });
  });

  test('every BuildLogStream function logs to its own log group with a retention; the build log group has one too', () => {
    const { template } = shopInstallation();
    const groups = template.findResources('AWS::Logs::LogGroup');
    for (const prefix of [INGEST, ARCHIVE, SOCKET]) {
      const groupId = functionOf(template, prefix).Properties.LoggingConfig.LogGroup.Ref;
      expect(groupId).toMatch(new RegExp(`^${prefix}Logs`));
      expect(groups[groupId].Properties.RetentionInDays).toBe(30);
    }
    expect(groups[idOf(template, 'AWS::Logs::LogGroup', 'TrellisBuildBuildLogs')].Properties.RetentionInDays).toBe(90);
    for (const [id, group] of Object.entries(groups) as [string, any][]) {
      expect({ id, retention: group.Properties.RetentionInDays }).toEqual({ id, retention: expect.any(Number) });
    }
  });

  test('the live stage deploys automatically and is throttled', () => {
    const { template } = shopInstallation();
    template.resourceCountIs('AWS::ApiGatewayV2::Stage', 3); // the webhook's, the control API's and this one
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      ApiId: { Ref: idOf(template, 'AWS::ApiGatewayV2::Api', 'TrellisLogsApi') },
      StageName: 'live',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
      AccessLogSettings: Match.absent(),
    });
  });

  test('routes $connect, $disconnect, $default, subscribe and unsubscribe all go to the socket function', () => {
    const { template } = shopInstallation();
    const api = idOf(template, 'AWS::ApiGatewayV2::Api', 'TrellisLogsApi');
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', { ProtocolType: 'WEBSOCKET', RouteSelectionExpression: '$request.body.action' });
    const routes = Object.values(template.findResources('AWS::ApiGatewayV2::Route')).filter((route: any) => route.Properties.ApiId.Ref === api) as any[];
    expect(routes.map(route => route.Properties.RouteKey).sort()).toEqual(['$connect', '$default', '$disconnect', 'subscribe', 'unsubscribe']);
    const integrations = new Set(routes.map(route => JSON.stringify(route.Properties.Target)));
    expect(integrations.size).toBe(1);
    const integrationId = idOf(template, 'AWS::ApiGatewayV2::Integration', 'TrellisLogsApi');
    expect(JSON.stringify(routes[0].Properties.Target)).toContain(integrationId);
    expect(JSON.stringify(template.findResources('AWS::ApiGatewayV2::Integration')[integrationId].Properties.IntegrationUri))
      .toContain(idOf(template, 'AWS::Lambda::Function', SOCKET));
  });

  test('the builder gets the ingest function\'s name, and each build role may invoke that function only (never the archive one)', () => {
    const { template } = shopInstallation();
    const ingest = idOf(template, 'AWS::Lambda::Function', INGEST);
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: [Match.objectLike({
        Name: 'builder',
        Environment: Match.arrayWith([{ Name: 'TRELLIS_LOG_INGEST_FUNCTION', Value: { Ref: ingest } }]),
      })],
    });
    const buildRoles = Object.keys(template.findResources('AWS::IAM::Role')).filter(id => id.startsWith('TrellisBuildEnvironmentRoles'));
    expect(buildRoles.length).toBeGreaterThan(0);
    for (const role of buildRoles) {
      const invokes = statementsOfRole(template, role).filter(s => JSON.stringify(s.Action).includes('lambda:'));
      expect(invokes).toEqual([{ Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: { 'Fn::GetAtt': [ingest, 'Arn'] } }]);
    }
    expect(statementsOfRole(template, idOf(template, 'AWS::IAM::Role', 'TrellisBuildTaskRole'))).toEqual([]);
  });

  test('sendLiveLogsTo is one target only', () => {
    const { pipeline } = shopInstallation();
    expect(() => pipeline.buildServer.sendLiveLogsTo(pipeline.logs.ingestFunction)).toThrow(/already send live logs/);
  });

  test('the socket takes one authentication: the dashboard\'s tokens are not given over those of the authentication option, nor twice', () => {
    const { pipeline } = shopInstallation();
    expect(() => pipeline.logs._authenticateWith(pipeline.dashboard.webSocketAuthentication)).toThrow(/already authenticated/);
    const explicit = shopInstallation({ logs: { authentication: WebSocketAuthentication.jwt({ issuer: 'https://issuer.example.com', audiences: ['other'] }) } }).pipeline;
    expect(() => explicit.logs._authenticateWith(explicit.dashboard.webSocketAuthentication)).toThrow(/already authenticated/);
  });

  test('the WebSocket URL is the live stage\'s wss:// URL, and an output', () => {
    const { stack, pipeline, template } = shopInstallation();
    expect(stack.resolve(pipeline.logs.webSocketUrl)).toEqual({
      'Fn::Join': ['', ['wss://', { Ref: idOf(template, 'AWS::ApiGatewayV2::Api', 'TrellisLogsApi') }, '.execute-api.eu-west-1.', { Ref: 'AWS::URLSuffix' }, '/live']],
    });
    const outputs = Object.entries(template.findOutputs('*')).filter(([id]) => id.includes('WebSocketUrl'));
    expect(outputs).toHaveLength(1);
    expect(outputs[0][1].Value).toEqual(stack.resolve(pipeline.logs.webSocketUrl));
  });

  test('access logging, when asked for, goes to a log group with a retention', () => {
    const stack = newStack();
    new BuildLogStream(stack, 'Logs', {
      table: new StateTable(stack, 'Table'),
      logGroup: new logs.LogGroup(stack, 'Builds', { retention: logs.RetentionDays.ONE_WEEK }),
      accessLogging: true,
    });
    const template = Template.fromStack(stack);
    const accessLogs = idOf(template, 'AWS::Logs::LogGroup', 'LogsAccessLogs');
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: 'live',
      AccessLogSettings: { DestinationArn: { 'Fn::GetAtt': [accessLogs, 'Arn'] }, Format: Match.anyValue() },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
    expect(template.findResources('AWS::Logs::LogGroup')[accessLogs].Properties.RetentionInDays).toBe(30);
  });

  describe('synth-time validation', () => {
    test.each([
      ['fractional days', Duration.hours(36)],
      ['zero', Duration.days(0)],
      ['over ten years', Duration.days(3651)],
    ])('logs.retention: %s is refused, naming the prop', (_name, retention) => {
      expect(() => shopInstallation({ logs: { retention } })).toThrow(/retention: .*whole number of days from 1 to 3650/);
    });

    test('logs.retention in other units that are whole days is accepted', () => {
      const { template } = shopInstallation({ logs: { retention: Duration.hours(48) } });
      expect(functionOf(template, INGEST).Properties.Environment.Variables.LOG_RETENTION_DAYS).toBe('2');
    });

    test.each([
      ['issuer', { issuer: 'http://issuer.example.com', audiences: ['a'] }, /issuer: 'http:\/\/issuer.example.com' must be an https URL/],
      ['issuer', { issuer: 'not a url', audiences: ['a'] }, /issuer: 'not a url' is not a URL/],
      ['issuer', { issuer: 'https://issuer.example.com/?x=1', audiences: ['a'] }, /issuer: .*must not have a query or fragment/],
      ['audiences', { issuer: 'https://issuer.example.com', audiences: [] }, /audiences: give at least one/],
      ['audiences', { issuer: 'https://issuer.example.com', audiences: ['a', 'b,c'] }, /audiences\[1\]: 'b,c' must be a non-empty value without commas/],
      ['jwksUrl', { issuer: 'https://issuer.example.com', audiences: ['a'], jwksUrl: 'ftp://keys.example.com' }, /jwksUrl: .*must be an https URL/],
    ])('WebSocketAuthentication.jwt names the bad option (%s)', (_option, options, message) => {
      expect(() => WebSocketAuthentication.jwt(options)).toThrow(/^WebSocketAuthentication\.jwt: invalid options/);
      expect(() => WebSocketAuthentication.jwt(options)).toThrow(message);
    });

    test('token values (say a user pool\'s URL) are not checked at synth time', () => {
      const stack = newStack();
      const issuer = `https://cognito-idp.eu-west-1.amazonaws.com/${Token.asString({ Ref: 'Pool' })}`;
      const auth = WebSocketAuthentication.jwt({ issuer, audiences: [Token.asString({ Ref: 'Client' })] });
      expect(stack.resolve(auth._environment())).toEqual({
        AUTH_ISSUER: { 'Fn::Join': ['', ['https://cognito-idp.eu-west-1.amazonaws.com/', { Ref: 'Pool' }]] },
        AUTH_AUDIENCE: { Ref: 'Client' },
      });
    });
  });
});
