import * as iam from 'aws-cdk-lib/aws-iam';
import { DeployFramework } from './deploy-framework';
import { DeployHealthCheck } from './deploy-health-check';
import { NotificationDestination } from './notification-destination';
import { PreviewOptions } from './preview-options';
import { TestCommand } from './test-command';
import { keysOf } from '../runtime/core/config-keys';
import { STANDARD_KINDS, kindSwitchDefaults } from '../runtime/core/environment-kinds';
import { ValidationIssue } from '../runtime/core/errors';
import { isPlainObject } from '../runtime/core/plain-object';
import { EnvironmentConfig } from '../runtime/core/types';
import { unknownKeyIssues } from '../runtime/core/unknown-keys';

/** What an environment is for; decides its defaults and what may reach it. */
export enum DeploymentEnvironmentKind {
  /** Tracks a branch and deploys on every push. */
  DEVELOPMENT = 'development',
  /** Reached by promotion from the environment before it. */
  STAGING = 'staging',
  /** Never deploys on push; only promotion, rollback and manual actions by admins. */
  PRODUCTION = 'production',
  /** Anything else: preview, QA, a second region... */
  CUSTOM = 'custom',
}

/** Settings every environment has. */
export interface DeploymentEnvironmentSettings {
  /**
   * Git branch this environment tracks: pushes to it deploy (when `autoDeploy`), and
   * "deploy latest" deploys its head.
   * @default - `main` for development; none for the others (promotion only)
   */
  readonly branch?: string;

  /**
   * Deploy automatically on every push to `branch`. Production cannot.
   * @default - true for development; true for staging and custom environments that
   * set a `branch`; false for production
   */
  readonly autoDeploy?: boolean;

  /**
   * Run the test command before deploying.
   * @default - true, except production (a promoted commit already passed the tests of
   * the environment before it)
   */
  readonly runTests?: boolean;

  /**
   * The tests to run when `runTests` is on. A configured command always runs (and fails the
   * deployment when it fails or is missing).
   * @default - `TestCommand.npmScript('test')` when `runTests` is set to true; otherwise
   * `TestCommand.auto()`: the package's `test` script when there is one, else no tests
   */
  readonly testCommand?: TestCommand;

  /**
   * Restore `node_modules` from the dependency cache when the lockfile is unchanged (the
   * install is skipped), and save it after a fresh install. Per environment: production only
   * ever restores what a production build saved.
   * @default true
   */
  readonly dependencyCache?: boolean;

  /**
   * The Node version the app's install, tests, build and deploy run with: a major (`18`), an
   * exact version (`20.11.1`), an LTS line (`lts/iron`) or a range (`>=18 <21`). A major other
   * than the builder's own is fetched from the npm registry and kept between builds.
   * @default - what the repository asks for (`.nvmrc`, `.node-version`, package.json `volta.node`, then `engines.node`), else the builder's own Node (22)
   */
  readonly nodeVersion?: string;

  /**
   * CDK apps: the stacks this environment deploys and tears down, as patterns of stack ids
   * (`*` matches any characters, `{stage}` is the environment's name), e.g. `['shop-{stage}-*']`.
   * A stack named for another environment of the application is never matched by a `*`.
   * @default - the assembly's only stack; with several, the stacks whose name contains the
   * stage as a word or that are tagged `stage=<stage>` (none such fails the build, listing the stacks)
   */
  readonly stacks?: string[];

  /**
   * The app's folder in the repository, e.g. `packages/api`: detection, tests, build and deploy
   * run there; the install runs at the workspace root above it (the folder with the lockfile).
   * @default - the application's `rootDirectory`, else the repository root
   */
  readonly rootDirectory?: string;

  /**
   * AWS region the app is deployed to.
   * @default - the region of the stack that holds the TrellisPipeline
   */
  readonly region?: string;

  /**
   * AWS account the app is deployed to.
   * @default - the account of the stack that holds the TrellisPipeline
   */
  readonly account?: string;

  /**
   * Role the build assumes to deploy. Credentials always come from assuming a role. A role of
   * another account: `iam.Role.fromRoleArn(this, 'ProdDeploy', 'arn:aws:iam::111122223333:role/deploy')`;
   * its trust policy must let the environment's build role (`BuildServer.buildRole`) assume
   * and tag it.
   * @default - the CDK bootstrap roles of `account` and `region`
   */
  readonly deployRole?: iam.IRole;

  /**
   * Non-secret variables passed to the build. Secrets belong in Secrets Manager,
   * never here: values end up in the CloudFormation template.
   * @default - none
   */
  readonly variables?: { [name: string]: string };

  /**
   * Protected environments accept actions only from admins.
   * @default - true for production, false otherwise
   */
  readonly protected?: boolean;

  /**
   * How the app is deployed.
   * @default - detected from the repository at build time
   */
  readonly framework?: DeployFramework;

