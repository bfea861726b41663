import { ValidationIssue } from './errors';
import * as names from './names';
import {
  ApplicationConfig, EnvironmentConfig, EnvironmentRecord, EnvironmentState, FrameworkConfig, PreviewForks, PreviewRecord, PreviewsConfig,
} from './types';

/**
 * The rules of pull-request previews, without I/O: which application a pull request previews
 * in, what its environment is, whether a fork builds, and the cap. previews/pull-requests.ts
 * applies them to the store and the launch queue.
 */

export const PREVIEW_DEFAULTS = { forks: 'approve' as PreviewForks, maxConcurrent: 3 } as const;
export const PREVIEW_LIMITS = { maxConcurrent: { min: 1, max: 50 } } as const;
const FORK_POLICIES: readonly PreviewForks[] = ['approve', 'ignore'];
/** A closed preview's teardown is asked for at most this often (the first and the retries of failed ones). */
export const MAX_TEARDOWN_ATTEMPTS = 3;
/** After every environment in code: previews sort last, by number, and are never a promotion's target. */
const PREVIEW_POSITION_BASE = 1_000_000;
const PREVIEW_NAME = /^pr-(\d{1,9})$/;

/** `pr-<number>`: the environment (and stage) of a pull request's preview. */
export function previewName(pullRequest: number): string {
  return `pr-${pullRequest}`;
}

export function previewPosition(pullRequest: number): number {
  return PREVIEW_POSITION_BASE + pullRequest;
}

export function isPreview(env: Pick<EnvironmentState, 'preview'>): boolean {
  return env.preview !== undefined;
}

/** What GitHub's pull_request event says, as previews use it (webhook/pull-request-payload.ts reads it). */
export interface PullRequestEvent {
  readonly action: string;
  readonly number: number;
  readonly title?: string;
  readonly author?: string;
  /** The repository the pull request is in (its base). */
  readonly repository: string;
  readonly baseRef: string;
  /** `owner/repo` of the head; absent when the fork was deleted. */
  readonly headRepository?: string;
  readonly headRef: string;
  readonly headSha: string;
  readonly merged: boolean;
}

/** Head in another repository than the base: a fork (a deleted fork counts as one). */
export function isFork(pr: PullRequestEvent): boolean {
  return pr.headRepository === undefined || pr.headRepository.toLowerCase() !== pr.repository.toLowerCase();
}

export type PullRequestStep = 'deploy' | 'close' | 'none';

/** opened/reopened/synchronize deploy the head; closed (merged or not) removes the preview; anything else changes nothing. */
export function stepOf(action: string): PullRequestStep {
  if (action === 'opened' || action === 'reopened' || action === 'synchronize') return 'deploy';
  if (action === 'closed') return 'close';
  return 'none';
}

/** An application the pull request previews in, or why not (`ignored`). */
export type PreviewMatch =
  | { readonly application: string; readonly previews: PreviewsConfig }
  | { readonly ignored: string };

/**
 * The applications of the pull request's repository with previews configured whose environments
 * track the pull request's base branch; each other one of the repository is named in `ignored`.
 */
export function matchPullRequest(apps: readonly ApplicationConfig[], pr: PullRequestEvent): PreviewMatch[] {
  const repository = pr.repository.toLowerCase();
  return apps.filter(app => app.repository.toLowerCase() === repository).map(app => {
    if (!app.previews) return { ignored: `${app.name}: previews are not configured` };
    const tracked = app.environments.some(env => env.branch === pr.baseRef && !('preview' in env && env.preview));
    if (!tracked) return { ignored: `${app.name}: no environment tracks branch '${names.printable(pr.baseRef)}', the pull request's base` };
    return { application: app.name, previews: app.previews };
  });
}

/**
 * The preview's environment: the `from` environment's effective settings (its overrides applied),
 * as a custom, unprotected environment that tracks no branch (no push deploys to it) and builds
 * with the previews' role (the fork role for a fork). A health check by URL is left out: that URL
 * is the `from` environment's, not the preview's; one read from a stack output is kept.
 */
