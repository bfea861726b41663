import { CfnOutput, Duration, Token } from 'aws-cdk-lib';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { GitHubApp } from './github-app';
import { WebhookRejectionMetricOptions } from './metric-options';
import { acknowledge, functionReasons } from './private/acknowledge';
import { trellisLogGroup } from './private/log-groups';
import { constructPropsError } from './private/prop-issues';
import { deadLetteredLaunchesMetric, webhookRejectionsMetric } from './private/trellis-metrics';
import { StateTable } from './state-table';
import { GITHUB_ENV, WEBHOOK_ENV } from '../contract/function-environment';
import { secretNames } from '../contract/secret-names';
import { ValidationIssue } from '../runtime/core/errors';
import { WebhookFunction } from '../runtime/handlers/webhook-function';

/** What can be tuned of the GitHub webhook endpoint. */
export interface WebhookIngestOptions {
  /**
   * The secret GitHub signs deliveries with (a plain string secret).
   * @default - a random 48-character secret is generated as `trellis/<installationName>/github-webhook-secret`; copy it into the GitHub webhook
   */
  readonly secret?: secretsmanager.ISecret;

  /**
   * Steady-state requests per second the endpoint accepts; more get 429.
   * @default 25
   */
  readonly throttlingRateLimit?: number;

  /**
   * Requests the endpoint accepts in a burst.
   * @default 50
   */
  readonly throttlingBurstLimit?: number;
}

/** Properties of the GitHub webhook endpoint: its options and what it is wired to. */
export interface WebhookIngestProps extends WebhookIngestOptions {
  /** Where deliveries and queued deployments are recorded. */
  readonly table: StateTable;

  /** Installation name; the generated secret is `trellis/<installationName>/github-webhook-secret`. */
  readonly installationName: string;

  /**
   * The GitHub App whose deliveries are accepted too, signed with its own webhook secret: every
   * repository it is installed on, without a webhook per repository.
   * @default - none: only deliveries signed with `secret`
   */
  readonly github?: GitHubApp;

  /**
   * How long CloudWatch keeps the logs of this construct's function and of its HTTP API access log.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * The public GitHub webhook endpoint: an HTTP API route to a function that verifies the
 * signature, records the delivery once, stores `queued` deployments and puts them on the
 * launch queue (with a dead-letter queue) for the build server.
 *
 * An HTTP API rather than a Lambda function URL: it has stage throttling (anyone on the
 * internet can POST here), access logs and a path of its own, for the same idle cost (none).
 *
 * @example
 * const trellis = new TrellisPipeline(stack, 'Trellis', {
 *   webhook: {
 *     secret: secretsmanager.Secret.fromSecretNameV2(stack, 'WebhookSecret', 'github/webhook'),
 *     throttlingRateLimit: 10,
 *   },
 * });
 */
export class WebhookIngest extends Construct {
  /** The URL to paste into GitHub's webhook settings (`Payload URL`). */
  public readonly url: string;
  /** The HTTP API. */
  public readonly api: apigwv2.IHttpApi;
  /** Queued deployments waiting for the launcher. */
  public readonly queue: sqs.IQueue;
  /** Launch messages that failed repeatedly. */
  public readonly deadLetterQueue: sqs.IQueue;
  /** The secret GitHub signs deliveries with. */
  public readonly webhookSecret: secretsmanager.ISecret;
  /** The function behind the endpoint. */
  public readonly handler: lambda.IFunction;
  private readonly installationName: string;

  constructor(scope: Construct, id: string, props: WebhookIngestProps) {
    super(scope, id);
    const issues = throttlingIssues(props);
    if (issues.length > 0) throw constructPropsError('WebhookIngest', this, issues);
    this.installationName = props.installationName;

    this.webhookSecret = props.secret ?? new secretsmanager.Secret(this, 'Secret', {
      secretName: secretNames.webhook(props.installationName),
      description: 'Trellis: secret GitHub signs webhook deliveries with (paste it into the webhook settings)',
      generateSecretString: { passwordLength: 48, excludePunctuation: true },
    });

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.queue = new sqs.Queue(this, 'LaunchQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: Duration.minutes(2),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: 5 },
    });

