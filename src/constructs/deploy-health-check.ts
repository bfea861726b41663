import { Duration } from 'aws-cdk-lib';
import { keysOf } from '../runtime/core/config-keys';
import { HEALTH_CHECK_DEFAULTS } from '../runtime/core/config-validation';
import { ValidationIssue } from '../runtime/core/errors';
import { isPlainObject } from '../runtime/core/plain-object';
import { HealthCheckConfig } from '../runtime/core/types';
import { unknownKeyIssues } from '../runtime/core/unknown-keys';

/** How a health check calls the deployed app and what counts as healthy. */
export interface DeployHealthCheckOptions {
  /**
   * Lowest HTTP status that passes (100-599).
   * @default 200
   */
  readonly minStatus?: number;

  /**
   * Highest HTTP status that passes (100-599, at least `minStatus`). Redirects are not
   * followed: a 3xx is a status like any other.
   * @default 399
   */
  readonly maxStatus?: number;

  /**
   * How long one attempt waits for the response (1-120 seconds).
   * @default Duration.seconds(10)
   */
  readonly timeout?: Duration;

  /**
   * Attempts after the first failed one (0-10).
   * @default 3
   */
  readonly retries?: number;

  /**
   * Wait between attempts (0-300 seconds).
   * @default Duration.seconds(5)
   */
  readonly interval?: Duration;
}

const OPTION_KEYS = keysOf<DeployHealthCheckOptions>({ minStatus: true, maxStatus: true, timeout: true, retries: true, interval: true });

/**
 * A gate after every deploy: the build GETs a URL of the deployed app, without credentials.
 * When no attempt answers with a passing status, the deployment fails and the environment
 * is rolled back to the version it had before.
 *
 * @example
 * const staging = DeploymentEnvironment.staging({
 *   healthCheck: DeployHealthCheck.url('https://staging.example.com/health', { timeout: Duration.seconds(5) }),
 * });
 */
export class DeployHealthCheck {
  /**
   * GET this http:// or https:// URL, e.g. `DeployHealthCheck.url('https://api.example.com/health')`.
   *
   * @example
   * const check = DeployHealthCheck.url('https://staging.example.com/health', { retries: 5, interval: Duration.seconds(10) });
   */
  public static url(url: string, options: DeployHealthCheckOptions = {}): DeployHealthCheck {
    return new DeployHealthCheck(url, undefined, options);
  }

  /**
   * GET the URL that the deploy wrote as this stack output, e.g. `DeployHealthCheck.stackOutput('ApiUrl')`.
   * CDK apps: any stack's output of that name. SST v3: a value returned from `run()`
   * (`.sst/outputs.json`). Serverless, SAM and custom deploys must write the outputs
   * themselves to `.trellis/outputs.json` as `{ "ApiUrl": "https://..." }`.
   *
   * @example
   * const check = DeployHealthCheck.stackOutput('ApiUrl', { maxStatus: 299 });
   */
  public static stackOutput(outputName: string, options: DeployHealthCheckOptions = {}): DeployHealthCheck {
    return new DeployHealthCheck(undefined, outputName, options);
  }

  // Private: a public `url` property would clash with the static `url()` in C# and Java.
  private readonly config: HealthCheckConfig;
  /** Keys of the options no one reads (plain JavaScript callers), named when the environment is added. */
  private readonly unknownKeys: ValidationIssue[];

  private constructor(url: string | undefined, outputName: string | undefined, options: DeployHealthCheckOptions) {
    this.unknownKeys = isPlainObject(options) ? unknownKeyIssues(options, OPTION_KEYS, '') : [];
    const seconds = (duration: Duration | undefined, fallback: number) => duration?.toSeconds({ integral: false }) ?? fallback;
    this.config = {
      url,
      stackOutput: outputName,
      minStatus: options.minStatus ?? HEALTH_CHECK_DEFAULTS.minStatus,
      maxStatus: options.maxStatus ?? HEALTH_CHECK_DEFAULTS.maxStatus,
      timeoutSeconds: seconds(options.timeout, HEALTH_CHECK_DEFAULTS.timeoutSeconds),
      retries: options.retries ?? HEALTH_CHECK_DEFAULTS.retries,
      intervalSeconds: seconds(options.interval, HEALTH_CHECK_DEFAULTS.intervalSeconds),
    };
  }

  /** @internal the configuration the builder reads; validated with the environment at synth */
  public _toConfig(): HealthCheckConfig {
    return { ...this.config };
  }

  /** @internal unknown option keys, paths relative to the health check */
  public _unknownKeys(): ValidationIssue[] {
    return [...this.unknownKeys];
  }
}
