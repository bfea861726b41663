import { CfnOutput, Duration, Lazy, Token } from 'aws-cdk-lib';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { WebSocketAuthentication } from './build-log-stream';
import { DashboardIdentity } from './dashboard-identity';
import { GitHubApp } from './github-app';
import { BoundIdentity } from './private/bound-identity';
import { addControlApiRoutes, controlApiFunction, corsOrigins } from './private/control-api';
import { controlApiActsAsApp, controlApiSignsInWithGitHub } from './private/control-api-github';
import { deploySite, siteBucket, siteDistribution } from './private/dashboard-site';
import { callbackUrlProblem, urlProblem } from './private/dashboard-web';
import { constructPropsError } from './private/prop-issues';
import { StateTable } from './state-table';
import { DashboardAuth, DashboardConfig } from '../runtime/core/api-types';
import { DEFAULT_AUDIT_RETENTION_DAYS, auditRetentionProblem } from '../runtime/core/audit-retention';
import { ValidationIssue } from '../runtime/core/errors';
import { installationName as installationNameRule } from '../runtime/core/names';

/** How the dashboard signs users in, and what it adds. */
export interface TrellisDashboardOptions {
  /**
   * Who signs in.
   * @default DashboardIdentity.cognito()
   */
  readonly identity?: DashboardIdentity;

  /**
   * More sign-in and sign-out redirect URLs for the user pool the dashboard creates, e.g.
   * `http://localhost:5173/` to run the dashboard locally against this installation; their
   * origins may call the control API too. https, or http on localhost.
   * @default - only the dashboard's own URL
   */
  readonly callbackUrls?: string[];

  /**
   * Bucket for CloudFront access logs of the dashboard (prefix `trellis-dashboard/`); it
   * must allow ACLs (object ownership "object writer" or "bucket owner preferred").
   * @default - no CloudFront access logs (control API calls are logged by API Gateway)
   */
  readonly accessLogBucket?: s3.IBucket;
}

/** Properties of the dashboard. */
export interface TrellisDashboardProps extends TrellisDashboardOptions {
  /** The state table the control API reads and changes. */
  readonly table: StateTable;

  /** The launch queue deployments started from the dashboard go to. */
  readonly queue: sqs.IQueue;

  /** Installation name: the control API may use secrets under `trellis/<installationName>/` only. */
  readonly installationName: string;

  /** The live log WebSocket URL (BuildLogStream's `webSocketUrl`). */
  readonly webSocketUrl: string;

  /**
   * The GitHub App the control API acts as: the setup page, repositories of new applications,
   * sign in with GitHub (`DashboardIdentity.gitHub`).
   * @default - none: repositories are reached with the installation's personal access token
   */
  readonly github?: GitHubApp;

  /**
   * How long CloudWatch keeps the logs of this construct's functions and of the control API access log.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * How long the audit trail keeps each entry (the table's TTL deletes it then): whole days, from
   * one day to ten years.
   * @default Duration.days(365)
   */
  readonly auditRetention?: Duration;
}

/**
 * The web dashboard and the control API behind it. The single-page app is served from a
 * private bucket through CloudFront (origin access control, HTTPS, security headers) with a
 * `config.json` written at deploy time; the control API is an HTTP API whose routes, but
 * `GET /api/health`, need a JWT of the dashboard's identity provider.
 *
 * @example
 * new TrellisPipeline(stack, 'Trellis', {
 *   dashboard: {
 *     identity: DashboardIdentity.cognito({ domainPrefix: 'acme-deploys', mfaRequired: true }),
 *     callbackUrls: ['http://localhost:5173/'],
 *   },
 * });
 */
export class TrellisDashboard extends Construct {
  /** The CloudFront distribution serving the dashboard. */
  public readonly distribution: cloudfront.IDistribution;
  /** The bucket holding the built dashboard (private: CloudFront reads it). */
  public readonly bucket: s3.IBucket;
  /** The dashboard's URL (`https://<distribution domain>`). */
  public readonly url: string;
  /** The control API. */
  public readonly api: apigwv2.IHttpApi;
  /** The control API's base URL; routes are under `/api/`. */
  public readonly apiUrl: string;
  /** The function behind the control API. */
  public readonly apiFunction: lambda.IFunction;
  /** @internal the same function, to add the build runner's settings to (cancel) */
  public readonly _apiHandler: lambda.Function;
  /** The user pool, when the dashboard created it (`DashboardIdentity.cognito()`). */
  public readonly userPool?: cognito.IUserPool;
  /** The dashboard's app client, when the dashboard created the user pool. */
  public readonly userPoolClient?: cognito.IUserPoolClient;
  /** Accepts the dashboard's tokens: give it to `BuildLogStream` so live logs let the same users in. */
  public readonly webSocketAuthentication: WebSocketAuthentication;