  /**
   * Called after every deploy, e.g. `DeployHealthCheck.url('https://api.example.com/health')`.
   * When it does not pass, the deployment fails and the environment is rolled back to
   * the version it had before.
   * @default - no health check: a deploy whose command succeeded is done
   */
  readonly healthCheck?: DeployHealthCheck;
}

/** Options for the standard environments. */
export interface DeploymentEnvironmentOptions extends DeploymentEnvironmentSettings {
  /**
   * Name of the environment, also the stage name the app is deployed to.
   * @default - `dev`, `staging` or `production`
   */
  readonly name?: string;
}

/** Options for a custom environment. */
export interface CustomDeploymentEnvironmentOptions extends DeploymentEnvironmentSettings {
  /** Name of the environment, also the stage name the app is deployed to. */
  readonly name: string;
}

const OPTION_KEYS = keysOf<DeploymentEnvironmentOptions & CustomDeploymentEnvironmentOptions>({
  name: true,
  branch: true,
  autoDeploy: true,
  runTests: true,
  testCommand: true,
  dependencyCache: true,
  nodeVersion: true,
  stacks: true,
  rootDirectory: true,
  region: true,
  account: true,
  deployRole: true,
  variables: true,
  protected: true,
  framework: true,
  healthCheck: true,
});

/**
 * One deployment target of an application. The order of environments in an
 * application is the promotion order.
 *
 * @example
 * const environments = [
 *   DeploymentEnvironment.development({ branch: 'main', runTests: true }),
 *   DeploymentEnvironment.staging({ region: 'eu-west-1' }),
 *   DeploymentEnvironment.production({ account: '444455556666', region: 'eu-west-1' }),
 * ];
 */
export class DeploymentEnvironment {
  /**
   * Tracks `main` and deploys every push.
   *
   * @example
   * const dev = DeploymentEnvironment.development({ branch: 'main', runTests: true });
   */
  public static development(options: DeploymentEnvironmentOptions = {}): DeploymentEnvironment {
    const { name, branch } = STANDARD_KINDS.development;
    return new DeploymentEnvironment(DeploymentEnvironmentKind.DEVELOPMENT, options.name ?? name, { ...options, branch: options.branch ?? branch });
  }

  /**
   * Reached by promotion; deploys on push only if given a branch.
   *
   * @example
   * const staging = DeploymentEnvironment.staging({ region: 'eu-west-1' });
   */
  public static staging(options: DeploymentEnvironmentOptions = {}): DeploymentEnvironment {
    return new DeploymentEnvironment(DeploymentEnvironmentKind.STAGING, options.name ?? STANDARD_KINDS.staging.name, options);
  }

  /**
   * Never deploys on push; protected.
   *
   * @example
   * const production = DeploymentEnvironment.production({
   *   account: '444455556666',
   *   deployRole: iam.Role.fromRoleArn(stack, 'ProductionDeploy', 'arn:aws:iam::444455556666:role/trellis-deploy'),
   *   healthCheck: DeployHealthCheck.stackOutput('ApiUrl'),
   * });
   */
  public static production(options: DeploymentEnvironmentOptions = {}): DeploymentEnvironment {
    return new DeploymentEnvironment(DeploymentEnvironmentKind.PRODUCTION, options.name ?? STANDARD_KINDS.production.name, options);
  }

  /**
   * Any other environment.
   *
   * @example
   * const preview = DeploymentEnvironment.custom({ name: 'preview', branch: 'develop', variables: { LOG_LEVEL: 'debug' } });
   */
  public static custom(options: CustomDeploymentEnvironmentOptions): DeploymentEnvironment {
    return new DeploymentEnvironment(DeploymentEnvironmentKind.CUSTOM, options.name, options);
  }

  /** Name, also the stage name. */
  public readonly name: string;
  /** What the environment is for. */
  public readonly kind: DeploymentEnvironmentKind;
  /** Branch it tracks, if any. */
  public readonly branch?: string;
  /** Whether a push to `branch` deploys it. */
  public readonly autoDeploy: boolean;
  /** Whether tests run before deploying. */
  public readonly runTests: boolean;
  /** The test command. */
  public readonly testCommand: TestCommand;
  /** Whether builds use the dependency cache. */
  public readonly dependencyCache: boolean;
  /** The Node version asked for in code, if any. */
  public readonly nodeVersion?: string;
  /** CDK stack patterns, if set. */
  public readonly stacks?: string[];
  /** The app's folder in the repository, if set for this environment. */
  public readonly rootDirectory?: string;
  /** Target region, if set. */
  public readonly region?: string;
  /** Target account, if set. */
  public readonly account?: string;
  /** Deploy role, if set. */
  public readonly deployRole?: iam.IRole;
  /** Non-secret variables. */
  public readonly variables: { [name: string]: string };
  /** Whether only admins may act on it. */
  public readonly protected: boolean;
  /** The deploy framework, if chosen in code. */
  public readonly framework?: DeployFramework;
  /** The health check after each deploy, if any. */
  public readonly healthCheck?: DeployHealthCheck;

