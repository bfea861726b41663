import { Duration, Token } from 'aws-cdk-lib';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { FindingReason, acknowledge, functionReasons } from './acknowledge';
import { BoundIdentity } from './bound-identity';
import { GitHubRoutes, addGitHubRoutes } from './control-api-github';
import { originOf } from './dashboard-web';
import { trellisLogGroup } from './log-groups';
import { secretArn } from './secret-arn';
import { CONTROL_API_ENV } from '../../contract/function-environment';
import { secretPolicyNames } from '../../contract/secret-names';
import { ControlApiFunction } from '../../runtime/handlers/control-api-function';
import { StateTable } from '../state-table';

/** Requests per second the control API accepts, and in a burst. A team's browsers stay far below. */
const API_RATE_LIMIT = 50;
const API_BURST_LIMIT = 100;

/** What the control API's function works on. */
export interface ControlApiFunctionOptions {
  readonly table: StateTable;
  readonly queue: sqs.IQueue;
  readonly installationName: string;
  /** The origins whose pages may call the API (CORS). */
  readonly origins: string[];
  /** Whose JWTs the function accepts (it verifies each request itself, API tokens too). */
  readonly identity: Pick<BoundIdentity, 'issuer' | 'audiences' | 'jwksUrl'>;
  /** How long the audit trail keeps an entry, in whole days (checked by the caller). */
  readonly auditRetentionDays: number;
  readonly logRetention?: logs.RetentionDays;
}

/**
 * The function behind the control API: it reads and changes the table, sends deployments to
 * the launch queue and uses the installation's environment secrets and GitHub token.
 */
export function controlApiFunction(scope: Construct, options: ControlApiFunctionOptions): lambda.Function {
  const fn = new ControlApiFunction(scope, 'ApiHandler', {
    description: 'Trellis: control API of the dashboard and the CLI',
    timeout: Duration.seconds(29), // HTTP APIs wait 30 s at most
    memorySize: 512,
    environment: {
      [CONTROL_API_ENV.tableName]: options.table.tableName,
      [CONTROL_API_ENV.queueUrl]: options.queue.queueUrl,
      [CONTROL_API_ENV.installation]: options.installationName,
      // The origins whose pages may call the API (CORS), space-separated.
      [CONTROL_API_ENV.dashboardOrigins]: options.origins.join(' '),
      [CONTROL_API_ENV.authIssuer]: options.identity.issuer,
      [CONTROL_API_ENV.authAudience]: options.identity.audiences.join(','),
      [CONTROL_API_ENV.authJwksUrl]: options.identity.jwksUrl ?? `${options.identity.issuer}/.well-known/jwks.json`,
      [CONTROL_API_ENV.auditRetentionDays]: String(options.auditRetentionDays),
    },
    logGroup: trellisLogGroup(scope, 'ApiHandlerLogs', options.logRetention),
  });
  options.table.grantReadWriteData(fn);
  options.queue.grantSendMessages(fn);
  const secrets = grantSecrets(fn, options.installationName);
  const reasons = functionReasons(options.table.table);
  // A build server adds its own acknowledgement with grantStopBuilds (cancel).
  acknowledge(fn, { ...reasons, IAM5: [...reasons.IAM5, secrets] });
  return fn;
}

/**
 * The origins whose pages may call the control API: the dashboard's (`url`) and those of the
 * extra callback URLs (a callback URL given as a token cannot be reduced to its origin: skipped).
 */
export function corsOrigins(url: string, callbackUrls: string[]): string[] {
  const origins = [url, ...callbackUrls.filter(value => !Token.isUnresolved(value)).map(originOf)];
  return origins.filter((value, index) => origins.indexOf(value) === index);
}

/**
 * The control API's throttled `$default` stage with its access log, and its routes: everything
 * under `/api/` goes to the function, which answers 401 unless the request carries a JWT of the
 * identity or an API token (API Gateway's JWT authorizer cannot take API tokens); the GitHub routes
 * asked for are public.
 */
export function addControlApiRoutes(scope: Construct, api: apigwv2.HttpApi, fn: lambda.IFunction,
  logRetention?: logs.RetentionDays, gitHubRoutes: GitHubRoutes = { signIn: false, appCreated: false }): void {
  new apigwv2.HttpStage(scope, 'Stage', {
    httpApi: api,
    stageName: '$default',
    autoDeploy: true,
    throttle: { rateLimit: API_RATE_LIMIT, burstLimit: API_BURST_LIMIT },
    accessLogSettings: {
      destination: new apigwv2.LogGroupLogDestination(trellisLogGroup(scope, 'ApiAccessLogs', logRetention)),
    },
  });
  const integration = new HttpLambdaIntegration('ControlApi', fn);
  const [proxy] = api.addRoutes({ path: '/api/{proxy+}', methods: [apigwv2.HttpMethod.ANY], integration });
  acknowledge(proxy, {
    APIG4: 'API Gateway\'s JWT authorizer cannot verify Trellis API tokens (trellis_<id>_<secret>, for CI), so the function authenticates '
      + 'every request itself: JWTs against the identity provider\'s keys (the authorizer\'s checks: signature, issuer, audience, expiry), '
      + 'API tokens against their SHA-256 in the table; without either it answers 401 and reads nothing. The stage\'s throttle still applies',
  });
  const [health] = api.addRoutes({ path: '/api/health', methods: [apigwv2.HttpMethod.GET], integration });
  acknowledge(health, {
    APIG4: 'GET /api/health is public by design: it answers { ok: true } for monitoring and reads nothing; every other route needs a JWT or an API token',
  });
  // Browsers send the preflight without the Authorization header; the function answers it
  // from DASHBOARD_ORIGINS and reads nothing.
  const [preflight] = api.addRoutes({ path: '/api/{proxy+}', methods: [apigwv2.HttpMethod.OPTIONS], integration });
  acknowledge(preflight, {
    APIG4: 'OPTIONS /api/{proxy+} is the CORS preflight, which browsers send without a token: the function answers it for the dashboard\'s origins and reads nothing',
  });
  addGitHubRoutes(api, integration, gitHubRoutes);
}

/**
 * DeploymentEnvironment secrets (`trellis/<installation>/<app>/<env>`: read, written, created on
 * first use) and the GitHub token (read). Not the webhook secret, nor anything else.
 * Returns why the grant's wildcards are there, for cdk-nag.
 */
function grantSecrets(fn: lambda.Function, installationName: string): FindingReason {
  const environmentSecrets = secretArn(fn, secretPolicyNames.environments(installationName));
  const githubToken = secretArn(fn, secretPolicyNames.githubToken(installationName));
  fn.addToRolePolicy(new iam.PolicyStatement({
    actions: ['secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue', 'secretsmanager:CreateSecret', 'secretsmanager:DescribeSecret'],
    resources: [environmentSecrets],
  }));
  fn.addToRolePolicy(new iam.PolicyStatement({
    actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
    resources: [githubToken],
  }));
  return {
    reason: 'the installation\'s environment secrets (trellis/<installation>/<app>/<env>, created on first use) and the GitHub token, '
      + 'whose ARNs end in a random suffix; not the webhook secret',
    resources: [environmentSecrets, githubToken],
  };
}
