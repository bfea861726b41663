import { maskCredentials } from '../core/credential-patterns';
import { isDeploymentId } from '../core/deployment-ids';
import { NotFoundError, errorMessage } from '../core/errors';
import { GitHubConnection, RepositoryToken } from '../core/github';
import { ingestTokenMatches } from '../core/ingest-token';
import * as names from '../core/names';
import { isPlainObject } from '../core/plain-object';
import { Store } from '../core/ports';

/**
 * A build's clone token: an installation token of the GitHub App for exactly the repository the
 * build clones, `contents: read`, minted by trusted code so that builds never hold the App's
 * private key. In AWS the repository-token function answers builds (which prove who they are
 * with their deployment's ingest token); locally the runner mints before it starts the build.
 */

export interface RepositoryTokenDeps {
  readonly store: Store;
  /** The installation's GitHub; undefined without a GitHub App (builds then use the GitHub token secret). */
  readonly github: GitHubConnection | undefined;
  /** Never given a token. */
  readonly log: (entry: Record<string, unknown>) => void;
}

/** What a build sends: its deployment and that deployment's ingest token (BUILD_INGEST_TOKEN). */
export interface RepositoryTokenRequest {
  readonly deploymentId: string;
  readonly ingestToken: string;
}

/** The function's answer: the token, or a refusal without detail (the function's log says why). */
export type RepositoryTokenAnswer = RepositoryToken | { readonly refused: true };

/** A token for `repository`, or why there is none (for logs: no secret in it). */
export type MintedToken = { readonly repository: string; readonly token: RepositoryToken } | { readonly refused: string };

/**
 * The repository-token function: the deployment must exist and be running, and the SHA-256 of
 * the given ingest token must be the one recorded with its task (the live log path's check);
 * then a token for its application's repository. Anything else is refused, and logged.
 */
export async function answerRepositoryTokenRequest(request: unknown, deps: RepositoryTokenDeps): Promise<RepositoryTokenAnswer> {
  const deploymentId = isPlainObject(request) && typeof request.deploymentId === 'string' && isDeploymentId(request.deploymentId)
    ? request.deploymentId : undefined;
  const refuse = (reason: string) => {
    deps.log({ message: 'repository token refused', deployment: deploymentId ?? '(not a deployment id)', reason });
    return { refused: true } as const;
  };
  if (deploymentId === undefined || !isPlainObject(request)) return refuse('the request names no deployment');
  const binding = await deps.store.deployments.logBinding(deploymentId);
  if (!binding) return refuse('no such deployment');
  if (!ingestTokenMatches(request.ingestToken, binding.ingestTokenHash)) return refuse("not the deployment's ingest token");
  if (binding.status !== 'running') return refuse(`the deployment is ${binding.status}, not running`);
  const deployment = await deps.store.deployments.get(deploymentId);
  if (!deployment) return refuse('no such deployment');
  const minted = await applicationRepositoryToken(deployment.application, deps);
  if ('refused' in minted) return refuse(minted.refused);
  deps.log({ message: 'repository token issued', deployment: deploymentId, repository: minted.repository, expiresAt: minted.token.expiresAt });
  return { token: minted.token.token, expiresAt: minted.token.expiresAt };
}

/**
 * A token for the repository of `application` as configured: the one its builds clone (the
 * builder clones the application's repository, whatever a deployment record says). Errors of
 * GitHub are refusals too, masked: a build without a token clones as it would without an App.
 */
export async function applicationRepositoryToken(application: string, deps: RepositoryTokenDeps): Promise<MintedToken> {
  if (!deps.github) return { refused: 'no GitHub App is configured' };
  const app = await deps.store.config.getApplication(application);
  if (!app) return { refused: `application ${application} is not configured` };
  const repository = app.repository;
  const problem = names.repository(repository);
  if (problem) return { refused: problem };
  try {
    const gitHubApp = await deps.github.app();
    if (!gitHubApp) return { refused: 'the GitHub App has not been created yet' };
    return { repository, token: await gitHubApp.repositoryToken(repository) };
  } catch (error) {
    if (error instanceof NotFoundError) return { refused: `the GitHub App is not installed on ${repository}` };
    return { refused: `GitHub did not issue a token for ${repository}: ${maskCredentials(errorMessage(error)).slice(0, 300)}` };
  }
}
