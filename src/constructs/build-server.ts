import { Duration, Lazy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { BuilderImage } from './builder-image';
import { FindingReason, acknowledge, functionReasons } from './private/acknowledge';
import { BuildIdentityShared, buildRoleFor } from './private/build-identity';
import { buildNetwork } from './private/build-network';
import { disposableBucket } from './private/disposable-bucket';
import { trellisLogGroup } from './private/log-groups';
import { StateTable } from './state-table';
import { BUILD_SETTINGS } from '../contract/build-environment';
import { LAUNCHER_ENV, RUNNER_FUNCTION_ENV } from '../contract/function-environment';
import { RUNNER_SETTINGS, LAUNCH_TIMEOUT_SECONDS } from '../contract/runner-settings';
import { GITHUB_DOT_COM } from '../runtime/core/github';
import { EnvironmentConfig } from '../runtime/core/types';
import { FinalizerFunction } from '../runtime/handlers/finalizer-function';
import { LauncherFunction } from '../runtime/handlers/launcher-function';

/** What can be tuned of the build tasks: size, network, image, cache and artifact expiry. */
export interface BuildServerOptions {
  /**
   * VPC to run builds in; they need outbound internet (GitHub, package registries, AWS APIs).
   * @default - a new VPC with public subnets only and no NAT gateway (builds get a public IP)
   */
  readonly vpc?: ec2.IVpc;

  /**
   * Subnets of `vpc` to run builds in. Builds get a public IP only in public subnets.
   * @default - public subnets of the new VPC; private subnets with egress when a VPC is given
   */
  readonly vpcSubnets?: ec2.SubnetSelection;

  /**
   * Security groups of the build tasks. Builds that must reach a private resource (a database
   * for migrations) can also be let in through `BuildServer.connections`, e.g.
   * `database.connections.allowDefaultPortFrom(pipeline.buildServer)`.
   * @default - one security group created for the builds, all outbound traffic allowed, no inbound
   */
  readonly securityGroups?: ec2.ISecurityGroup[];

  /**
   * vCPU units per build (1024 = 1 vCPU).
   * @default 1024
   */
  readonly cpu?: number;

  /**
   * Memory per build in MiB (must fit `cpu`, see Fargate task sizes).
   * @default 4096
   */
  readonly memoryLimitMiB?: number;

  /**
   * Ephemeral storage per build in GiB (21-200).
   * @default 30
   */
  readonly ephemeralStorageGiB?: number;

  /**
   * How long a dependency cache entry (`node_modules` of one lockfile, per application and
   * environment) is kept after it was saved; a build after that installs and saves it again.
   * Turn the cache off per environment with `dependencyCache: false`.
   * @default Duration.days(14)
   */
  readonly dependencyCacheExpiration?: Duration;

  /**
   * How long a deploy artifact (what a rollback or promotion to the same target deploys without
   * rebuilding: a CDK cloud assembly, a Serverless package, a packaged SAM template) is kept
   * after its deploy. A rollback to an older version rebuilds that commit.
   * @default Duration.days(90)
   */
  readonly artifactExpiration?: Duration;

  /**
   * The image builds run in. An image of your own (other toolchains: Go, Java, Rust) is built
   * FROM the default image of the same trellis-cdk version; see `BuilderImage`.
   * @default BuilderImage.fromAsset()
   */
  readonly image?: BuilderImage;
}

/** Properties of the build server: its options and what it is wired to. */
export interface BuildServerProps extends BuildServerOptions {
  /** Where configuration and deployments live. */
  readonly table: StateTable;
  /** The launch queue (WebhookIngest's). */
  readonly queue: sqs.IQueue;
  /** Build tasks may read only secrets under `trellis/<installationName>/`. */
  readonly installationName: string;

  /**
   * How long CloudWatch keeps the logs of this construct's functions and of the VPC flow log (the builds' own log group, `logGroup`, keeps three months).
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
}

/** Name of the builder container in the task definition. */
const CONTAINER = 'builder';

/**
 * One isolated Fargate build per deployment. A launcher takes queued deployments, applies the
 * per-environment lock and runs a task; a finalizer reacts to the task stopping, records the
 * outcome from the exit code and starts what waits.
 *
 * Executors are a seam: the launcher and finalizer talk to core's TaskRunner; everything
 * Fargate-specific is in this construct and `EcsTaskRunner`.
 *
 * @example
 * const vpc = ec2.Vpc.fromLookup(stack, 'Vpc', { vpcName: 'shared' });
 * const database = new ec2.SecurityGroup(stack, 'Database', { vpc });
 * const trellis = new TrellisPipeline(stack, 'Trellis', {
 *   buildServer: {
 *     vpc,
 *     vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
 *     cpu: 2048,
 *   },
 * });
 * // Builds that run migrations may reach the database.
 * trellis.buildServer.connections.allowTo(database, ec2.Port.tcp(5432));
 */
export class BuildServer extends Construct implements ec2.IConnectable {
  /** The build tasks' network access: allow them into a database with `db.connections.allowDefaultPortFrom(buildServer)`. */
  public readonly connections: ec2.Connections;
  /** The cluster builds run in. */
  public readonly cluster: ecs.ICluster;
  /** The build task definition. */
  public readonly taskDefinition: ecs.FargateTaskDefinition;
  /**
   * The task definition's own role, with no permissions: each environment's builds run with
   * their own role instead (`buildRole(application, environment)`).
   */
  public readonly taskRole: iam.IRole;
  /** Build output (the durable archive). */
  public readonly logGroup: logs.ILogGroup;
  /** The dependency cache: builds restore `node_modules` from here and save it after a fresh install. */
  public readonly dependencyCache: s3.IBucket;
  /** Deploy artifacts: what a rollback or promotion redeploys without rebuilding. */
  public readonly artifacts: s3.IBucket;
  /** Takes queued deployments and runs their tasks. */
  public readonly launcher: lambda.IFunction;
  /** Records finished builds and starts the next. */
  public readonly finalizer: lambda.IFunction;

  /** `<application>/<environment>` → the role its builds run with. */
  private readonly buildRoles = new Map<string, iam.Role>();
  private readonly environmentRoles: Construct;
  private readonly identity: BuildIdentityShared;
  private readonly runnerEnvironment: Record<string, string>;
  private readonly runnerStatements: iam.PolicyStatement[];
  private readonly stopStatement: iam.PolicyStatement;
  private readonly tasksOfCluster: FindingReason;
  private readonly container: ecs.ContainerDefinition;
  /** Functions every build role may invoke (live logs, repository tokens): each by its unqualified ARN. */
  private readonly invokedByBuilds: lambda.IFunction[] = [];
  private liveLogFunction?: lambda.IFunction;
  private repositoryTokenFunction?: lambda.IFunction;

  constructor(scope: Construct, id: string, props: BuildServerProps) {
    super(scope, id);
    const stack = Stack.of(this);

    const { vpc, subnets, assignPublicIp, securityGroups } = buildNetwork(this, props);
    this.connections = new ec2.Connections({ securityGroups });

    const cluster = new ecs.Cluster(this, 'Cluster', { vpc, containerInsightsV2: ecs.ContainerInsights.DISABLED });
    acknowledge(cluster, {
      ECS4: 'Container Insights bills per task metric; a build\'s outcome, timings and full log are recorded by Trellis. Enable it on the cluster if wanted',
    });
    this.cluster = cluster;
    this.logGroup = new logs.LogGroup(this, 'BuildLogs', { retention: logs.RetentionDays.THREE_MONTHS });
    // Disposable: everything in it is rebuilt by the next install. Emptied with the stack.
    const dependencyCache = disposableBucket(this, 'DependencyCache', 'dependencyCacheExpiration', props.dependencyCacheExpiration ?? Duration.days(14),
      'a cache of installed packages, rebuilt by any build; access logs would cost more than the objects are worth');
    this.dependencyCache = dependencyCache;
    // Disposable too: without its artifact a rollback rebuilds the commit.
    // Versioned: an overwritten artifact is kept as a noncurrent version for a while, to be
    // recovered by hand.
    const artifacts = disposableBucket(this, 'Artifacts', 'artifactExpiration', props.artifactExpiration ?? Duration.days(90),
      'deploy artifacts, each rebuildable from its commit; access logs would cost more than the objects are worth', { versioned: true });
    this.artifacts = artifacts;

    // The task definition's own role has no permissions: every build runs with its
    // environment's role (buildRole), which the launcher passes as RunTask's override.
    const taskRole = new iam.Role(this, 'TaskRole', {
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
      description: 'Trellis build tasks without an environment: no permissions (each environment\'s builds run with its own role)',
    });
    this.taskRole = taskRole;
    this.identity = {
      installationName: props.installationName,
      table: props.table,
      dependencyCache,
      artifacts,
      defaultAccount: stack.account,
      defaultRegion: stack.region,
    };
    this.environmentRoles = new Construct(this, 'EnvironmentRoles');

    const taskDefinition = new ecs.FargateTaskDefinition(this, 'TaskDefinition', {
      cpu: props.cpu ?? 1024,
      memoryLimitMiB: props.memoryLimitMiB ?? 4096,
      ephemeralStorageGiB: props.ephemeralStorageGiB ?? 30,
      taskRole,
      runtimePlatform: { cpuArchitecture: ecs.CpuArchitecture.X86_64, operatingSystemFamily: ecs.OperatingSystemFamily.LINUX },
    });
    this.container = taskDefinition.addContainer(CONTAINER, {
      image: (props.image ?? BuilderImage.fromAsset())._bind(props.logRetention),
      logging: ecs.LogDrivers.awsLogs({ logGroup: this.logGroup, streamPrefix: 'build' }),
      environment: {
        AWS_REGION: stack.region, // SDK v3 in the builder needs it for STS and Secrets Manager
        [BUILD_SETTINGS.tableName]: props.table.tableName,
        [BUILD_SETTINGS.installation]: props.installationName,
        [BUILD_SETTINGS.cacheBucket]: dependencyCache.bucketName,
        [BUILD_SETTINGS.artifactBucket]: artifacts.bucketName,
      },
      readonlyRootFilesystem: false, // builds write node_modules and framework caches
    });
    this.taskDefinition = taskDefinition;
    acknowledge(taskDefinition, {
      ECS2: 'the variables are names only (table, installation, region, log ingest function, buckets); secrets are read by the build at run time, never passed in',
      IAM5: [{ reason: 'ecr:GetAuthorizationToken (execution role) has no resource-level permissions; it requires Resource *', resources: ['*'] }],
    });
    const runnerEnvironment = {
      [RUNNER_FUNCTION_ENV.tableName]: props.table.tableName,
      // The Installation dimension of the deployment metrics the launcher and finalizer emit.
      [RUNNER_FUNCTION_ENV.installation]: props.installationName,
      [RUNNER_SETTINGS.cluster]: cluster.clusterArn,
      [RUNNER_SETTINGS.taskDefinition]: taskDefinition.taskDefinitionArn,
      [RUNNER_SETTINGS.containerName]: CONTAINER,
      [RUNNER_SETTINGS.subnets]: subnets.subnetIds.join(','),
      [RUNNER_SETTINGS.securityGroups]: Lazy.string({ produce: () => this.connections.securityGroups.map(group => group.securityGroupId).join(',') }),
      [RUNNER_SETTINGS.assignPublicIp]: String(assignPublicIp),
    };

    // Launcher and finalizer both start builds (the finalizer starts the next waiting one).
    const runnerProps = (name: string, description: string) => ({
      description,
      timeout: Duration.seconds(LAUNCH_TIMEOUT_SECONDS),
      memorySize: 512,
      environment: runnerEnvironment,
      logGroup: trellisLogGroup(this, `${name}Logs`, props.logRetention),
    });
    const launcher = new LauncherFunction(this, 'Launcher', runnerProps('Launcher', 'Trellis: applies the environment lock and starts build tasks'));
    launcher.addEventSource(new SqsEventSource(props.queue, { batchSize: 5, reportBatchItemFailures: true }));
    // A push whose order is not known yet goes back to the queue, delayed (ORDER_RECHECK).
    launcher.addEnvironment(LAUNCHER_ENV.queueUrl, props.queue.queueUrl);
    props.queue.grantSendMessages(launcher);

    const finalizer = new FinalizerFunction(this, 'Finalizer', runnerProps('Finalizer', 'Trellis: records finished builds from their exit code and starts the next'));
    new events.Rule(this, 'TaskStopped', {
      description: 'Trellis: build task stopped',
      eventPattern: {
        source: ['aws.ecs'],
        detailType: ['ECS Task State Change'],
        detail: { clusterArn: [cluster.clusterArn], lastStatus: ['STOPPED'] },
      },
      targets: [new targets.LambdaFunction(finalizer, { retryAttempts: 8, maxEventAge: Duration.hours(2) })],
    });

    this.runnerEnvironment = runnerEnvironment;
    const tasksOfCluster = stack.formatArn({ service: 'ecs', resource: 'task', resourceName: `${cluster.clusterName}/*` });
    this.stopStatement = new iam.PolicyStatement({ actions: ['ecs:StopTask', 'ecs:DescribeTasks'], resources: [tasksOfCluster] });
    this.runnerStatements = [
      new iam.PolicyStatement({
        actions: ['ecs:RunTask'],
        resources: [taskDefinition.taskDefinitionArn],
        conditions: { ArnEquals: { 'ecs:cluster': cluster.clusterArn } },
      }),
      this.stopStatement,
      new iam.PolicyStatement({
        actions: ['iam:PassRole'],
        resources: Lazy.list({
          produce: () => [taskRole.roleArn, taskDefinition.obtainExecutionRole().roleArn, ...[...this.buildRoles.values()].map(role => role.roleArn)],
        }),
        conditions: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
      }),
    ];
    this.tasksOfCluster = {
      reason: 'stop and describe the tasks of this cluster only (task ids are not known in advance)',
      resources: [tasksOfCluster],
    };
    for (const fn of [launcher, finalizer]) {
      props.table.grantReadWriteData(fn);
      this.addRunnerSettings(fn);
      this.grantRunBuilds(fn);
      acknowledge(fn, functionReasons(props.table.table));
    }
    this.launcher = launcher;
    this.finalizer = finalizer;
  }

  /**
   * Give a function the settings a build runner reads (cluster, task definition, container,
   * subnets, security groups, public IP) as environment variables. A function that starts
   * builds also needs `grantRunBuilds`; one that only cancels, `grantStopBuilds`.
   */
  public addRunnerSettings(fn: lambda.Function): void {
    for (const [name, value] of Object.entries(this.runnerEnvironment)) fn.addEnvironment(name, value);
  }

  /**
   * Permit a principal to start, stop and describe build tasks (what the launcher and the
   * finalizer do): RunTask of this task definition on this cluster, Stop/Describe of this
   * cluster's tasks, and passing the build roles (and the task definition's roles) to ECS.
   * Nothing else.
   */
  public grantRunBuilds(grantee: iam.IGrantable): iam.Grant {
    const grant = this.runnerStatements
      .map(statement => iam.Grant.addToPrincipal({
        grantee,
        actions: statement.actions,
        resourceArns: statement.resources,
        conditions: statement.conditions,
      }))
      .reduce((all, one) => all.combine(one));
    this.acknowledgeTasksOfCluster(grantee);
    return grant;
  }

  /**
   * Permit a principal to stop and describe build tasks (the dashboard's API, for cancel):
   * Stop/Describe of this cluster's tasks; no RunTask, no PassRole.
   */
  public grantStopBuilds(grantee: iam.IGrantable): iam.Grant {
    const grant = iam.Grant.addToPrincipal({ grantee, actions: this.stopStatement.actions, resourceArns: this.stopStatement.resources });
    this.acknowledgeTasksOfCluster(grantee);
    return grant;
  }

  private acknowledgeTasksOfCluster(grantee: iam.IGrantable): void {
    const principal = grantee.grantPrincipal;
    // The policy lands on the principal's role; a function's acknowledgement covers its role.
    const target = Construct.isConstruct(grantee) ? grantee : Construct.isConstruct(principal) ? principal : undefined;
    if (target) acknowledge(target, { IAM5: [this.tasksOfCluster] });
  }

  /**
   * The role the builds of one environment run with: that environment's secret and the
   * GitHub token, its deploy role (or the CDK bootstrap roles of its account and region), its
   * own dependency cache and artifact prefixes, read access to the table. Add to it what the
   * environment's builds need besides (a parameter, a private registry's token).
   */
  public buildRole(application: string, environment: string): iam.IRole {
    const role = this.buildRoles.get(`${application}/${environment}`);
    if (!role) throw new Error(`BuildServer ${this.node.path}: no environment ${application}/${environment}; add the application to the TrellisPipeline first`);
    return role;
  }

  /**
   * Make the build role of an environment (TrellisPipeline.addApplication calls it) and
   * return its ARN, which the environment's configuration carries to the launcher.
   * @internal
   */
  public _addEnvironment(application: string, env: EnvironmentConfig): string {
    const key = `${application}/${env.name}`;
    if (this.buildRoles.has(key)) throw new Error(`BuildServer ${this.node.path}: environment ${key} already has a build role`);
    const scope = this.environmentRoles.node.tryFindChild(application) as Construct | undefined ?? new Construct(this.environmentRoles, application);
    const role = buildRoleFor(scope, env.name, application, env, this.identity);
    for (const fn of this.invokedByBuilds) grantInvoke(role, fn);
    this.buildRoles.set(key, role);
    return role.roleArn;
  }

  /**
   * Make the build roles of an application's pull-request previews, from the environment they
   * copy: previews of the repository's own branches read that environment's secret; forks'
   * previews (unless `withForks` is false: forks get none) no secret at all. Returns their ARNs,
   * which the previews' configuration carries.
   * @internal
   */
  public _addPreviews(application: string, from: EnvironmentConfig, withForks: boolean): { buildRoleArn: string; forkBuildRoleArn?: string } {
    const scope = this.environmentRoles.node.tryFindChild(application) as Construct | undefined ?? new Construct(this.environmentRoles, application);
    const kinds = withForks ? ['branch', 'fork'] as const : ['branch'] as const;
    const [branch, fork] = kinds.map(kind => {
      const key = `${application}/#previews-${kind}`;
      if (this.buildRoles.has(key)) throw new Error(`BuildServer ${this.node.path}: ${application} already has preview build roles`);
      const role = buildRoleFor(scope, kind === 'fork' ? 'ForkPreviews' : 'Previews', application, from, this.identity, kind);
      for (const fn of this.invokedByBuilds) grantInvoke(role, fn);
      this.buildRoles.set(key, role);
      return role;
    });
    return { buildRoleArn: branch.roleArn, ...fork && { forkBuildRoleArn: fork.roleArn } };
  }

  /**
   * Let builds send their output, as it happens, to a log ingest function (BuildLogStream's): the
   * container learns its name and every environment's build role may invoke that function and
   * no other.
   * Without it, build output reaches Trellis only through the build log group.
   */
  public sendLiveLogsTo(ingestFunction: lambda.IFunction): void {
    if (this.liveLogFunction) {
      throw new Error(`BuildServer ${this.node.path}: builds already send live logs to ${this.liveLogFunction.node.path}`);
    }
    this.liveLogFunction = ingestFunction;
    this.letBuildsInvoke(BUILD_SETTINGS.logIngestFunction, ingestFunction);
  }

  /**
   * Let builds clone with a token minted for exactly their repository (a GitHub App's
   * installation token) by `tokenFunction` (TrellisPipeline's, with `github`): the container
   * learns its name and every environment's build role may invoke it. Builds never read the
   * App's credentials. Repositories are cloned from `webUrl` (a GitHub Enterprise Server's).
   * @internal
   */
  public _cloneWithTokensFrom(tokenFunction: lambda.IFunction, webUrl: string): void {
    if (this.repositoryTokenFunction) {
      throw new Error(`BuildServer ${this.node.path}: builds already get repository tokens from ${this.repositoryTokenFunction.node.path}`);
    }
    this.repositoryTokenFunction = tokenFunction;
    this.letBuildsInvoke(BUILD_SETTINGS.repositoryTokenFunction, tokenFunction);
    if (webUrl !== GITHUB_DOT_COM.webUrl) this.container.addEnvironment(BUILD_SETTINGS.githubWebUrl, webUrl);
  }

  /** The container finds `fn` by name in `setting`; every build role, made or to be made, may invoke it. */
  private letBuildsInvoke(setting: string, fn: lambda.IFunction): void {
    this.container.addEnvironment(setting, fn.functionName);
    this.invokedByBuilds.push(fn);
    for (const role of this.buildRoles.values()) grantInvoke(role, fn);
  }
}

/** The unqualified ARN only: builds invoke the function by name, never a version or alias. */
function grantInvoke(role: iam.IRole, fn: lambda.IFunction): void {
  role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [fn.functionArn] }));
}