  constructor(scope: Construct, id: string, props: TrellisDashboardProps) {
    super(scope, id);
    this.validate(props);

    const bucket = siteBucket(this);
    this.bucket = bucket;

    // The app client's redirect URLs are the distribution's, and the distribution's security
    // headers name the identity provider: the URL is read when the template is written.
    let distribution: cloudfront.Distribution | undefined;
    const siteUrl = Lazy.string({ produce: () => `https://${distribution!.distributionDomainName}` });
    // Sign in with GitHub has the control API as its issuer; the API exists once the identity does.
    let api: apigwv2.HttpApi | undefined;
    const identity = (props.identity ?? DashboardIdentity.cognito())._bind(new Construct(this, 'Identity'), {
      installationName: props.installationName,
      url: siteUrl,
      callbackUrls: props.callbackUrls ?? [],
      apiUrl: Lazy.string({ produce: () => api!.apiEndpoint }),
      hasGitHubApp: props.github !== undefined,
      fail: issues => this.fail(issues),
    });
    const github = props.github?._bind(this, props.installationName);

    // No CORS configuration on the API: it would name the distribution, whose security headers
    // name the API. The API function answers the preflight and adds the CORS headers itself.
    api = new apigwv2.HttpApi(this, 'Api', {
      description: 'Trellis control API',
      createDefaultStage: false,
    });

    distribution = siteDistribution(this, {
      bucket,
      installationName: props.installationName,
      // This installation's control API, live log socket and token endpoint: exact origins.
      connect: [api.apiEndpoint, props.webSocketUrl, identity.tokenUrl],
      // The setup page posts the App's manifest to GitHub.
      ...github?.createdBySetupPage ? { formAction: [github.endpoints.webUrl] } : {},
      accessLogBucket: props.accessLogBucket,
    });
    this.distribution = distribution;
    this.url = `https://${distribution.distributionDomainName}`;

    const fn = controlApiFunction(this, {
      table: props.table,
      queue: props.queue,
      installationName: props.installationName,
      origins: corsOrigins(this.url, props.callbackUrls ?? []),
      identity,
      auditRetentionDays: props.auditRetention?.toDays({ integral: false }) ?? DEFAULT_AUDIT_RETENTION_DAYS,
      logRetention: props.logRetention,
    });
    this.apiFunction = fn;
    this._apiHandler = fn;
    if (github) controlApiActsAsApp(fn, github, api.apiEndpoint);
    if (identity.gitHubRoles) controlApiSignsInWithGitHub(fn, props.installationName, identity.issuer, identity.gitHubRoles);
    addControlApiRoutes(this, api, fn, props.logRetention, {
      signIn: identity.gitHubRoles !== undefined,
      appCreated: github?.createdBySetupPage ?? false,
    });
    this.api = api;
    this.apiUrl = api.apiEndpoint;

    this.userPool = identity.userPool;
    this.userPoolClient = identity.userPoolClient;
    this.webSocketAuthentication = WebSocketAuthentication.jwt({ issuer: identity.issuer, audiences: identity.audiences, jwksUrl: identity.jwksUrl });

    const config: DashboardConfig = {
      apiUrl: this.apiUrl,
      webSocketUrl: props.webSocketUrl,
      auth: dashboardAuth(identity),
    };
    deploySite(this, bucket, distribution, config);

    new CfnOutput(this, 'DashboardUrl', { value: this.url, description: 'Trellis dashboard' });
    new CfnOutput(this, 'ApiUrl', { value: this.apiUrl, description: 'Trellis control API (routes under /api/)' });
    if (this.userPool) {
      new CfnOutput(this, 'UserPoolId', {
        value: this.userPool.userPoolId,
        description: 'Trellis users: aws cognito-idp admin-create-user --user-pool-id <id> --username <email>, then admin-add-user-to-group (admin, deployer, viewer)',
      });
    }
  }

  private validate(props: TrellisDashboardProps): void {
    const issues: ValidationIssue[] = [];
    const nameProblem = Token.isUnresolved(props.installationName) ? undefined : installationNameRule(props.installationName);
    if (nameProblem) issues.push({ path: 'installationName', message: nameProblem });
    const socketProblem = urlProblem(props.webSocketUrl, ['wss:']);
    if (socketProblem) issues.push({ path: 'webSocketUrl', message: socketProblem });
    (props.callbackUrls ?? []).forEach((value, index) => {
      const problem = callbackUrlProblem(value);
      if (problem) issues.push({ path: `callbackUrls[${index}]`, message: problem });
    });
    if (props.auditRetention) {
      const retentionProblem = props.auditRetention.isUnresolved()
        ? 'must be a duration known at synth time'
        : auditRetentionProblem(props.auditRetention.toDays({ integral: false }));
      if (retentionProblem) issues.push({ path: 'auditRetention', message: retentionProblem });
    }
    if (issues.length > 0) this.fail(issues);
  }

  private fail(issues: ValidationIssue[]): never {
    throw constructPropsError('TrellisDashboard', this, issues);
  }
}

/** How the dashboard page signs in: GitHub through the control API's sign-in route, else the OIDC flow with PKCE. */
function dashboardAuth(identity: BoundIdentity): DashboardAuth {
  if (identity.gitHubRoles) return { kind: 'github', signInUrl: identity.authorizeUrl };
  return {
    kind: 'oidc',
    authorizeUrl: identity.authorizeUrl,
    tokenUrl: identity.tokenUrl,
    clientId: identity.clientId,
    scopes: identity.scopes,
    ...(identity.logoutUrl === undefined ? {} : { logoutUrl: identity.logoutUrl }),
  };
}
