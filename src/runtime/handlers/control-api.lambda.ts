import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { logJson } from './json-log';
import { CONTROL_API_ENV, GITHUB_ENV } from '../../contract/function-environment';
import { handleApiRequest, principalFromHttpApi } from '../api/control-api';
import { CorsPolicy } from '../api/cors';
import { installationUrlsFromEnvironment } from '../api/installation-urls';
import { gitHubSignInFromEnvironment } from '../auth/github-sign-in-from-env';
import { toHttpApiResult } from '../aws/api-gateway';
import { ecsRunnerFromEnvironment } from '../aws/ecs-task-runner';
import { GitHubCommitSource } from '../aws/github-commit-source';
import { SecretsManagerSource } from '../aws/secrets-manager-source';
import { SecretsManagerStore } from '../aws/secrets-manager-store';
import { SqsLaunchQueue } from '../aws/sqs-launch-queue';
import { withDeploymentMetrics } from '../core/deployment-metrics';
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
  clock: systemClock,
  log: logJson,
};
// The dashboard's origins (its CloudFront URL and extra callback URLs), space-separated.
const cors = CorsPolicy.fromList(process.env[CONTROL_API_ENV.dashboardOrigins]);

/**
 * Every route of the control HTTP API (payload v2). API Gateway's JWT authorizer has verified the
 * token in the Authorization header; the principal comes from that token's own claims.
 */
export async function handler(event: APIGatewayProxyEventV2WithJWTAuthorizer): Promise<APIGatewayProxyStructuredResultV2> {
  const origin = Object.entries(event.headers ?? {}).find(([name]) => name.toLowerCase() === 'origin')?.[1];
  // OPTIONS /api/{proxy+} has no authorizer: it is the browsers' preflight, answered here.
  if (event.requestContext.http.method === 'OPTIONS') return toHttpApiResult(cors.preflight(origin));
  const claims = event.requestContext.authorizer?.jwt?.claims;
  const authorization = Object.entries(event.headers ?? {}).find(([name]) => name.toLowerCase() === 'authorization')?.[1];
  const raw = event.body ?? '';
  const response = await handleApiRequest({
    method: event.requestContext.http.method,
    path: event.rawPath,
    query: event.queryStringParameters ?? {},
    body: event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw,
    principal: principalFromHttpApi(authorization, claims, logJson),
  }, deps);
  return toHttpApiResult(cors.apply(response, origin));
}
