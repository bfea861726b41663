/**
 * The contract between the launcher (which starts a build), the builder program (which runs
 * it) and LogStream (which turns its output into phases). One definition, shared by all.
 */

/** Environment variables the launcher passes to a build. None of them is secret. */
export const BUILD_PARAMETERS = {
  deploymentId: 'TRELLIS_DEPLOYMENT_ID',
  action: 'TRELLIS_ACTION',
  application: 'TRELLIS_APPLICATION',
  environment: 'TRELLIS_ENVIRONMENT',
  commit: 'TRELLIS_COMMIT',
  stage: 'TRELLIS_STAGE',
} as const;

/** Set on the task definition (not per build): where the builder reads config and secrets. */
export const BUILD_SETTINGS = {
  tableName: 'TRELLIS_TABLE_NAME',
  installation: 'TRELLIS_INSTALLATION',
  /** Local mode and tests only: clone from here instead of https://github.com/<repository>. */
  gitUrl: 'TRELLIS_GIT_URL',
  /** The log-ingest function the builder sends live batches to; absent = archive path only. */
  logIngestFunction: 'TRELLIS_LOG_INGEST_FUNCTION',
  /** The S3 bucket of the dependency cache; absent = no cache. */
  cacheBucket: 'TRELLIS_CACHE_BUCKET',
  /** The S3 bucket of deploy artifacts (what rollback and promotion redeploy); absent = every rollback rebuilds. */
  artifactBucket: 'TRELLIS_ARTIFACT_BUCKET',
} as const;

/**
 * The one secret the launcher passes to a build, beside BUILD_PARAMETERS: the deployment's
 * ingest token, which the builder sends with its live log batches (see core/ingest-token.ts).
 */
export const BUILD_INGEST_TOKEN = 'TRELLIS_INGEST_TOKEN';

export type BuildParameters = { readonly [K in keyof typeof BUILD_PARAMETERS]: string };

export type BuildPhase =
  'prepare' | 'fetch-artifact' | 'clone' | 'detect' | 'restore-cache' | 'install' | 'save-cache' | 'test' | 'build' | 'deploy'
  | 'save-artifact' | 'remove' | 'health';

export type PhaseOutcome = 'succeeded' | 'failed' | 'skipped';

/** One line of builder output that marks a phase boundary. */
export interface PhaseMarker {
  readonly phase: BuildPhase;
  readonly event: 'start' | 'end';
  /** ISO timestamp. */
  readonly at: string;
  /** On `end`. */
  readonly outcome?: PhaseOutcome;
  readonly durationMs?: number;
  /** Short human text: detected framework, why it failed, why it was skipped. */
  readonly detail?: string;
}

export const PHASE_MARKER_PREFIX = '::trellis-phase::';

export function formatPhaseMarker(marker: PhaseMarker): string {
  return `${PHASE_MARKER_PREFIX}${JSON.stringify(marker)}`;
}

/** Phases in the order a build runs them. */
export const BUILD_PHASES: readonly BuildPhase[] = [
  'prepare', 'fetch-artifact', 'clone', 'detect', 'restore-cache', 'install', 'save-cache', 'test', 'build', 'deploy', 'health',
  'save-artifact', 'remove',
];
const OUTCOMES: readonly PhaseOutcome[] = ['succeeded', 'failed', 'skipped'];

/** The marker on this line, or undefined for an ordinary line (or a forged, malformed one). */
export function parsePhaseMarker(line: string): PhaseMarker | undefined {
  if (!line.startsWith(PHASE_MARKER_PREFIX)) return undefined;
  try {
    const value = JSON.parse(line.slice(PHASE_MARKER_PREFIX.length));
    if (!BUILD_PHASES.includes(value?.phase) || (value.event !== 'start' && value.event !== 'end')) return undefined;
    if (typeof value.at !== 'string' || Number.isNaN(Date.parse(value.at))) return undefined;
    const duration = value.durationMs;
    if (duration !== undefined && !(typeof duration === 'number' && Number.isSafeInteger(duration) && duration >= 0)) return undefined;
    if (value.outcome !== undefined && !OUTCOMES.includes(value.outcome)) return undefined;
    if (value.detail !== undefined && typeof value.detail !== 'string') return undefined;
    return value as PhaseMarker;
  } catch {
    return undefined;
  }
}

/**
 * Session tags the builder puts on its environment's deploy role session. Each environment's
 * build role may set them to its own values only, so a deploy role's trust policy that
 * requires them admits that environment's builds alone.
 */
export const SESSION_TAGS = {
  application: 'trellis:application',
  environment: 'trellis:environment',
  installation: 'trellis:installation',
} as const;

/** Secrets Manager names of an installation; the build task may read only under its prefix. */
export const secretNames = {
  prefix: (installation: string) => `trellis/${installation}/`,
  githubToken: (installation: string) => `trellis/${installation}/github-token`,
  environment: (installation: string, application: string, environment: string) => `trellis/${installation}/${application}/${environment}`,
};

/** Exit codes of the builder: the finalizer decides the status from these, never from log text. */
export const BUILDER_EXIT = {
  succeeded: 0,
  failed: 1,
  /** Parameters or configuration invalid: nothing was run. */
  invalid: 2,
  /** Deployed, but the health check failed: the finalizer fails it and rolls the environment back. */
  unhealthy: 3,
  /**
   * A push older than the deployed push of its branch (its commit is an ancestor of the deployed
   * one, found after the clone): nothing was deployed; the finalizer ends it `superseded`, the
   * clone phase's detail is the reason.
   */
  outdated: 4,
} as const;

/**
 * The launcher's and the finalizer's timeout (both start builds). An invocation that wrote
 * something at T started before T, so it is over by T + this: a deployment it marked running
 * this long ago without a task is stranded (`stranded` in build/launch.ts).
 */
export const LAUNCH_TIMEOUT_SECONDS = 60;
