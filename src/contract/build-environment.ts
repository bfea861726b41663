/**
 * The environment a build runs with: what the launcher (or local mode) passes per build and what
 * the BuildServer construct sets on the task definition. The builder program reads the same names.
 */

/**
 * Environment variables the launcher passes to a build: which deployment, nothing else. The
 * builder reads what it builds (action, application, environment, commit) from that deployment's
 * record, the one the launcher chose the task's role from; the stage is the environment's name.
 * None of them is secret.
 */
export const BUILD_PARAMETERS = {
  deploymentId: 'TRELLIS_DEPLOYMENT_ID',
} as const;

/** Set on the task definition (not per build): where the builder reads config and secrets. */
export const BUILD_SETTINGS = {
  tableName: 'TRELLIS_TABLE_NAME',
  installation: 'TRELLIS_INSTALLATION',
  /** Local mode and tests only: clone from here instead of https://github.com/<repository>. */
  gitUrl: 'TRELLIS_GIT_URL',
  /** The log-ingest function the builder sends live batches to; absent = archive path only. */
  logIngestFunction: 'TRELLIS_LOG_INGEST_FUNCTION',
  /** Where repositories are cloned from (`<url>/<owner>/<repo>.git`): a GitHub Enterprise Server's web URL; absent = https://github.com. */
  githubWebUrl: 'TRELLIS_GITHUB_WEB_URL',
  /** With a GitHub App: the function that mints the build's clone token (`{ deploymentId, ingestToken }`); absent = the token secret (PAT). */
  repositoryTokenFunction: 'TRELLIS_REPOSITORY_TOKEN_FUNCTION',
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

/** The request's parameters as the builder's environment variables (the ingest token is the executor's to pass, if its builds send live batches). */
export function buildEnvironment(request: BuildParameters): Array<{ name: string; value: string }> {
  return (Object.keys(BUILD_PARAMETERS) as Array<keyof typeof BUILD_PARAMETERS>)
    .map(key => ({ name: BUILD_PARAMETERS[key], value: request[key] }));
}
