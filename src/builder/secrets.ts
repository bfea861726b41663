import { BuildError } from './build-error';
import { secretNames } from '../contract/secret-names';
import { BUILDER_EXIT } from '../runtime/core/builder-exit';
import { NotFoundError } from '../runtime/core/errors';
import * as names from '../runtime/core/names';
import { SecretSource } from '../runtime/core/ports';

export interface BuildSecrets {
  /** GitHub token for the clone; absent for a public repository. */
  readonly githubToken?: string;
  /** The environment's secrets, passed to the app as environment variables. */
  readonly variables: Readonly<Record<string, string>>;
}

/**
 * Fetch the build's secrets at run time; both are optional. Values never appear in errors.
 * `environment` is the one whose secret is read: undefined reads no secret at all (a fork's
 * preview, whose build role may read none: its clone uses the GitHub App's token, or none).
 */
export async function loadSecrets(
  source: SecretSource, installation: string, application: string, environment: string | undefined,
): Promise<BuildSecrets> {
  if (environment === undefined) return { variables: {} };
  const tokenName = secretNames.githubToken(installation);
  const envName = secretNames.environment(installation, application, environment);
  const [githubToken, raw] = await Promise.all([optional(source, tokenName), optional(source, envName)]);
  return { githubToken: githubToken || undefined, variables: raw === undefined ? {} : parseVariables(envName, raw) };
}

async function optional(source: SecretSource, name: string): Promise<string | undefined> {
  try {
    return await source.get(name);
  } catch (error) {
    if (error instanceof NotFoundError) return undefined;
    throw error;
  }
}

function parseVariables(secretName: string, raw: string): Record<string, string> {
  const invalid = (why: string) => new BuildError(`secret ${secretName} ${why}`, BUILDER_EXIT.invalid);
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw invalid('is not JSON; it must be an object of NAME: "value" pairs');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid('must be a JSON object of NAME: "value" pairs');
  const result: Record<string, string> = {};
  for (const [name, entry] of Object.entries(value)) {
    const problem = names.variableName(name)
      ?? (name.startsWith('TRELLIS_') || name.startsWith('AWS_') ? `'${names.printable(name)}' starts with TRELLIS_ or AWS_, which are reserved for the builder` : undefined);
    if (problem) throw invalid(`has an invalid name: ${problem}`);
    if (typeof entry !== 'string') throw invalid(`has a value for '${name}' that is not a string`);
    result[name] = entry;
  }
  return result;
}
