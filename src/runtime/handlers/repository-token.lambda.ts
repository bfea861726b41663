import { logJson } from './json-log';
import { REPOSITORY_TOKEN_ENV } from '../../contract/function-environment';
import { SecretsManagerSource } from '../aws/secrets-manager-source';
import { gitHubConnectionFromEnvironment } from '../github/github-connection';
import { RepositoryTokenAnswer, answerRepositoryTokenRequest } from '../github/repository-token';
import { createDynamoStore } from '../store/dynamo-store';
import { tableContext } from '../store/table-context';

// Built once per container: the App's credentials are read when first needed and kept briefly.
const deps = {
  store: createDynamoStore(tableContext(process.env[REPOSITORY_TOKEN_ENV.tableName]!)),
  github: gitHubConnectionFromEnvironment(process.env, new SecretsManagerSource(), logJson),
  log: logJson,
};

/**
 * Invoked by builds (their role may invoke only this and the live log function) with
 * `{ deploymentId, ingestToken }`: answers an installation token for the deployment's
 * repository, or `{ refused: true }`. The token is never logged.
 */
export async function handler(event: unknown): Promise<RepositoryTokenAnswer> {
  return answerRepositoryTokenRequest(event, deps);
}