export function previewEnvironment(from: EnvironmentConfig, previews: PreviewsConfig, preview: PreviewRecord): EnvironmentConfig {
  const buildRoleArn = preview.fork ? previews.forkBuildRoleArn : previews.buildRoleArn;
  return {
    name: previewName(preview.pullRequest),
    kind: 'custom',
    autoDeploy: false,
    runTests: from.runTests,
    testCommand: [...from.testCommand],
    variables: { ...from.variables },
    protected: false,
    ...defined({
      region: from.region,
      account: from.account,
      deployRoleArn: from.deployRoleArn,
      buildRoleArn,
      // A fork's build shares no storage with anything that holds a secret: no dependency cache
      // (entries it saved could be restored into a build with secrets) and no stored artifact.
      framework: preview.fork && from.framework ? withoutArtifact(from.framework) : from.framework,
      dependencyCache: preview.fork ? false : from.dependencyCache,
      nodeVersion: from.nodeVersion,
      stacks: from.stacks,
      rootDirectory: from.rootDirectory,
      healthCheck: from.healthCheck?.stackOutput !== undefined ? from.healthCheck : undefined,
    }),
  };
}

function withoutArtifact(framework: FrameworkConfig): FrameworkConfig {
  const { artifact: _artifact, ...rest } = framework;
  return rest;
}

/** A fork's commits build only after approval (forks: 'approve'); the repository's own branches build at once. */
export function needsApproval(preview: Pick<PreviewRecord, 'fork'>): boolean {
  return preview.fork;
}

/** Why the cap refuses a new preview, naming the open ones and the way out. */
export function capReason(application: string, max: number, open: readonly string[]): string {
  const list = [...open].sort(byNumber);
  return `preview limit ${max} reached for ${application}: ${list.join(', ')} ${list.length === 1 ? 'is' : 'are'} open; `
    + 'close one or raise previews.maxConcurrent';
}

function byNumber(a: string, b: string): number {
  return Number(PREVIEW_NAME.exec(a)?.[1] ?? 0) - Number(PREVIEW_NAME.exec(b)?.[1] ?? 0);
}

/** Previews of an application that are not closed (what the cap counts is kept by the store). */
export function openPreviews(envs: readonly EnvironmentRecord[]): EnvironmentRecord[] {
  return envs.filter(env => env.preview !== undefined && env.preview.closedAt === undefined);
}

/** The rules of `previews` in code (and the local config file); paths name the prop. */
export function validatePreviews(app: ApplicationConfig, path: string, isUnresolved: (value: string) => boolean = () => false): ValidationIssue[] {
  const previews = app.previews;
  const issues: ValidationIssue[] = [];
  for (const [index, env] of app.environments.entries()) {
    if (PREVIEW_NAME.test(env.name) && previews) {
      issues.push({ path: `${path}.environments[${index}].name`, message: `'${env.name}' is the name of a pull request's preview: choose another name` });
    }
  }
  if (!previews) return issues;
  const from = app.environments.find(env => env.name === previews.from);
  if (!from) {
    issues.push({ path: `${path}.previews.from`, message: `'${names.printable(previews.from)}' is not an environment of ${names.printable(app.name)}: name the one whose settings previews copy` });
  } else if (from.kind === 'production') {
    issues.push({ path: `${path}.previews.from`, message: `'${from.name}' is a production environment: previews run pull requests' code, copy a development or staging environment` });
  } else if (from.protected) {
    // A preview is never protected: copying a protected environment would let any pull request use its secret and deploy role.
    issues.push({ path: `${path}.previews.from`, message: `'${from.name}' is protected (admins only): previews run any pull request's code, copy an unprotected environment` });
  }
  if (!FORK_POLICIES.includes(previews.forks)) issues.push({ path: `${path}.previews.forks`, message: `must be one of ${FORK_POLICIES.join(', ')}` });
  const { min, max } = PREVIEW_LIMITS.maxConcurrent;
  if (!Number.isInteger(previews.maxConcurrent) || previews.maxConcurrent < min || previews.maxConcurrent > max) {
    issues.push({ path: `${path}.previews.maxConcurrent`, message: `must be a whole number from ${min} to ${max}` });
  }
  for (const field of ['buildRoleArn', 'forkBuildRoleArn'] as const) {
    const value = previews[field];
    const problem = value === undefined || isUnresolved(value) ? undefined : names.roleArn(value);
    if (problem) issues.push({ path: `${path}.previews.${field}`, message: problem });
  }
  return issues;
}

function defined<T extends Record<string, unknown>>(values: T): Partial<T> {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined)) as Partial<T>;
}
