import * as http from 'http';
import * as https from 'https';
import { performance } from 'perf_hooks';
import { BuildError } from './build-error';
import { WorkspaceFileError, readWorkspaceText, removeWorkspacePath } from './workspace-files';
import { BUILDER_EXIT } from '../runtime/core/builder-exit';
import { httpUrlProblem } from '../runtime/core/config-validation';
import { isPlainObject } from '../runtime/core/plain-object';
import { HealthCheckConfig } from '../runtime/core/types';

/**
 * The health phase: after a deploy, GET the app's URL until a status passes or the attempts
 * run out. The builder itself calls it, with no credentials and none of the app's environment.
 * Every failure here is `BUILDER_EXIT.unhealthy`: the deploy happened, the finalizer rolls back.
 */

/** How one attempt went: a status, or why there was none. */
interface Attempt {
  readonly status?: number;
  readonly error?: string;
}

const USER_AGENT = 'trellis-health-check';

/**
 * Before the deploy: an outputs file in the workspace must be the deploy's, not a committed one.
 * Under a directory that leads out of the workspace nothing is removed (see workspace-files.ts).
 */
export function forgetStackOutputs(workspace: string, outputsFile: string): void {
  removeWorkspacePath(workspace, outputsFile);
}

/** The URL to call: as configured, or the value of the stack output in the file the deploy wrote. */
export function healthCheckUrl(check: HealthCheckConfig, workspace: string, outputsFile: string): string {
  if (check.url !== undefined) return check.url;
  const name = check.stackOutput ?? '';
  const value = readStackOutput(workspace, outputsFile, name);
  const problem = httpUrlProblem(value);
  if (problem) throw unhealthy(`stack output '${name}' in ${outputsFile} is not a URL to call: ${problem}`);
  return value;
}

/**
 * `{ name: value }` (SST v3, `.trellis/outputs.json`) or `{ stack: { name: value } }` (CDK).
 * An output in several stacks must have one value. The file is the app's: read only as a
 * regular file inside the workspace, through no link (workspace-files.ts).
 */
function readStackOutput(workspace: string, shown: string, name: string): string {
  let outputs: unknown;
  try {
    outputs = JSON.parse(readWorkspaceText(workspace, shown));
  } catch (error) {
    const why = error instanceof SyntaxError ? `${shown} is not JSON`
      : !(error instanceof WorkspaceFileError) ? `${shown} could not be read (${(error as Error).message})`
        : error.missing ? `the deploy wrote no ${shown}` : error.message;
    throw unhealthy(`stack output '${name}' not found: ${why}`);
  }
  const found = new Map<string, string>();
  const look = (object: unknown, where: string) => {
    if (isPlainObject(object) && Object.prototype.hasOwnProperty.call(object, name) && typeof object[name] === 'string') found.set(where, object[name] as string);
  };
  look(outputs, '');
  if (isPlainObject(outputs)) for (const [stack, values] of Object.entries(outputs)) look(values, stack);
  const values = [...new Set(found.values())];
  if (values.length === 1) return values[0];
  if (values.length > 1) throw unhealthy(`stack output '${name}' has different values in ${[...found.keys()].join(', ')} (${shown})`);
  throw unhealthy(`stack output '${name}' not found in ${shown}`);
}

/**
 * Call `url` up to 1 + retries times, one log line per attempt; returns the phase detail when a
 * status passes, throws the unhealthy BuildError with the summary when none did.
 */
export async function checkHealth(url: string, check: HealthCheckConfig, log: (line: string) => void, signal?: AbortSignal): Promise<string> {
  const total = check.retries + 1;
  const attempts: Attempt[] = [];
  for (let number = 1; number <= total; number++) {
    if (number > 1) await pause(check.intervalSeconds * 1000, signal);
    if (signal?.aborted) throw new BuildError('stopped');
    const started = performance.now();
    const attempt = await get(url, check.timeoutSeconds, signal);
    const ms = Math.round(performance.now() - started);
    if (signal?.aborted) throw new BuildError('stopped');
    attempts.push(attempt);
    log(`health: GET ${url} → ${attempt.status ?? `no answer: ${attempt.error}`}${attempt.status === undefined ? '' : ` in ${ms} ms`} (attempt ${number} of ${total})`);
    if (attempt.status !== undefined && attempt.status >= check.minStatus && attempt.status <= check.maxStatus) {
      return `GET ${url} answered ${attempt.status} (attempt ${number} of ${total})`;
    }
  }
  throw unhealthy(summary(url, check, attempts));
}

/** `GET <url> answered 500 on 4 attempts, expected 200–399`, or what did not answer and why. */
function summary(url: string, check: HealthCheckConfig, attempts: readonly Attempt[]): string {
  const times = (count: number) => `${count} attempt${count === 1 ? '' : 's'}`;
  const statuses = [...new Set(attempts.flatMap(attempt => attempt.status ?? []))];
  const silent = attempts.filter(attempt => attempt.status === undefined);
  const expected = `expected ${check.minStatus}–${check.maxStatus}`;
  if (silent.length === 0) return `GET ${url} answered ${statuses.join(', ')} on ${times(attempts.length)}, ${expected}`;
  const lastError = silent[silent.length - 1].error;
  if (statuses.length === 0) return `GET ${url}: no answer on ${times(attempts.length)}: ${lastError}`;
  const answered = attempts.length - silent.length;
  return `GET ${url} answered ${statuses.join(', ')} on ${times(answered)} and no answer on ${silent.length} (${lastError}), ${expected}`;
}

/** One GET; resolves with the status as soon as the response starts (redirects are not followed). */
function get(url: string, timeoutSeconds: number, signal?: AbortSignal): Promise<Attempt> {
  return new Promise(resolve => {
    let done = false;
    const finish = (attempt: Attempt) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      request?.destroy();
      resolve(attempt);
    };
    let request: http.ClientRequest | undefined;
    const timer = setTimeout(() => finish({ error: `timed out after ${timeoutSeconds} s` }), timeoutSeconds * 1000);
    try {
      const client = new URL(url).protocol === 'https:' ? https : http;
      request = client.get(url, { agent: false, headers: { 'user-agent': USER_AGENT, 'accept': '*/*' }, signal }, response => {
        response.on('error', () => undefined); // the body is not read: destroying the request ends it
        finish({ status: response.statusCode });
      });
      request.on('error', error => finish({ error: describeError(error) }));
    } catch (error) {
      finish({ error: describeError(error) });
    }
  });
}

/** Node's connection errors; a failed connect to several addresses is an AggregateError without a message. */
function describeError(error: unknown): string {
  const inner = (error as { errors?: unknown[] }).errors;
  if (Array.isArray(inner) && inner.length > 0) return [...new Set(inner.map(describeError))].join('; ');
  if (error instanceof Error) return error.message || (error as NodeJS.ErrnoException).code || error.name;
  return String(error);
}

function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise(resolve => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

function unhealthy(message: string): BuildError {
  return new BuildError(message, BUILDER_EXIT.unhealthy);
}
