import { InvokeCommand } from '@aws-sdk/client-lambda';
import { gitTokenForms } from './git';
import { LambdaInvoker } from './lambda-ingest';
import { Masker } from './masking';
import { ParameterEnv } from './params';
import { BUILD_INGEST_TOKEN, BUILD_PARAMETERS, BUILD_SETTINGS } from '../contract/build-environment';
import { maskCredentials } from '../runtime/core/credential-patterns';
import { errorMessage } from '../runtime/core/errors';
import { isPlainObject } from '../runtime/core/plain-object';

/**
 * With a GitHub App, the build clones with an installation token for exactly its repository
 * (`contents: read`, an hour at most), minted by trusted code: the builder never holds the App's
 * private key. In AWS the repository-token function mints it for the deployment whose ingest
 * token the builder holds; locally the runner mints it and hands it over on stdin.
 */
export interface RepositoryTokenSource {
  /** The token, or why there is none (said in the build log; no secret in it). */
  repositoryToken(): Promise<{ readonly token: string } | { readonly unavailable: string }>;
}

/** A token handed over by whoever started the builder (local mode's runner). */
export function givenRepositoryToken(token: string): RepositoryTokenSource {
  return { repositoryToken: async () => ({ token }) };
}

/**
 * The repository-token function the task definition names (BUILD_SETTINGS), asked with the
 * deployment's id and ingest token; undefined when there is none (no App: the GitHub token
 * secret is used, as before) or the launcher gave no ingest token.
 */
export function repositoryTokenFunction(env: ParameterEnv, lambda: LambdaInvoker): RepositoryTokenSource | undefined {
  const functionName = env[BUILD_SETTINGS.repositoryTokenFunction];
  const deploymentId = env[BUILD_PARAMETERS.deploymentId];
  const ingestToken = env[BUILD_INGEST_TOKEN];
  if (!functionName || !deploymentId || !ingestToken) return undefined;
  return {
    repositoryToken: async () => {
      try {
        const result = await lambda.send(new InvokeCommand({
          FunctionName: functionName,
          InvocationType: 'RequestResponse',
          Payload: Buffer.from(JSON.stringify({ deploymentId, ingestToken })),
        }));
        if (result.FunctionError) return { unavailable: `the repository-token function failed (${result.FunctionError})` };
        const answer: unknown = JSON.parse(Buffer.from(result.Payload ?? new Uint8Array()).toString('utf8') || 'null');
        if (isPlainObject(answer) && typeof answer.token === 'string' && answer.token !== '') return { token: answer.token };
        return { unavailable: 'the repository-token function refused (its log says why)' };
      } catch (error) {
        return { unavailable: `the repository-token function could not be asked: ${maskCredentials(errorMessage(error)).slice(0, 300)}` };
      }
    },
  };
}

/**
 * The token the clone (and the ancestry fetch) use: the App's installation token when there is
 * an App and it was minted, else the GitHub token secret, if any. Whichever is used is masked
 * before git runs; the log says which one it is, never its value.
 */
export async function cloneToken(source: RepositoryTokenSource | undefined, githubToken: string | undefined, masker: Masker,
  say: (line: string) => void): Promise<string | undefined> {
  if (!source) return githubToken;
  const minted = await source.repositoryToken();
  if ('token' in minted) {
    gitTokenForms(minted.token).forEach(form => masker.add(form));
    say('cloning with an installation token of the GitHub App for this repository only (contents: read)');
    return minted.token;
  }
  say(`no installation token: ${minted.unavailable}; cloning ${githubToken ? 'with the GitHub token secret' : 'without a token'}`);
  return githubToken;
}
