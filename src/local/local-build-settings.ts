import { NotFoundError } from '../runtime/core/errors';
import { isPlainObject } from '../runtime/core/plain-object';
import { SecretSource } from '../runtime/core/ports';

/**
 * Settings the local runner gives the local builder entry beyond core's BUILD_PARAMETERS, by
 * these names in the builder's parameters. `TRELLIS_*` on purpose: the builder strips those
 * from every app command. They travel in LocalBuildInput (the builder's stdin), not in the
 * builder's environment, which the app's commands (the same OS user) could read from
 * /proc/<builder pid>/environ.
 */
export const LOCAL_BUILD_SETTINGS = {
  /** The dependency cache's folder (AWS keeps it in S3); absent = no cache. */
  cacheDir: 'TRELLIS_LOCAL_CACHE_DIR',
  /** The deploy artifacts' folder (AWS keeps them in S3); absent = every rollback rebuilds. */
  artifactDir: 'TRELLIS_LOCAL_ARTIFACT_DIR',
} as const;

/** Where the table is: DynamoDB Local on 127.0.0.1, and the installation's key id (its database). */
export interface LocalDynamoDb {
  readonly endpoint: string;
  readonly accessKeyId: string;
}

/**
 * What the runner writes to the builder's stdin (one JSON document, then end of input): what
 * must not be in the builder's environment. The builder reads it before anything else runs.
 */
export interface LocalBuildInput {
  readonly dynamodb: LocalDynamoDb;
  /**
   * The secrets this build may read, by secret name: its own environment's and the GitHub
   * token, those that exist. The builder never learns where secrets are kept.
   */
  readonly secrets: Readonly<Record<string, string>>;
  /** Why the runner could not read the secrets (the build then fails in prepare, saying so). */
  readonly secretsError?: string;
  /**
   * The GitHub App's installation token for this build's repository (`contents: read`), which
   * the runner minted; absent without an App (the GitHub token secret, if any, is used).
   */
  readonly repositoryToken?: string;
  /** More build parameters (LOCAL_BUILD_SETTINGS, BUILD_SETTINGS.gitUrl), merged into the environment the builder reads. */
  readonly settings: Readonly<Record<string, string>>;
}

/** LocalBuildInput from the builder's stdin; an error names the field that is wrong. */
export function parseLocalBuildInput(text: string): LocalBuildInput {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error('the local runner\'s input is not JSON');
  }
  if (!isPlainObject(value)) throw new Error('the local runner\'s input is not a JSON object');
  const { dynamodb, secrets, secretsError, repositoryToken, settings } = value;
  if (!isPlainObject(dynamodb) || typeof dynamodb.endpoint !== 'string' || typeof dynamodb.accessKeyId !== 'string') {
    throw new Error('the local runner\'s input has no dynamodb.endpoint and dynamodb.accessKeyId');
  }
  if (!stringRecord(secrets)) throw new Error('the local runner\'s input: secrets must be an object of strings');
  if (secretsError !== undefined && typeof secretsError !== 'string') throw new Error('the local runner\'s input: secretsError must be a string');
  if (repositoryToken !== undefined && typeof repositoryToken !== 'string') throw new Error('the local runner\'s input: repositoryToken must be a string');
  if (!stringRecord(settings)) throw new Error('the local runner\'s input: settings must be an object of strings');
  return { dynamodb: { endpoint: dynamodb.endpoint, accessKeyId: dynamodb.accessKeyId }, secrets, secretsError, repositoryToken, settings };
}

function stringRecord(value: unknown): value is Record<string, string> {
  return isPlainObject(value) && Object.values(value).every(entry => typeof entry === 'string');
}

/** The builder's SecretSource: the secrets the runner handed over, and nothing else. */
export class GivenSecrets implements SecretSource {
  constructor(private readonly secrets: Readonly<Record<string, string>>, private readonly error?: string) {}

  async get(name: string): Promise<string> {
    if (this.error !== undefined) throw new Error(this.error);
    if (!Object.prototype.hasOwnProperty.call(this.secrets, name)) throw new NotFoundError(`secret ${name} does not exist`);
    return this.secrets[name];
  }
}
