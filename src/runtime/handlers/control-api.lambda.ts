import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { logJson } from './json-log';
import { CONTROL_API_ENV, GITHUB_ENV } from '../../contract/function-environment';
import { handleApiRequest } from '../api/control-api';
import { CorsPolicy } from '../api/cors';
import { installationUrlsFromEnvironment } from '../api/installation-urls';
import { requestAuthenticatorFromEnvironment } from '../auth/authenticator-from-env';
import { RequestCaller, callerOfRequest } from '../auth/bearer-credential';
import { gitHubSignInFromEnvironment } from '../auth/github-sign-in-from-env';
import { toHttpApiResult } from '../aws/api-gateway';
import { ecsRunnerFromEnvironment } from '../aws/ecs-task-runner';
import { GitHubCommitSource } from '../aws/github-commit-source';
import { SecretsManagerSource } from '../aws/secrets-manager-source';
import { SecretsManagerStore } from '../aws/secrets-manager-store';
import { SqsLaunchQueue } from '../aws/sqs-launch-queue';
import { withDeploymentMetrics } from '../core/deployment-metrics';
import { errorMessage } from '../core/errors';
import { errorResponse } from '../core/http';
import { systemClock } from '../core/ports';
import { gitHubConnectionFromEnvironment } from '../github/github-connection';
import { createDynamoStore } from '../store/dynamo-store';
import { tableContext } from '../store/table-context';

// Built once per container. The GitHub token is cached in memory (5 minutes), never in the environment.
const installation = process.env[CONTROL_API_ENV.installation]!;
const secretSource = new SecretsManagerSource();
const secretStore = new SecretsManagerStore();
// The GitHub App (GITHUB_ENV; once the setup page made it, or as given).
const github = gitHubConnectionFromEnvironment(process.env, secretSource, logJson);
const deps = {
  // A cancelled deployment, or a request the queue refused, is logged and counted once (metrics.ts).
  store: withDeploymentMetrics(createDynamoStore(tableContext(process.env[CONTROL_API_ENV.tableName]!)), { installation, log: logJson }),
  queue: new SqsLaunchQueue(process.env[CONTROL_API_ENV.queueUrl]!),
  // "Deploy the newest commit": with the App, a read-only token for that repository alone; else the token secret.
  commits: new GitHubCommitSource(installation, secretSource, {
    apiUrl: process.env[GITHUB_ENV.apiUrl] || undefined,
    appToken: async repository => (await (await github?.app())?.repositoryToken(repository).catch(() => undefined))?.token,
  }),
  secrets: secretStore,
  // Sign in with GitHub when GITHUB_SIGN_IN_ROLES is set: its session key is read, or made once, in Secrets Manager.
  githubSignIn: gitHubSignInFromEnvironment(process.env, {
    get: name => secretSource.get(name),
    create: (name, value) => secretStore.create(name, value),
  }, logJson),
  // The URLs the App's manifest names.
  github,
  urls: installationUrlsFromEnvironment(process.env),
  githubOrganization: process.env[GITHUB_ENV.organization] || undefined,
  githubAppGiven: process.env[GITHUB_ENV.appOrigin] === 'given',
  // Cancel stops a running build's task (the next waiting one goes to the launch queue): the BuildServer's RUNNER_SETTINGS.
  runner: ecsRunnerFromEnvironment(),
  installation,
  // Whole days, checked at synth time (the construct's auditRetention).
  auditRetentionDays: Number(process.env[CONTROL_API_ENV.auditRetentionDays]) || undefined,
  clock: systemClock,
  log: logJson,
};
// Every request's credential is verified here, as the live-log socket does.
const authenticator = requestAuthenticatorFromEnvironment(deps.store.apiTokens, process.env, logJson);
// The dashboard's origins (its CloudFront URL and extra callback URLs), space-separated.
const cors = CorsPolicy.fromList(process.env[CONTROL_API_ENV.dashboardOrigins]);

/**
 * Every route of the control HTTP API (payload v2). No API Gateway authorizer: it cannot take API
 * tokens, so the function verifies the Authorization header itself (a JWT or an API token).
 */
export async function handler(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  const origin = Object.entries(event.headers ?? {}).find(([name]) => name.toLowerCase() === 'origin')?.[1];
  // OPTIONS /api/{proxy+} has no authorizer: it is the browsers' preflight, answered here.
  if (event.requestContext.http.method === 'OPTIONS') return toHttpApiResult(cors.preflight(origin));
  const authorization = Object.entries(event.headers ?? {}).find(([name]) => name.toLowerCase() === 'authorization')?.[1];
  const raw = event.body ?? '';
  let caller: RequestCaller;
  try {
    caller = await callerOfRequest(authenticator, authorization);
  } catch (error) {
    // The table or the identity provider's keys out of reach: not the caller's fault, not a 401.
    logJson({ message: 'request not authenticated', error: errorMessage(error) });
    return toHttpApiResult(cors.apply(errorResponse(error), origin));
  }
  const response = await handleApiRequest({
    method: event.requestContext.http.method,
    path: event.rawPath,
    query: event.queryStringParameters ?? {},
    body: event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw,
    ...caller,
  }, deps);
  return toHttpApiResult(cors.apply(response, origin));
}
