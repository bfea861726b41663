import { CfnOutput, Duration, Stack, Token, Tokenization } from 'aws-cdk-lib';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { WebSocketLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { LambdaDestination } from 'aws-cdk-lib/aws-logs-destinations';
import { Construct } from 'constructs';
import { acknowledge, functionReasons } from './private/acknowledge';
import { urlProblem } from './private/dashboard-web';
import { trellisLogGroup } from './private/log-groups';
import { constructPropsError, optionsError } from './private/prop-issues';
import { StateTable } from './state-table';
import { DEFAULT_LOG_RETENTION_DAYS, LOG_SETTINGS } from '../contract/log-settings';
import { ValidationIssue } from '../runtime/core/errors';
import { LogIngestFunction } from '../runtime/handlers/log-ingest-function';
import { LogSocketFunction } from '../runtime/handlers/log-socket-function';

/** Options of JWT authentication for live log connections. */
export interface JwtAuthenticationOptions {
  /**
   * The token issuer (`iss`), an https URL without query or fragment, e.g. a Cognito user pool:
   * `https://cognito-idp.<region>.amazonaws.com/<userPoolId>`.
   */
  readonly issuer: string;

  /** Accepted audiences: the token's `aud` (ID tokens) or `client_id` (Cognito access tokens). At least one. */
  readonly audiences: string[];

  /**
   * Where the issuer publishes its signing keys.
   * @default - `<issuer>/.well-known/jwks.json`
   */
  readonly jwksUrl?: string;
}

/**
 * Who may open a live log connection. Browsers cannot send headers when opening a WebSocket,
 * so the token travels in the connection URL and the `$connect` handler verifies it.
 *
 * @example
 * new TrellisPipeline(stack, 'Trellis', {
 *   logs: {
 *     authentication: WebSocketAuthentication.jwt({
 *       issuer: 'https://login.example.com',
 *       audiences: ['trellis-dashboard'],
 *     }),
 *   },
 * });
 */
export class WebSocketAuthentication {
  /**
   * Accept connections that carry a JWT signed by `issuer` for one of `audiences`.
   * Throws, naming the option, if an option breaks a rule.
   *
   * @example
   * const authentication = WebSocketAuthentication.jwt({
   *   issuer: 'https://login.example.com',
   *   audiences: ['trellis-dashboard'],
   *   jwksUrl: 'https://login.example.com/keys',
   * });
   */
  public static jwt(options: JwtAuthenticationOptions): WebSocketAuthentication {
    const issues: ValidationIssue[] = [];
    const issuerProblem = urlProblem(options.issuer);
    if (issuerProblem) issues.push({ path: 'issuer', message: issuerProblem });
    if (options.audiences.length === 0) issues.push({ path: 'audiences', message: 'give at least one accepted audience (an app client id)' });
    options.audiences.forEach((audience, index) => {
      if (Token.isUnresolved(audience)) return;
      // The handler receives the list comma-separated.
      if (audience.trim() === '' || audience.includes(',')) {
        issues.push({ path: `audiences[${index}]`, message: `'${audience}' must be a non-empty value without commas` });
      }
    });
    const jwksProblem = options.jwksUrl === undefined ? undefined : urlProblem(options.jwksUrl);
    if (jwksProblem) issues.push({ path: 'jwksUrl', message: jwksProblem });
    if (issues.length > 0) throw optionsError('WebSocketAuthentication.jwt', issues);
    return new WebSocketAuthentication(options.issuer, [...options.audiences], options.jwksUrl);
  }

  /** The accepted token issuer. */
  public readonly issuer: string;
  /** The accepted audiences. */
  public readonly audiences: string[];
  /** The signing keys' URL, if not the issuer's default. */
  public readonly jwksUrl?: string;

  private constructor(issuer: string, audiences: string[], jwksUrl?: string) {
    this.issuer = issuer;
    this.audiences = audiences;
    this.jwksUrl = jwksUrl;
  }

  /** @internal the socket function's environment */
  public _environment(): Record<string, string> {
    return {
      [LOG_SETTINGS.authIssuer]: this.issuer,
      [LOG_SETTINGS.authAudience]: this.audiences.join(','),
      ...(this.jwksUrl === undefined ? {} : { [LOG_SETTINGS.authJwksUrl]: this.jwksUrl }),
    };
  }
}

/** What can be tuned of the build logs. */
export interface BuildLogStreamOptions {
  /**
   * How long stored log lines live in the table (whole days, 1 to 3650). The build log group
   * keeps its own retention.
   * @default Duration.days(90)
   */
  readonly retention?: Duration;

  /**
   * Who may open a live log connection.
   * @default - in a TrellisPipeline, the dashboard's identity (the same users, with the same
   *   tokens); on its own, no identity provider: every connection is refused
   */
  readonly authentication?: WebSocketAuthentication;

  /**
   * Write access logs of the WebSocket stage. WebSocket APIs log through API Gateway's
   * account-level CloudWatch Logs role (set once per account and region, outside this stack);
   * without it the stage fails to deploy, so turn this on once the role is set.
   * @default false - the socket function logs each accepted connection (with its subject) and each refusal
   */
  readonly accessLogging?: boolean;
}

/** Properties of the live log stream: its options and what it is wired to. */
export interface BuildLogStreamProps extends BuildLogStreamOptions {
  /** Where log chunks, connections and subscriptions are stored. */
  readonly table: StateTable;

  /** The build log group (BuildServer's): every line the builder writes arrives through it. */
  readonly logGroup: logs.ILogGroup;

  /**
   * How long CloudWatch keeps the logs of this construct's functions and of its WebSocket API access log.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
}

/** Name of the WebSocket stage. */
const STAGE = 'live';

/**
 * Ordered, lossless build logs, live. Build output reaches the store by two paths: the builder
 * invokes the ingest function with batches as it runs (live), and a subscription filter on the
 * build log group delivers every line again to the archive function (the archive path). Both
 * store lines as immutable chunks keyed by sequence, so the second copy is a no-op, and push
 * new lines to the browsers subscribed to the deployment over a WebSocket API.
 *
 * @example
 * new TrellisPipeline(stack, 'Trellis', {
 *   logs: {
 *     retention: Duration.days(30),
 *     authentication: WebSocketAuthentication.jwt({
 *       issuer: 'https://login.example.com',
 *       audiences: ['trellis-dashboard'],
 *     }),
 *   },
 * });
 */
export class BuildLogStream extends Construct {
  /** Stores log lines and pushes them to subscribers; builds invoke it with live batches. */
  public readonly ingestFunction: lambda.IFunction;
  /** Stores the build log group's lines (the archive path); only its subscription filter invokes it. */
  public readonly archiveFunction: lambda.IFunction;
  /** Handles WebSocket connections: authentication, subscriptions and the backlog. */
  public readonly socketFunction: lambda.IFunction;
  /** The WebSocket API browsers connect to. */
  public readonly webSocketApi: apigwv2.IWebSocketApi;
  /** The URL browsers connect to (`wss://.../live`). */
  public readonly webSocketUrl: string;

  private readonly socket: lambda.Function;
  private authenticated: boolean;

  constructor(scope: Construct, id: string, props: BuildLogStreamProps) {
    super(scope, id);
    const retentionDays = this.retentionDays(props.retention ?? Duration.days(DEFAULT_LOG_RETENTION_DAYS));

    const api = new apigwv2.WebSocketApi(this, 'Api', {
      description: 'Trellis live build logs',
      routeSelectionExpression: '$request.body.action',
    });
    const stage = new apigwv2.WebSocketStage(this, 'Stage', {
      webSocketApi: api,
      stageName: STAGE,
      autoDeploy: true,
      // $connect is open to the internet (the handler refuses what it cannot authenticate), so a
      // flood must not scale the socket function without bound. A viewer connects once and
      // sends a few subscribe messages; 50/s with bursts of 100 is far above a team's use.
      throttle: { rateLimit: 50, burstLimit: 100 },
      accessLogSettings: props.accessLogging ? {
        destination: new apigwv2.LogGroupLogDestination(trellisLogGroup(this, 'AccessLogs', props.logRetention)),
      } : undefined,
    });
    if (!props.accessLogging) {
      acknowledge(stage, {
        APIG1: 'WebSocket access logs need API Gateway\'s account-level CloudWatch role, which a library must not overwrite; '
          + 'the socket function logs every accepted connection (with its subject) and every refusal. Set accessLogging once the role exists',
      });
    }

    const environment = {
      [LOG_SETTINGS.tableName]: props.table.tableName,
      [LOG_SETTINGS.connectionsEndpoint]: stage.callbackUrl,
      [LOG_SETTINGS.retentionDays]: retentionDays,
    };
    // One function per path: builds may invoke the live one only, CloudWatch Logs the archive
    // one only, so no build can hand in lines under another task's log stream name.
    const ingest = new LogIngestFunction(this, 'Ingest', {
      description: 'Trellis: stores builds\' live output as ordered log chunks and pushes new lines to live viewers',
      timeout: Duration.seconds(30),
      memorySize: 512,
      environment: { ...environment, [LOG_SETTINGS.ingestPath]: 'live' },
      logGroup: trellisLogGroup(this, 'IngestLogs', props.logRetention),
    });
    const archive = new LogIngestFunction(this, 'Archive', {
      description: 'Trellis: stores the build log group\'s lines (the archive path) as ordered log chunks',
      timeout: Duration.seconds(30),
      memorySize: 512,
      environment: { ...environment, [LOG_SETTINGS.ingestPath]: 'archive' },
      logGroup: trellisLogGroup(this, 'ArchiveLogs', props.logRetention),
    });
    const socket = new LogSocketFunction(this, 'Socket', {
      description: 'Trellis: live log connections: authenticates, subscribes, sends the backlog',
      // Sending a long backlog takes a while; it is posted to the connection, not returned.
      timeout: Duration.minutes(1),
      memorySize: 512,
      environment: { ...environment, ...props.authentication?._environment() },
      logGroup: trellisLogGroup(this, 'SocketLogs', props.logRetention),
    });

    // Both read and write the table and post to connections of this stage; nothing else.
    const manageConnections = new iam.PolicyStatement({
      actions: ['execute-api:ManageConnections'],
      resources: [Stack.of(this).formatArn({ service: 'execute-api', resource: api.apiId, resourceName: `${STAGE}/POST/@connections/*` })],
    });
    const reasons = functionReasons(props.table.table);
    for (const fn of [ingest, archive, socket]) {
      props.table.grantReadWriteData(fn);
      fn.addToRolePolicy(manageConnections);
      acknowledge(fn, {
        ...reasons,
        IAM5: [...reasons.IAM5, { reason: 'the connections of this API\'s live stage (connection ids are not known in advance)', resources: manageConnections.resources }],
      });
    }

    const integration = new WebSocketLambdaIntegration('Socket', socket);
    api.addRoute('$connect', { integration });
    api.addRoute('$disconnect', { integration });
    api.addRoute('$default', { integration });
    api.addRoute('subscribe', { integration });
    api.addRoute('unsubscribe', { integration });
    acknowledge(api, {
      APIG4: 'browsers cannot send headers when opening a WebSocket, so no API Gateway authorizer applies; the $connect handler verifies '
        + 'the JWT from the connection URL and refuses the connection otherwise (every connection without an identity provider), '
        + 'and other routes act only for connections it accepted',
    });

    new logs.SubscriptionFilter(this, 'BuildLogSubscription', {
      logGroup: props.logGroup,
      destination: new LambdaDestination(archive),
      // Every event: lines that are not log records are dropped by the parser.
      filterPattern: logs.FilterPattern.allEvents(),
    });

    this.ingestFunction = ingest;
    this.archiveFunction = archive;
    this.socketFunction = socket;
    this.socket = socket;
    this.authenticated = props.authentication !== undefined;
    this.webSocketApi = api;
    this.webSocketUrl = stage.url;
    new CfnOutput(this, 'WebSocketUrl', { value: this.webSocketUrl, description: 'Trellis live build logs WebSocket URL (the dashboard connects here)' });
  }

  /**
   * Who may open a live log connection, when that is known only after this construct: a
   * dashboard is made with this stream's `webSocketUrl`, and its identity is what the socket
   * accepts. Once, and only when the `authentication` option was not given.
   * @internal
   */
  public _authenticateWith(authentication: WebSocketAuthentication): void {
    if (this.authenticated) throw new Error(`BuildLogStream ${this.node.path}: live log connections are already authenticated`);
    this.authenticated = true;
    for (const [name, value] of Object.entries(authentication._environment())) this.socket.addEnvironment(name, value);
  }

  /** Whole days, as the handlers read them. */
  private retentionDays(retention: Duration): string {
    if (retention.isUnresolved()) return Tokenization.stringifyNumber(retention.toDays());
    const days = retention.toDays({ integral: false });
    if (!Number.isInteger(days) || days < 1 || days > 3650) {
      const issue = { path: 'retention', message: `${retention.toHumanString()} must be a whole number of days from 1 to 3650` };
      throw constructPropsError('BuildLogStream', this, [issue]);
    }
    return String(days);
  }
}