    const handler = new WebhookFunction(this, 'Handler', {
      description: 'Trellis: verifies GitHub webhooks and queues deployments',
      memorySize: 512,
      timeout: Duration.seconds(10), // GitHub gives up after 10 s
      environment: {
        [WEBHOOK_ENV.tableName]: props.table.tableName,
        [WEBHOOK_ENV.queueUrl]: this.queue.queueUrl,
        // The ARN only: the value is read at run time and cached in memory.
        [WEBHOOK_ENV.webhookSecretArn]: this.webhookSecret.secretArn,
        // The Installation dimension of the WebhookRejections metric.
        [WEBHOOK_ENV.installation]: props.installationName,
      },
      logGroup: trellisLogGroup(this, 'HandlerLogs', props.logRetention),
    });
    this.webhookSecret.grantRead(handler);
    // The App's webhook secret only: the webhook never acts as the App.
    const app = props.github?._bind(this, props.installationName);
    if (app) {
      handler.addEnvironment(GITHUB_ENV.appWebhookSecret, app.webhookSecret);
      app.grantReadWebhookSecret(handler);
    }
    props.table.grantReadWriteData(handler);
    this.queue.grantSendMessages(handler);
    this.handler = handler;
    acknowledge(handler, functionReasons(props.table.table));
    if (!props.secret) {
      acknowledge(this.webhookSecret, {
        SMG4: 'the webhook secret is also stored in GitHub\'s webhook settings; rotating it here alone would reject every delivery',
      });
    }

    const api = new apigwv2.HttpApi(this, 'Api', {
      description: 'Trellis GitHub webhook endpoint',
      createDefaultStage: false,
    });
    new apigwv2.HttpStage(this, 'Stage', {
      httpApi: api,
      stageName: '$default',
      autoDeploy: true,
      throttle: {
        rateLimit: props.throttlingRateLimit ?? 25,
        burstLimit: props.throttlingBurstLimit ?? 50,
      },
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(trellisLogGroup(this, 'AccessLogs', props.logRetention)),
      },
    });
    api.addRoutes({
      path: '/webhook',
      methods: [apigwv2.HttpMethod.POST],
      integration: new HttpLambdaIntegration('Webhook', handler),
    });
    acknowledge(api, {
      APIG4: 'GitHub cannot authenticate to API Gateway; the handler authenticates every request by its HMAC signature (X-Hub-Signature-256) before anything else',
    });
    this.api = api;
    this.url = `${api.apiEndpoint}/webhook`;

    new CfnOutput(this, 'WebhookUrl', { value: this.url, description: 'GitHub webhook Payload URL (content type application/json, events: push, pull_request)' });
    new CfnOutput(this, 'WebhookSecretArn', { value: this.webhookSecret.secretArn, description: 'Secret to paste into the GitHub webhook (aws secretsmanager get-secret-value --secret-id <arn>)' });
  }

  /**
   * Launch messages in the dead-letter queue (SQS `ApproximateNumberOfMessagesVisible`, Maximum):
   * each is a deployment the launcher gave up on after 5 attempts, stranded until the queue is redriven.
   */
  public metricDeadLetteredLaunches(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return deadLetteredLaunchesMetric(this.deadLetterQueue, props);
  }

  /** Requests the webhook refused (`Trellis` `WebhookRejections`, Sum), in total or by `reason`. */
  public metricWebhookRejections(props?: WebhookRejectionMetricOptions): cloudwatch.Metric {
    return webhookRejectionsMetric(this.installationName, props);
  }
}

/** API Gateway takes a rate of requests per second and a burst of whole requests; zero or less would refuse every delivery. */
function throttlingIssues(options: WebhookIngestOptions): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const { throttlingRateLimit: rate, throttlingBurstLimit: burst } = options;
  if (Token.isUnresolved(rate) || Token.isUnresolved(burst)) return issues;
  if (rate !== undefined && !(typeof rate === 'number' && Number.isFinite(rate) && rate > 0)) {
    issues.push({ path: 'throttlingRateLimit', message: `${String(rate)} must be a number of requests per second above 0` });
  }
  if (burst !== undefined && !(typeof burst === 'number' && Number.isInteger(burst) && burst > 0)) {
    issues.push({ path: 'throttlingBurstLimit', message: `${String(burst)} must be a whole number of requests above 0` });
  }
  return issues;
}
