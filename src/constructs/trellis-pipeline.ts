import { Duration, Names, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { BuildLogStream, BuildLogStreamOptions, WebSocketAuthentication } from './build-log-stream';
import { BuildServer, BuildServerOptions } from './build-server';
import { ConfigurationWriter } from './configuration-writer';
import { ApplicationOptions, defaultEnvironments } from './deployment-environment';
import { GitHubApp } from './github-app';
import { DeploymentMetricOptions, NotificationFailureMetricOptions, WebhookRejectionMetricOptions } from './metric-options';
import { NotificationDestination } from './notification-destination';
import { githubReporter, repositoryTokenFunction } from './private/github-functions';
import { awsNotificationIssues, notifierFunction } from './private/notifier';
import { PREVIEW_OPTION_KEYS, previewsConfig } from './private/previews-config';
import { constructPropsError } from './private/prop-issues';
import { deploymentMetric, gitHubReportFailuresMetric, notificationFailuresMetric } from './private/trellis-metrics';
import { StateTable, StateTableOptions } from './state-table';
import { TrellisAlarmOptions, TrellisAlarms } from './trellis-alarms';
import { TrellisDashboard, TrellisDashboardOptions } from './trellis-dashboard';
import { WebhookIngest, WebhookIngestOptions } from './webhook-ingest';
import { GITHUB_ENV } from '../contract/function-environment';
import { keysOf } from '../runtime/core/config-keys';
import { validateApplication } from '../runtime/core/config-validation';
import { ValidationIssue } from '../runtime/core/errors';
import { installationName as installationNameRule } from '../runtime/core/names';
import { isPlainObject } from '../runtime/core/plain-object';
import { ApplicationConfig } from '../runtime/core/types';
import { unknownKeyIssues } from '../runtime/core/unknown-keys';

/** Properties of a Trellis installation. */
export interface TrellisPipelineProps {
  /**
   * Applications to deploy. More can be added with `addApplication()`.
   * @default - none
   */
  readonly applications?: ApplicationOptions[];

  /**
   * Name of this installation: its secrets live under `trellis/<installationName>/`.
   * Lowercase letters, digits and hyphens, at most 32 characters.
   * @default - derived from the construct path, unique in the account
   */
  readonly installationName?: string;

  /**
   * The state table: encryption, backups, removal.
   * @default - on-demand, AWS managed encryption, point-in-time recovery, retained on removal
   */
  readonly table?: StateTableOptions;

  /**
   * The GitHub webhook endpoint: its secret and throttling.
   * @default - a generated secret, 25 requests per second with bursts of 50
   */
  readonly webhook?: WebhookIngestOptions;

  /**
   * The Fargate builds: size, network, image, cache and artifact expiry.
   * @default - 1 vCPU, 4 GiB, 30 GiB storage, in a new VPC with public subnets and no NAT gateway
   */
  readonly buildServer?: BuildServerOptions;

  /**
   * Build logs: how long the table keeps them and who may watch them live.
   * @default - 90 days; live logs for the dashboard's users
   */
  readonly logs?: BuildLogStreamOptions;

  /**
   * The GitHub App Trellis acts as: webhooks from every repository it is installed on, a clone
   * token per build for that build's repository only, commit statuses and GitHub Deployments of
   * every deployed commit, repositories to pick for new applications, and sign in with GitHub.
   * @default - none: a webhook per repository signed with `webhook.secret`, and builds clone with the personal access token `trellis/<installationName>/github-token`
   */
  readonly github?: GitHubApp;

  /**
   * The dashboard's identity provider, extra redirect URLs and access logs.
   * @default - a Cognito user pool created for this installation (`DashboardIdentity.cognito()`)
   */
  readonly dashboard?: TrellisDashboardOptions;

  /**
   * How long CloudWatch keeps what Trellis' own resources log: its functions, the APIs' access
   * logs and the build VPC's flow log (the builds' own log group keeps three months).
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * How long the audit trail keeps each entry (who did what, when, and how it ended), in whole
   * days from one day to ten years. The table's TTL deletes older entries, at no cost.
   * @default Duration.days(365)
   */
  readonly auditRetention?: Duration;
}

/**
 * The keys of each props object, checked against its interface by the compiler. Plain JavaScript
 * callers can pass any key: one no one reads is refused with its path and the closest known key.
 */
const PROPS_KEYS = keysOf<TrellisPipelineProps>({
  applications: true,
  installationName: true,
  table: true,
  webhook: true,
  buildServer: true,
  logs: true,
  github: true,
  dashboard: true,
  logRetention: true,
  auditRetention: true,
});
const NESTED_PROPS_KEYS: Readonly<Record<string, readonly string[]>> = {
  table: keysOf<StateTableOptions>({ encryptionKey: true, removalPolicy: true, pointInTimeRecovery: true }),
  webhook: keysOf<WebhookIngestOptions>({ secret: true, throttlingRateLimit: true, throttlingBurstLimit: true }),
  buildServer: keysOf<BuildServerOptions>({
    vpc: true,
    vpcSubnets: true,
    securityGroups: true,
    cpu: true,
    memoryLimitMiB: true,
    ephemeralStorageGiB: true,
    dependencyCacheExpiration: true,
    artifactExpiration: true,
    image: true,
  }),
  logs: keysOf<BuildLogStreamOptions>({ retention: true, authentication: true, accessLogging: true }),
  dashboard: keysOf<TrellisDashboardOptions>({ identity: true, callbackUrls: true, accessLogBucket: true }),
};
const APPLICATION_KEYS = keysOf<ApplicationOptions>({
  name: true, repository: true, rootDirectory: true, environments: true, previews: true, notifications: true,
});

/** The environment an application's previews copy (validated to exist before this is asked). */
function fromEnvironment(config: ApplicationConfig): ApplicationConfig['environments'][number] {
  return config.environments.find(env => env.name === config.previews!.from)!;
}

/** Unknown keys of the props and of their plain nested objects (applications are checked as they are added). */
function unknownPropsKeys(props: TrellisPipelineProps): ValidationIssue[] {
  if (!isPlainObject(props)) return [];
  const issues = unknownKeyIssues(props, PROPS_KEYS, '');
  for (const [field, known] of Object.entries(NESTED_PROPS_KEYS)) {
    const value = props[field];
    if (isPlainObject(value)) issues.push(...unknownKeyIssues(value, known, field));
  }
  return issues;
}

/** The same tokens, with the signing keys' URL spelled out (`<issuer>/.well-known/jwks.json` unless the identity names one). */
function withSigningKeysUrl(auth: WebSocketAuthentication): WebSocketAuthentication {
  return WebSocketAuthentication.jwt({ issuer: auth.issuer, audiences: auth.audiences, jwksUrl: auth.jwksUrl ?? `${auth.issuer}/.well-known/jwks.json` });
}

/** The construct id of the alarms `addAlarms()` makes. */
const ALARMS_ID = 'Alarms';

/**
 * A self-hosted continuous delivery control plane for serverless apps: the state table
 * and the configuration of every application and environment, with the webhook, build,
 * log and dashboard parts composed in by their own constructs.
 *
 * @example
 * const trellis = new TrellisPipeline(stack, 'Trellis', {
 *   applications: [{
 *     name: 'shop',
 *     repository: 'acme/shop',
 *     environments: [
 *       DeploymentEnvironment.development({ branch: 'main', runTests: true }),
 *       DeploymentEnvironment.staging(),
 *       DeploymentEnvironment.production({ region: 'eu-west-1' }),
 *     ],
 *   }],
 *   logRetention: logs.RetentionDays.THREE_MONTHS,
 * });
 * trellis.addApplication({ name: 'billing', repository: 'acme/billing' });
 */
export class TrellisPipeline extends Construct {
  /** The table that holds configuration, deployments, locks and logs. */
  public readonly table: StateTable;
  /** The GitHub webhook endpoint and the launch queue behind it. */
  public readonly webhook: WebhookIngest;
  /** The Fargate build server: launcher, finalizer, cluster and task definition. */
  public readonly buildServer: BuildServer;
  /** Build logs: ingestion, storage and the live WebSocket API. */
  public readonly logs: BuildLogStream;
  /** The web dashboard and the control API. */
  public readonly dashboard: TrellisDashboard;
  /** Secrets of this installation are under `trellis/<installationName>/`. */
  public readonly installationName: string;

  private readonly applications: ApplicationConfig[] = [];
  /** Made with the first application that has notifications. */
  private notifier?: lambda.Function;
  private readonly logRetention?: logs.RetentionDays;

  constructor(scope: Construct, id: string, props: TrellisPipelineProps = {}) {
    super(scope, id);
    const unknownKeys = unknownPropsKeys(props);
    if (unknownKeys.length > 0) this.fail(unknownKeys);
    this.installationName = props.installationName ?? Names.uniqueResourceName(this, { maxLength: 32, separator: '-' }).toLowerCase().replace(/^[^a-z]+/, '');
    const nameProblem = Token.isUnresolved(this.installationName) ? undefined : installationNameRule(this.installationName);
    if (nameProblem) this.fail([{ path: 'installationName', message: nameProblem }]);
    // The GitHub reporter follows deployments through the table's stream.
    this.table = new StateTable(this, 'Table', props.github ? { ...props.table, streamChanges: true } : props.table);
    this.webhook = new WebhookIngest(this, 'Webhook', {
      ...props.webhook,
      table: this.table,
      installationName: this.installationName,
      github: props.github,
      logRetention: props.logRetention,
    });
    this.buildServer = new BuildServer(this, 'Build', {
      ...props.buildServer,
      table: this.table,
      queue: this.webhook.queue,
      installationName: this.installationName,
      logRetention: props.logRetention,
    });
    // The build log group is the build server's; the live log stream archives it, and the
    // builds send their output to the stream's ingest function as it happens.
    this.logs = new BuildLogStream(this, 'Logs', {
      ...props.logs,
      table: this.table,
      logGroup: this.buildServer.logGroup,
      logRetention: props.logRetention,
    });
    this.buildServer.sendLiveLogsTo(this.logs.ingestFunction);
    this.dashboard = new TrellisDashboard(this, 'Dashboard', {
      ...props.dashboard,
      table: this.table,
      queue: this.webhook.queue,
      installationName: this.installationName,
      webSocketUrl: this.logs.webSocketUrl,
      github: props.github,
      logRetention: props.logRetention,
      auditRetention: props.auditRetention,
    });
    // Live logs let in the dashboard's users, with the same tokens, unless told otherwise. The
    // dashboard's identity exists only once the dashboard does, and the dashboard needs the
    // stream's URL: the stream is told afterwards.
    if (!props.logs?.authentication) this.logs._authenticateWith(withSigningKeysUrl(this.dashboard.webSocketAuthentication));
    // Cancel stops a running build; the next waiting one goes to the launch queue.
    this.buildServer.addRunnerSettings(this.dashboard._apiHandler);
    this.buildServer.grantStopBuilds(this.dashboard.apiFunction);
    if (props.github) this.connectGitHub(props.github, props.logRetention);
    this.logRetention = props.logRetention;
    for (const app of props.applications ?? []) this.addApplication(app);
    new ConfigurationWriter(this, 'Configuration', {
      table: this.table,
      applications: () => this.applications,
      logRetention: props.logRetention,
    });
  }

  /**
   * Deployments that ended as succeeded (`Trellis` `DeploymentsSucceeded`, Sum): of the whole
   * installation, or of one `application` or environment. From the functions' logs (embedded
   * metric format): no cost while nothing deploys.
   */
  public metricDeploymentsSucceeded(props?: DeploymentMetricOptions): cloudwatch.Metric {
    return deploymentMetric('succeeded', this.installationName, props);
  }

  /**
   * Deployments that ended as failed (`Trellis` `DeploymentsFailed`, Sum): a failed build, test,
   * deploy or health check, a build that could not start, a request the launch queue refused.
   */
  public metricDeploymentsFailed(props?: DeploymentMetricOptions): cloudwatch.Metric {
    return deploymentMetric('failed', this.installationName, props);
  }

  /** How long succeeded deployments ran, from their build's start to their end (`Trellis` `DeploymentDuration`, seconds, Average). */
  public metricDeploymentDuration(props?: DeploymentMetricOptions): cloudwatch.Metric {
    return deploymentMetric('duration', this.installationName, props);
  }

  /** Launch messages in the dead-letter queue: deployments stranded until the queue is redriven (SQS metric, Maximum). */
  public metricDeadLetteredLaunches(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.webhook.metricDeadLetteredLaunches(props);
  }

  /** Requests the webhook refused (`Trellis` `WebhookRejections`, Sum), in total or by `reason`. */
  public metricWebhookRejections(props?: WebhookRejectionMetricOptions): cloudwatch.Metric {
    return this.webhook.metricWebhookRejections(props);
  }

  /**
   * Reports to GitHub (a commit status, a GitHub Deployment or its status) that failed on every
   * attempt (`Trellis` `GitHubReportFailures`, Sum): only with `github`. The deployments went on;
   * the reporter's log names each call and why it failed.
   */
  public metricGitHubReportFailures(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return gitHubReportFailuresMetric(this.installationName, props);
  }

  /**
   * Notifications not delivered to a destination after every attempt (`Trellis`
   * `NotificationFailures`, Sum), of the installation or of one `application`. The deployments
   * went on; the dashboard lists each failed delivery with its reason.
   */
  public metricNotificationFailures(props?: NotificationFailureMetricOptions): cloudwatch.Metric {
    return notificationFailuresMetric(this.installationName, props);
  }

  /**
   * Alarms on dead-lettered launches (more than 0) and failed deployments (at least
   * `failedDeploymentsThreshold` within `failedDeploymentsPeriod`), notifying `topic` if given.
   * Opt-in: each alarm is billed per month. Call it once.
   */
  public addAlarms(options: TrellisAlarmOptions = {}): TrellisAlarms {
    if (this.node.tryFindChild(ALARMS_ID)) {
      throw new Error(`TrellisPipeline ${this.node.path}: addAlarms() was already called; use the alarms it returned, or metricX().createAlarm() for more`);
    }
    return new TrellisAlarms(this, ALARMS_ID, { ...options, pipeline: this });
  }

  /** Names of the configured applications, in the order they were added. */
  public get applicationNames(): string[] {
    return this.applications.map(app => app.name);
  }

  /**
   * Add an application. Throws at synth time, naming the prop, if it breaks a rule.
   */
  public addApplication(application: ApplicationOptions): void {
    const index = this.applications.length;
    const path = `applications[${index}]`;
    const config: ApplicationConfig = {
      name: application.name,
      repository: application.repository,
      rootDirectory: application.rootDirectory,
      environments: (application.environments ?? defaultEnvironments()).map(env => env._toConfig()),
      ...application.previews && { previews: previewsConfig(application.previews) },
      notifications: application.notifications?.map(destination => destination._toConfig()),
    };
    const unknownKeys = isPlainObject(application) ? unknownKeyIssues(application, APPLICATION_KEYS, path) : [];
    if (isPlainObject(application.previews)) unknownKeys.push(...unknownKeyIssues(application.previews, PREVIEW_OPTION_KEYS, `${path}.previews`));
    (application.environments ?? []).forEach((env, at) => unknownKeys.push(...(env._unknownKeys?.() ?? [])
      .map(issue => ({ ...issue, path: `${path}.environments[${at}].${issue.path}` }))));
    (application.notifications ?? []).forEach((destination, at) => unknownKeys.push(...(destination._unknownKeys?.() ?? [])
      .map(issue => ({ ...issue, path: `${path}.notifications[${at}].${issue.path}` }))));
    // The configuration carries the deploy role's ARN; the user gave a role (`deployRole`).
    const configIssues = validateApplication(config, { isUnresolved: value => Token.isUnresolved(value) }, path)
      .map(issue => ({
        ...issue,
        path: issue.path.replace(/\.deployRoleArn$/, '.deployRole')
          .replace(/\.secretArn$/, '.secret').replace(/\.urlSecretArn$/, '.webhookUrl'),
      }));
    const issues: ValidationIssue[] = [...unknownKeys, ...configIssues, ...awsNotificationIssues(config.notifications, `${path}.notifications`)];
    const existing = this.applications.findIndex(app => app.name === config.name);
    if (existing >= 0) {
      issues.push({ path: `${path}.name`, message: `'${config.name}' is already used by applications[${existing}]; application names must be unique` });
    }
    if (issues.length > 0) this.fail(issues);
    // Each environment's builds run with a role of their own; the launcher finds it in the configuration.
    this.applications.push({
      ...config,
      environments: config.environments.map(env => ({ ...env, buildRoleArn: this.buildServer._addEnvironment(config.name, env) })),
      // Previews build with roles of their own: one with the from-environment's secret, one (forks', unless ignored) with none.
      ...config.previews && {
        previews: { ...config.previews, ...this.buildServer._addPreviews(config.name, fromEnvironment(config), config.previews.forks !== 'ignore') },
      },
    });
    if (application.notifications?.length) this.notifyTo(application.notifications);
  }

  /**
   * The parts that act as the GitHub App besides the webhook and the control API: builds clone
   * with a token the repository-token function mints for them, and a reporter follows pushed
   * deployments on the table's stream. The setup page's manifest names the webhook's URL.
   */
  private connectGitHub(github: GitHubApp, logRetention?: logs.RetentionDays): void {
    this.dashboard._apiHandler.addEnvironment(GITHUB_ENV.webhookUrl, this.webhook.url);
    const scope = new Construct(this, 'GitHub');
    const options = {
      app: github._bind(scope, this.installationName),
      table: this.table,
      installationName: this.installationName,
      dashboardUrl: this.dashboard.url,
      logRetention,
    };
    this.buildServer._cloneWithTokensFrom(repositoryTokenFunction(scope, options), options.app.endpoints.webUrl);
    githubReporter(scope, options);
  }

  /**
   * The notifier function (made once, with the first application that has notifications:
   * it follows the table's stream), and what it needs to reach these destinations.
   */
  private notifyTo(destinations: readonly NotificationDestination[]): void {
    this.notifier ??= notifierFunction(new Construct(this, 'Notifications'), {
      table: this.table,
      installationName: this.installationName,
      dashboardUrl: this.dashboard.url,
      logRetention: this.logRetention,
    });
    for (const destination of destinations) destination._grant(this.notifier);
  }

  private fail(issues: ValidationIssue[]): never {
    throw constructPropsError('TrellisPipeline', this, issues);
  }
}