  /** Option keys no one reads (plain JavaScript callers), named with their full path when the application is added. */
  private readonly unknownKeys: ValidationIssue[];

  private constructor(kind: DeploymentEnvironmentKind, name: string, settings: DeploymentEnvironmentSettings) {
    this.unknownKeys = isPlainObject(settings) ? unknownKeyIssues(settings, OPTION_KEYS, '') : [];
    // Plain JavaScript can pass an ARN string where a role belongs; it would be ignored, and the
    // builds would deploy with the bootstrap roles instead.
    if (settings.deployRole !== undefined && typeof (settings.deployRole as Partial<iam.IRole> | null)?.roleArn !== 'string') {
      this.unknownKeys.push({ path: 'deployRole', message: 'must be an iam.IRole; a role by ARN is iam.Role.fromRoleArn(scope, id, arn)' });
    }
    const defaults = kindSwitchDefaults(kind, settings.branch);
    this.kind = kind;
    this.name = name;
    this.branch = settings.branch;
    // Explicit values are kept as given (even production's true) so validation can name them.
    this.autoDeploy = settings.autoDeploy ?? defaults.autoDeploy;
    this.runTests = settings.runTests ?? defaults.runTests;
    // Tests asked for explicitly must run; by default they run where the package has them.
    this.testCommand = settings.testCommand ?? (settings.runTests === true ? TestCommand.npmScript('test') : TestCommand.auto());
    this.dependencyCache = settings.dependencyCache ?? true;
    this.nodeVersion = settings.nodeVersion;
    this.stacks = settings.stacks ? [...settings.stacks] : undefined;
    this.rootDirectory = settings.rootDirectory;
    this.region = settings.region;
    this.account = settings.account;
    this.deployRole = settings.deployRole;
    this.variables = { ...settings.variables };
    this.protected = settings.protected ?? defaults.protected;
    this.framework = settings.framework;
    this.healthCheck = settings.healthCheck;
  }

  /** @internal unknown keys of the options, the framework's and the health check's, paths relative to the environment */
  public _unknownKeys(): ValidationIssue[] {
    const nested = (field: string, issues: ValidationIssue[] = []) => issues.map(issue => ({ ...issue, path: `${field}.${issue.path}` }));
    return [...this.unknownKeys, ...nested('framework', this.framework?._unknownKeys?.()), ...nested('healthCheck', this.healthCheck?._unknownKeys?.())];
  }

  /** @internal the plain configuration core and the runtime read */
  public _toConfig(): EnvironmentConfig {
    return {
      name: this.name,
      kind: this.kind,
      branch: this.branch,
      autoDeploy: this.autoDeploy,
      runTests: this.runTests,
      testCommand: [...this.testCommand.argv],
      region: this.region,
      account: this.account,
      deployRoleArn: this.deployRole?.roleArn,
      variables: { ...this.variables },
      protected: this.protected,
      framework: this.framework?._toConfig(),
      // Only the exception is written, so configurations from before the cache read the same.
      dependencyCache: this.dependencyCache ? undefined : false,
      nodeVersion: this.nodeVersion,
      stacks: this.stacks,
      rootDirectory: this.rootDirectory,
      healthCheck: this.healthCheck?._toConfig(),
    };
  }
}

/** An application: one GitHub repository deployed to its environments. */
export interface ApplicationOptions {
  /** Name of the application: lowercase letters, digits, hyphens. */
  readonly name: string;

  /** GitHub repository as `owner/repo`. */
  readonly repository: string;

  /**
   * The app's folder in the repository when it is not the root, e.g. `packages/api` in a
   * monorepo: detection, tests, build and deploy run there, the install at the workspace root
   * above it. An environment's own `rootDirectory` wins.
   * @default - the repository root
   */
  readonly rootDirectory?: string;

  /**
   * Environments in promotion order.
   * @default - `DeploymentEnvironment.development()`, `DeploymentEnvironment.staging()`, `DeploymentEnvironment.production()`
   */
  readonly environments?: DeploymentEnvironment[];

  /**
   * Pull-request previews: each pull request into a branch an environment tracks gets an
   * environment of its own (`pr-<number>`) with the settings of `previews.from`, torn down when it closes.
   * @default - no previews
   */
  readonly previews?: PreviewOptions;

  /**
   * Where the application's events go (deployments queued, succeeded, failed, rolled back...):
   * signed webhooks, Slack, SNS topics, each optionally filtered by event and environment.
   * Delivery never holds up a deployment.
   * @default - none
   */
  readonly notifications?: NotificationDestination[];
}

/** @internal */
export function defaultEnvironments(): DeploymentEnvironment[] {
  return [DeploymentEnvironment.development(), DeploymentEnvironment.staging(), DeploymentEnvironment.production()];
}
