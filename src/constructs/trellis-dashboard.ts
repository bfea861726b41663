import * as path from 'path';
import { ArnFormat, Aws, CfnOutput, Duration, Fn, Lazy, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import { S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { WebSocketAuthentication } from './build-log-stream';
import { FindingReason, LAMBDA_BASIC_EXECUTION, acknowledge, functionReasons } from './private/acknowledge';
import { callbackUrlProblem, cognitoDomainPrefixProblem, originOf, urlProblem } from './private/dashboard-web';
import { trellisLogGroup } from './private/log-groups';
import { propsError } from './private/prop-issues';
import { StateTable } from './state-table';
import { DashboardConfig } from '../runtime/core/api-types';
import { secretNames } from '../runtime/core/build-contract';
import { contentSecurityPolicy } from '../runtime/core/content-security-policy';
import { ValidationIssue } from '../runtime/core/errors';
import { installationName as installationNameRule } from '../runtime/core/names';
import { ControlApiFunction } from '../runtime/handlers/control-api-function';

/** Settings of the Cognito user pool the dashboard creates. */
export interface CognitoIdentityOptions {
  /**
   * Prefix of the hosted sign-in domain, `https://<prefix>.auth.<region>.amazoncognito.com`:
   * 1-63 lowercase letters, digits or hyphens, unique in the region, without `aws`, `amazon`
   * or `cognito`.
   * @default - `trellis-<installationName>-<first 8 characters of the stack's id>`
   */
  readonly domainPrefix?: string;

  /**
   * Require every user to sign in with a second factor (an authenticator app).
   * @default false - MFA is optional: each user may add an authenticator app
   */
  readonly mfaRequired?: boolean;

  /**
   * Cognito threat protection (the Plus feature plan, billed per monthly active user): blocks
   * sign-ins with leaked credentials and adapts to risky sign-ins.
   * @default false - the Essentials plan
   */
  readonly threatProtection?: boolean;

  /**
   * What happens to the user pool when it leaves the stack.
   * @default RemovalPolicy.RETAIN - users and their authenticators are kept, with deletion protection on
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** An OpenID Connect identity provider the dashboard signs in with (authorization code flow with PKCE). */
export interface OidcIdentityOptions {
  /**
   * The token issuer (`iss`), an https URL without query or fragment. API Gateway reads its
   * discovery document (`<issuer>/.well-known/openid-configuration`).
   */
  readonly issuer: string;

  /** The dashboard's client id at the provider: a public client (no secret) allowed the dashboard URL as redirect URI. */
  readonly clientId: string;

  /** The provider's authorization endpoint (https). */
  readonly authorizeUrl: string;

  /** The provider's token endpoint (https); the browser posts the authorization code here. */
  readonly tokenUrl: string;

  /**
   * Scopes to ask for. The ID token must carry the user's groups (`groups` or `cognito:groups`).
   * @default ['openid', 'profile', 'email']
   */
  readonly scopes?: string[];

  /**
   * The provider's sign-out endpoint (https).
   * @default - none: signing out forgets the token in the browser only
   */
  readonly logoutUrl?: string;

  /**
   * Accepted audiences: the token's `aud` or `client_id`.
   * @default - the client id
   */
  readonly audiences?: string[];

  /**
   * Where the issuer publishes its signing keys (read by the live log socket; API Gateway uses the discovery document).
   * @default - `<issuer>/.well-known/jwks.json`
   */
  readonly jwksUrl?: string;
}

/** What an identity needs to know about the dashboard it signs users in to. */
interface IdentityContext {
  readonly installationName: string;
  /** The dashboard's URL (`https://<domain>`), without a trailing slash. */
  readonly url: string;
  /** Extra sign-in and sign-out redirect URLs (local development). */
  readonly callbackUrls: string[];
  /** Throws the dashboard's validation error. */
  readonly fail: (issues: ValidationIssue[]) => never;
}

/** An identity, bound to one dashboard. */
interface BoundIdentity {
  readonly issuer: string;
  readonly audiences: string[];
  readonly jwksUrl?: string;
  readonly clientId: string;
  readonly authorizeUrl: string;
  readonly tokenUrl: string;
  readonly logoutUrl?: string;
  readonly scopes: string[];
  readonly userPool?: cognito.IUserPool;
  readonly userPoolClient?: cognito.IUserPoolClient;
}

type Binder = (scope: Construct, context: IdentityContext) => BoundIdentity;

/** Groups a created user pool has; the control API and the live log socket read them from the ID token. */
const GROUPS = [
  { name: 'admin', description: 'Everything, in every environment, including settings' },
  { name: 'deployer', description: 'Deploy, promote, roll back, tear down and cancel in environments that are not protected' },
  { name: 'viewer', description: 'Read applications, deployments and logs' },
];

const COGNITO_SCOPES = [cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL, cognito.OAuthScope.PROFILE];

/**
 * Who signs in to the dashboard: a user pool it creates (the default), a user pool of
 * yours, or any OpenID Connect provider. The control API and the live log socket accept
 * the same tokens.
 *
 * @example
 * new TrellisPipeline(stack, 'Trellis', {
 *   dashboard: { identity: DashboardIdentity.cognito({ domainPrefix: 'acme-deploys' }) },
 * });
 */
export class DashboardIdentity {
  /**
   * A new Cognito user pool for this installation: no self sign-up (an administrator creates
   * users), a strong password policy, optional MFA, groups `admin`, `deployer` and `viewer`
   * (and `<role>:<application>` groups you add), the hosted sign-in UI and a public app client
   * (authorization code with PKCE) for the dashboard URL.
   *
   * @example
   * const identity = DashboardIdentity.cognito({ domainPrefix: 'acme-deploys', mfaRequired: true });
   */
  public static cognito(options: CognitoIdentityOptions = {}): DashboardIdentity {
    const prefixProblem = options.domainPrefix === undefined ? undefined : cognitoDomainPrefixProblem(options.domainPrefix);
    if (prefixProblem) failOptions('DashboardIdentity.cognito', [{ path: 'domainPrefix', message: prefixProblem }]);
    return new DashboardIdentity((scope, context) => bindCognito(scope, context, options));
  }

  /**
   * A Cognito user pool and app client of yours. The client must be public (no secret), allow
   * the authorization code grant with the `openid`, `email` and `profile` scopes, and list the dashboard URL
   * (`TrellisDashboard.url` + `/`) as callback and sign-out URL. The ID token's `cognito:groups` decide
   * what a user may do.
   *
   * @param userPool the user pool
   * @param client the dashboard's app client
   * @param domain the pool's hosted UI domain; a Cognito prefix domain is added to the pool when absent
   *
   * @example
   * const pool = cognito.UserPool.fromUserPoolId(stack, 'Pool', 'eu-west-1_AbCdEf123');
   * const client = cognito.UserPoolClient.fromUserPoolClientId(stack, 'Client', 'trellis-dashboard');
   * const identity = DashboardIdentity.userPool(pool, client);
   */
  public static userPool(userPool: cognito.IUserPool, client: cognito.IUserPoolClient, domain?: cognito.IUserPoolDomain): DashboardIdentity {
    return new DashboardIdentity((_scope, context) => {
      const baseUrl = domain ? domainBaseUrl(domain, userPool) : userPool.addDomain('DashboardDomain', {
        cognitoDomain: { domainPrefix: derivedDomainPrefix(context) },
      }).baseUrl();
      return {
        ...cognitoEndpoints(baseUrl),
        issuer: `https://${userPool.userPoolProviderName}`,
        audiences: [client.userPoolClientId],
        clientId: client.userPoolClientId,
        scopes: COGNITO_SCOPES.map(oauthScope => oauthScope.scopeName),
      };
    });
  }

  /**
   * Any OpenID Connect provider (Entra ID, Okta, Auth0, Google Workspace...). Its ID tokens
   * must carry the user's groups in `groups` or `cognito:groups`. Throws, naming the option,
   * if an option breaks a rule.
   *
   * @example
   * const identity = DashboardIdentity.oidc({
   *   issuer: 'https://acme.okta.com/oauth2/default',
   *   clientId: 'trellis-dashboard',
   *   authorizeUrl: 'https://acme.okta.com/oauth2/default/v1/authorize',
   *   tokenUrl: 'https://acme.okta.com/oauth2/default/v1/token',
   * });
   */
  public static oidc(options: OidcIdentityOptions): DashboardIdentity {
    const issues: ValidationIssue[] = [];
    for (const key of ['issuer', 'authorizeUrl', 'tokenUrl', 'logoutUrl', 'jwksUrl'] as const) {
      const value = options[key];
      const problem = value === undefined ? undefined : urlProblem(value);
      if (problem) issues.push({ path: key, message: problem });
    }
    if (!Token.isUnresolved(options.clientId) && options.clientId.trim() === '') issues.push({ path: 'clientId', message: 'must not be empty' });
    if (options.audiences !== undefined && options.audiences.length === 0) issues.push({ path: 'audiences', message: 'give at least one accepted audience, or leave it out to accept the client id' });
    options.audiences?.forEach((audience, index) => {
      // The live log socket receives them comma-separated.
      if (!Token.isUnresolved(audience) && (audience.trim() === '' || audience.includes(','))) issues.push({ path: `audiences[${index}]`, message: `'${audience}' must be a non-empty value without commas` });
    });
    if (options.scopes !== undefined && !options.scopes.includes('openid')) issues.push({ path: 'scopes', message: "must include 'openid' (the dashboard signs in with the ID token)" });
    options.scopes?.forEach((scope, index) => {
      if (!Token.isUnresolved(scope) && !/^[\x21\x23-\x5b\x5d-\x7e]+$/.test(scope)) issues.push({ path: `scopes[${index}]`, message: `'${scope}' is not a valid scope` });
    });
    if (issues.length > 0) failOptions('DashboardIdentity.oidc', issues);
    return new DashboardIdentity(() => ({
      issuer: options.issuer,
      audiences: [...(options.audiences ?? [options.clientId])],
      jwksUrl: options.jwksUrl,
      clientId: options.clientId,
      authorizeUrl: options.authorizeUrl,
      tokenUrl: options.tokenUrl,
      logoutUrl: options.logoutUrl,
      scopes: [...(options.scopes ?? ['openid', 'profile', 'email'])],
    }));
  }

  private readonly binder: Binder;

  private constructor(binder: Binder) {
    this.binder = binder;
  }

  /** @internal creates what the identity needs for one dashboard */
  public _bind(scope: Construct, context: IdentityContext): BoundIdentity {
    return this.binder(scope, context);
  }
}

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
   * How long CloudWatch keeps the logs of this construct's functions and of the control API access log.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
}

/** Requests per second the control API accepts, and in a burst. A team's browsers stay far below. */
const API_RATE_LIMIT = 50;
const API_BURST_LIMIT = 100;

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

    const bucket = new s3.Bucket(this, 'Site', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    });
    acknowledge(bucket, {
      S1: 'the bucket holds only the built dashboard and is read only by CloudFront (origin access control); '
        + 'viewer requests are logged by CloudFront when accessLogBucket is set',
    });
    this.bucket = bucket;

    // The app client's redirect URLs are the distribution's, and the distribution's security
    // headers name the identity provider: the URL is read when the template is written.
    let distribution: cloudfront.Distribution | undefined;
    const siteUrl = Lazy.string({ produce: () => `https://${distribution!.distributionDomainName}` });
    const identity = (props.identity ?? DashboardIdentity.cognito())._bind(new Construct(this, 'Identity'), {
      installationName: props.installationName,
      url: siteUrl,
      callbackUrls: props.callbackUrls ?? [],
      fail: issues => this.fail(issues),
    });

    // No CORS configuration on the API: it would name the distribution, whose security headers
    // name the API. The API function answers the preflight and adds the CORS headers itself.
    const api = new apigwv2.HttpApi(this, 'Api', {
      description: 'Trellis control API',
      createDefaultStage: false,
    });

    // This installation's control API, live log socket and token endpoint: exact origins.
    const connect = [api.apiEndpoint, props.webSocketUrl, identity.tokenUrl];
    const headers = new cloudfront.ResponseHeadersPolicy(this, 'SecurityHeaders', {
      comment: 'Trellis dashboard: security headers',
      securityHeadersBehavior: {
        contentSecurityPolicy: { contentSecurityPolicy: contentSecurityPolicy({ connect }), override: true },
        strictTransportSecurity: { accessControlMaxAge: Duration.days(730), includeSubdomains: true, override: true },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: cloudfront.HeadersFrameOption.DENY, override: true },
        // The sign-in callback carries the authorization code in the query string.
        referrerPolicy: { referrerPolicy: cloudfront.HeadersReferrerPolicy.NO_REFERRER, override: true },
      },
      customHeadersBehavior: {
        customHeaders: [
          { header: 'Permissions-Policy', value: 'camera=(), microphone=(), geolocation=(), payment=(), usb=()', override: true },
          { header: 'Cross-Origin-Opener-Policy', value: 'same-origin', override: true },
        ],
      },
    });

    distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: `Trellis dashboard (${props.installationName})`,
      defaultRootObject: 'index.html',
      defaultBehavior: {
        origin: S3BucketOrigin.withOriginAccessControl(bucket),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD,
        cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: headers,
        compress: true,
      },
      // Deep links of the single-page app: a path that is not a file answers the app.
      errorResponses: [403, 404].map(httpStatus => ({
        httpStatus,
        responseHttpStatus: 200,
        responsePagePath: '/index.html',
        ttl: Duration.seconds(0),
      })),
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      enableLogging: props.accessLogBucket !== undefined,
      logBucket: props.accessLogBucket,
      logFilePrefix: props.accessLogBucket ? 'trellis-dashboard/' : undefined,
    });
    this.distribution = distribution;
    this.url = `https://${distribution.distributionDomainName}`;
    acknowledge(distribution, {
      CFR1: 'the dashboard serves a team wherever it works; every API call needs a token of the identity provider',
      CFR2: 'AWS WAF costs a monthly fee per web ACL and rule, against the design goal of no idle cost; the static app '
        + 'needs no WAF, and the control API is throttled and authenticated',
      CFR4: 'the default *.cloudfront.net certificate cannot set a minimum TLS version; viewers are redirected to HTTPS',
      ...(props.accessLogBucket ? {} : {
        CFR3: 'CloudFront access logs need a bucket with ACLs: pass accessLogBucket to turn them on; control API calls are logged by API Gateway',
      }),
    });

    const fn = new ControlApiFunction(this, 'ApiHandler', {
      description: 'Trellis: control API of the dashboard and the CLI',
      timeout: Duration.seconds(29), // HTTP APIs wait 30 s at most
      memorySize: 512,
      environment: {
        TABLE_NAME: props.table.tableName,
        QUEUE_URL: props.queue.queueUrl,
        TRELLIS_INSTALLATION: props.installationName,
        // The origins whose pages may call the API (CORS), space-separated.
        DASHBOARD_ORIGINS: this.corsOrigins(props.callbackUrls ?? []).join(' '),
      },
      logGroup: trellisLogGroup(this, 'ApiHandlerLogs', props.logRetention),
    });
    props.table.grantReadWriteData(fn);
    props.queue.grantSendMessages(fn);
    const secrets = this.grantSecrets(fn, props.installationName);
    const reasons = functionReasons(props.table.table);
    // A build server adds its own acknowledgement with grantStopBuilds (cancel).
    acknowledge(fn, { ...reasons, IAM5: [...reasons.IAM5, secrets] });
    this.apiFunction = fn;
    this._apiHandler = fn;

    new apigwv2.HttpStage(this, 'Stage', {
      httpApi: api,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: API_RATE_LIMIT, burstLimit: API_BURST_LIMIT },
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(trellisLogGroup(this, 'ApiAccessLogs', props.logRetention)),
      },
    });
    const integration = new HttpLambdaIntegration('ControlApi', fn);
    const authorizer = new HttpJwtAuthorizer('Jwt', identity.issuer, {
      authorizerName: 'trellis-dashboard',
      jwtAudience: identity.audiences,
      identitySource: ['$request.header.Authorization'],
    });
    api.addRoutes({ path: '/api/{proxy+}', methods: [apigwv2.HttpMethod.ANY], integration, authorizer });
    const [health] = api.addRoutes({ path: '/api/health', methods: [apigwv2.HttpMethod.GET], integration });
    acknowledge(health, {
      APIG4: 'GET /api/health is public by design: it answers { ok: true } for monitoring and reads nothing; every other route needs a JWT',
    });
    // Browsers send the preflight without the Authorization header; the function answers it
    // from DASHBOARD_ORIGINS and reads nothing.
    const [preflight] = api.addRoutes({ path: '/api/{proxy+}', methods: [apigwv2.HttpMethod.OPTIONS], integration });
    acknowledge(preflight, {
      APIG4: 'OPTIONS /api/{proxy+} is the CORS preflight, which browsers send without a token: the function answers it for the dashboard\'s origins and reads nothing',
    });
    this.api = api;
    this.apiUrl = api.apiEndpoint;

    this.userPool = identity.userPool;
    this.userPoolClient = identity.userPoolClient;
    this.webSocketAuthentication = WebSocketAuthentication.jwt({ issuer: identity.issuer, audiences: identity.audiences, jwksUrl: identity.jwksUrl });

    const config: DashboardConfig = {
      apiUrl: this.apiUrl,
      webSocketUrl: props.webSocketUrl,
      auth: {
        kind: 'oidc',
        authorizeUrl: identity.authorizeUrl,
        tokenUrl: identity.tokenUrl,
        clientId: identity.clientId,
        scopes: identity.scopes,
        ...(identity.logoutUrl === undefined ? {} : { logoutUrl: identity.logoutUrl }),
      },
    };
    const site = new s3deploy.BucketDeployment(this, 'DeploySite', {
      sources: [s3deploy.Source.asset(path.join(__dirname, '../../assets/dashboard'))],
      destinationBucket: bucket,
      // config.json is this installation's, written below: never pruned, never taken from the build.
      exclude: ['config.json'],
      // Revalidate on every load (304 when unchanged): a new version shows without a hard reload.
      cacheControl: [s3deploy.CacheControl.noCache()],
      distribution,
      distributionPaths: ['/*'],
    });
    const configDeployment = new s3deploy.BucketDeployment(this, 'DeployConfig', {
      sources: [s3deploy.Source.jsonData('config.json', config)],
      destinationBucket: bucket,
      prune: false,
      cacheControl: [s3deploy.CacheControl.noStore()],
      distribution,
      distributionPaths: ['/config.json'],
    });
    configDeployment.node.addDependency(site);
    // Both deployments run aws-cdk-lib's one handler function, which lives at the stack's root.
    const deployHandler = site.handlerRole.node.scope;
    if (deployHandler) {
      acknowledge(deployHandler, {
        L1: 'aws-cdk-lib\'s BucketDeployment handler (Python with the AWS CLI layer): aws-cdk-lib chooses and updates its runtime',
        IAM4: [LAMBDA_BASIC_EXECUTION],
        IAM5: [
          {
            reason: 'aws-cdk-lib\'s grants: objects of the dashboard bucket and of the CDK asset bucket it copies from',
            resources: [`${bucket.bucketArn}/*`],
            resourcePatterns: [/^arn:<AWS::Partition>:s3:::cdk-[a-z0-9]+-assets-[^/]+\/\*$/],
            actions: ['s3:GetObject*', 's3:GetBucket*', 's3:List*', 's3:DeleteObject*', 's3:Abort*'],
          },
          { reason: 'aws-cdk-lib grants CloudFront CreateInvalidation and GetInvalidation on * (not configurable); they only clear cached copies', resources: ['*'] },
        ],
      });
    }

    new CfnOutput(this, 'DashboardUrl', { value: this.url, description: 'Trellis dashboard' });
    new CfnOutput(this, 'ApiUrl', { value: this.apiUrl, description: 'Trellis control API (routes under /api/)' });
    if (this.userPool) {
      new CfnOutput(this, 'UserPoolId', {
        value: this.userPool.userPoolId,
        description: 'Trellis users: aws cognito-idp admin-create-user --user-pool-id <id> --username <email>, then admin-add-user-to-group (admin, deployer, viewer)',
      });
    }
  }

  /**
   * The origins whose pages may call the control API: the dashboard's and those of the extra
   * callback URLs (a callback URL given as a token cannot be reduced to its origin: skipped).
   */
  private corsOrigins(callbackUrls: string[]): string[] {
    const origins = [this.url, ...callbackUrls.filter(value => !Token.isUnresolved(value)).map(originOf)];
    return origins.filter((value, index) => origins.indexOf(value) === index);
  }

  /**
   * DeploymentEnvironment secrets (`trellis/<installation>/<app>/<env>`: read, written, created on
   * first use) and the GitHub token (read). Not the webhook secret, nor anything else.
   * Returns why the grant's wildcards are there, for cdk-nag.
   */
  private grantSecrets(fn: lambda.IFunction, installationName: string): FindingReason {
    const stack = Stack.of(this);
    const arn = (resourceName: string) => stack.formatArn({ service: 'secretsmanager', resource: 'secret', resourceName, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    const environmentSecrets = arn(`${secretNames.prefix(installationName)}*/*`);
    // Secrets Manager adds a 6-character suffix to the name.
    const githubToken = arn(`${secretNames.githubToken(installationName)}-??????`);
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
    if (issues.length > 0) this.fail(issues);
  }

  private fail(issues: ValidationIssue[]): never {
    throw propsError(`TrellisDashboard ${this.node.path}: invalid configuration`, issues);
  }
}

function failOptions(factory: string, issues: ValidationIssue[]): never {
  throw propsError(`${factory}: invalid options`, issues);
}

/** The user pool the dashboard creates, with its groups, hosted UI domain and app client. */
function bindCognito(scope: Construct, context: IdentityContext, options: CognitoIdentityOptions): BoundIdentity {
  const removalPolicy = options.removalPolicy ?? RemovalPolicy.RETAIN;
  const pool = new cognito.UserPool(scope, 'UserPool', {
    userPoolName: `trellis-${context.installationName}`,
    // Users are created by an administrator (console or `aws cognito-idp admin-create-user`).
    selfSignUpEnabled: false,
    signInAliases: { email: true },
    autoVerify: { email: true },
    standardAttributes: { email: { required: true, mutable: true } },
    // No dashboard URL here: the distribution's security headers name this pool's domain.
    userInvitation: {
      emailSubject: 'Your Trellis dashboard account',
      emailBody: 'Your Trellis dashboard account is {username}, with the temporary password {####}. '
        + 'Sign in on the Trellis dashboard (the DashboardUrl output of the Trellis stack) and choose a new password.',
    },
    passwordPolicy: {
      minLength: 12,
      requireLowercase: true,
      requireUppercase: true,
      requireDigits: true,
      requireSymbols: true,
      tempPasswordValidity: Duration.days(3),
    },
    mfa: options.mfaRequired ? cognito.Mfa.REQUIRED : cognito.Mfa.OPTIONAL,
    mfaSecondFactor: { otp: true, sms: false },
    accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
    featurePlan: options.threatProtection ? cognito.FeaturePlan.PLUS : cognito.FeaturePlan.ESSENTIALS,
    standardThreatProtectionMode: options.threatProtection ? cognito.StandardThreatProtectionMode.FULL_FUNCTION : undefined,
    deletionProtection: removalPolicy === RemovalPolicy.RETAIN,
    removalPolicy,
  });
  acknowledge(pool, {
    ...(options.mfaRequired ? {} : {
      COG2: 'MFA is optional by default so a team can start without enrolling authenticators; set mfaRequired to enforce it',
    }),
    ...(options.threatProtection ? {} : {
      COG8: 'threat protection needs the Plus feature plan, billed per monthly active user; set threatProtection to turn it on',
    }),
  });
  GROUPS.forEach((group, precedence) => pool.addGroup(`${group.name}Group`, { groupName: group.name, description: group.description, precedence }));

  const domain = pool.addDomain('Domain', { cognitoDomain: { domainPrefix: options.domainPrefix ?? derivedDomainPrefix(context) } });
  // The dashboard sends the browser back to its root (it routes with the URL's hash).
  const redirects = [`${context.url}/`, ...context.callbackUrls];
  const client = pool.addClient('DashboardClient', {
    userPoolClientName: 'trellis-dashboard',
    generateSecret: false, // a browser cannot keep a secret: PKCE protects the code instead
    authFlows: { userSrp: true },
    oAuth: {
      flows: { authorizationCodeGrant: true },
      scopes: COGNITO_SCOPES,
      callbackUrls: redirects,
      logoutUrls: redirects,
    },
    supportedIdentityProviders: [cognito.UserPoolClientIdentityProvider.COGNITO],
    preventUserExistenceErrors: true,
    idTokenValidity: Duration.hours(1),
    accessTokenValidity: Duration.hours(1),
    refreshTokenValidity: Duration.hours(12),
    enableTokenRevocation: true,
  });
  return {
    ...cognitoEndpoints(domain.baseUrl()),
    issuer: pool.userPoolProviderUrl,
    audiences: [client.userPoolClientId],
    clientId: client.userPoolClientId,
    scopes: COGNITO_SCOPES.map(oauthScope => oauthScope.scopeName),
    userPool: pool,
    userPoolClient: client,
  };
}

/** The OAuth endpoints of a Cognito hosted UI at `baseUrl`. */
function cognitoEndpoints(baseUrl: string): Pick<BoundIdentity, 'authorizeUrl' | 'tokenUrl' | 'logoutUrl'> {
  return { authorizeUrl: `${baseUrl}/oauth2/authorize`, tokenUrl: `${baseUrl}/oauth2/token`, logoutUrl: `${baseUrl}/logout` };
}

/**
 * The hosted UI's base URL of a domain. An imported domain is a custom domain when its name
 * has a dot, a Cognito prefix domain in the pool's region otherwise.
 */
function domainBaseUrl(domain: cognito.IUserPoolDomain, userPool: cognito.IUserPool): string {
  if (domain instanceof cognito.UserPoolDomain) return domain.baseUrl();
  const name = domain.domainName;
  if (!Token.isUnresolved(name) && name.includes('.')) return `https://${name}`;
  return `https://${name}.auth.${userPool.env.region}.amazoncognito.com`;
}

/**
 * `trellis-<installation>-<8 hex characters of the stack id>`: prefix domains are unique per
 * region across all accounts, and the stack id's random part keeps two installations of the
 * same name apart without showing the account id.
 */
function derivedDomainPrefix(context: IdentityContext): string {
  const base = `trellis-${context.installationName}`;
  const problem = Token.isUnresolved(base) ? undefined : cognitoDomainPrefixProblem(`${base}-0`);
  if (problem) {
    context.fail([{
      path: 'identity',
      message: `the hosted UI domain prefix derived from installationName, '${base}-...', is refused: ${problem.replace(/^'[^']*' /, '')}; `
        + 'give DashboardIdentity.cognito({ domainPrefix })',
    }]);
  }
  const stackUuid = Fn.select(2, Fn.split('/', Aws.STACK_ID));
  return `${base}-${Fn.select(0, Fn.split('-', stackUuid))}`;
}
