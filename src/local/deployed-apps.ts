import { spawn } from 'child_process';
import { randomUUID } from 'crypto';
import { existsSync, realpathSync } from 'fs';
import { Socket } from 'net';
import { join, sep } from 'path';
import { environmentName } from '../runtime/core/names';

/**
 * What local mode "deploys" the sample app to, served like API Gateway would: a request to
 * `/apps/<stage>/<path>` runs `<deployed>/<stage>/src/handler.js` with an HTTP API (payload
 * v2) event and answers with its result. Each request runs the handler in a fresh `node`
 * process: a new deploy is picked up at once (nothing cached), and a handler that hangs,
 * crashes or exits cannot take the server with it. Only stages with a complete deploy (its
 * `version.json`) and a handler inside the deployed folder are run.
 */

export interface AppRequest {
  readonly method: string;
  /** The path after `/apps/<stage>`, starting with `/` (still percent-encoded, as `rawPath` is). */
  readonly path: string;
  /** The query string without `?`. */
  readonly query: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Buffer;
  readonly sourceIp?: string;
}

export interface AppResponse {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string | string[]>>;
  readonly body: Buffer;
}

/** Lambda's default timeout is 3 s; a local machine under load gets more. */
const TIMEOUT_MS = 10_000;
/** Lambda's response payload limit. */
const MAX_RESPONSE_BYTES = 6 * 1024 * 1024;
/** Handler output kept for server.log. */
const MAX_OUTPUT_CHARS = 4096;
const MAX_CONCURRENT = 8;
/** Response headers a handler may not set: the server frames the response itself. */
const FRAMING_HEADERS = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade']);
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
/**
 * The app shares the dashboard's origin (127.0.0.1:<port>): `sandbox` gives its pages an
 * origin of their own, so nothing it serves can read the dashboard's session.
 */
const APP_HEADERS = { 'content-security-policy': 'sandbox', 'x-content-type-options': 'nosniff', 'cache-control': 'no-store' };

/**
 * Runs in the child: reads `{ file, event, context }` on stdin, calls the handler, writes
 * `{ result }` or `{ error }` as JSON to fd 3 (stdout and stderr stay the app's own).
 */
const RUNNER = `
const { pathToFileURL } = require('url');
const { Socket } = require('net');
const chunks = [];
process.stdin.on('data', chunk => chunks.push(chunk)).on('end', async () => {
  const { file, event, context } = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  let answer;
  try {
    const loaded = await import(pathToFileURL(file).href);
    const handler = loaded.handler ?? loaded.default?.handler;
    if (typeof handler !== 'function') throw new Error('src/handler.js exports no handler function');
    const deadline = Date.now() + context.timeoutMs;
    const result = await handler(event, { ...context, getRemainingTimeInMillis: () => deadline - Date.now() });
    answer = { result: result === undefined ? null : result };
  } catch (error) {
    answer = { error: String((error && error.stack) || error) };
  }
  const out = new Socket({ fd: 3, readable: false, writable: true });
  out.end(JSON.stringify(answer), () => process.exit(0));
});
`;

export class DeployedApps {
  private running = 0;

  /** `root`: the folder stages are deployed into (the sample app's SAMPLE_DEPLOY_DIR). */
  constructor(private readonly root: string, private readonly log: (entry: Record<string, unknown>) => void) {}

  async invoke(stage: string, request: AppRequest): Promise<AppResponse> {
    const handler = this.handlerOf(stage);
    if (!handler) return message(404, environmentName(stage) ? 'Not Found: not a stage name' : `Not Found: nothing is deployed to stage ${stage}`);
    if (this.running >= MAX_CONCURRENT) return message(429, 'Too Many Requests');
    this.running++;
    const started = Date.now();
    try {
      const requestId = randomUUID();
      const answer = await run(handler, toEvent(stage, request, requestId), requestId);
      if (answer.output) this.log({ message: 'app output', stage, output: answer.output });
      const response = answer.error === undefined ? toResponse(answer.result) : message(answer.status ?? 500, answer.status === 504 ? 'Endpoint request timed out' : 'Internal Server Error');
      if (answer.error !== undefined) this.log({ message: 'app failed', stage, path: request.path, error: answer.error });
      this.log({ message: 'app request', stage, method: request.method, path: request.path.slice(0, 200), status: response.statusCode, ms: Date.now() - started });
      return response;
    } finally {
      this.running--;
    }
  }

  /** `<root>/<stage>/src/handler.js` of a complete deploy, resolved inside `root`; undefined otherwise. */
  private handlerOf(stage: string): { file: string; dir: string } | undefined {
    if (environmentName(stage) !== undefined) return undefined;
    const dir = join(this.root, stage);
    const file = join(dir, 'src', 'handler.js');
    if (!existsSync(join(dir, 'version.json')) || !existsSync(file)) return undefined;
    try {
      const root = realpathSync(this.root);
      return realpathSync(file).startsWith(root + sep) ? { file, dir } : undefined;
    } catch {
      return undefined; // removed while we looked
    }
  }
}

interface Answer {
  readonly result?: unknown;
  readonly error?: string;
  /** Set for the server's own failures: 504 on timeout. */
  readonly status?: number;
  readonly output?: string;
}

function run(handler: { file: string; dir: string }, event: Record<string, unknown>, requestId: string): Promise<Answer> {
  return new Promise(resolve => {
    const child = spawn(process.execPath, ['-e', RUNNER], {
      cwd: handler.dir,
      // Like a Lambda function's: nothing of the server's environment (its secrets and paths) but PATH.
      env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production' },
      stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
    });
    let output = '';
    const keep = (chunk: Buffer) => { if (output.length < MAX_OUTPUT_CHARS) output += chunk.toString('utf8').slice(0, MAX_OUTPUT_CHARS - output.length); };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    const chunks: Buffer[] = [];
    let size = 0;
    let failure: Answer | undefined;
    (child.stdio[3] as Socket).on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_RESPONSE_BYTES * 2) { // the JSON of a 6 MiB body, escaped, stays well under this
        failure ??= { error: `the response is larger than ${MAX_RESPONSE_BYTES} bytes` };
        child.kill('SIGKILL');
      } else {
        chunks.push(chunk);
      }
    });
    const timer = setTimeout(() => {
      failure ??= { error: `the handler did not answer within ${TIMEOUT_MS} ms`, status: 504 };
      child.kill('SIGKILL');
    }, TIMEOUT_MS);
    child.on('error', error => { failure ??= { error: error.message }; });
    child.on('close', code => {
      clearTimeout(timer);
      if (failure) return resolve({ ...failure, output });
      try {
        const answer = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Answer;
        resolve({ ...answer, output });
      } catch {
        resolve({ error: `the handler's process exited with code ${code} before answering`, output });
      }
    });
    child.stdin!.on('error', () => undefined); // it may exit before reading everything
    child.stdin!.end(JSON.stringify({ file: handler.file, event, context: { awsRequestId: requestId, timeoutMs: TIMEOUT_MS } }));
  });
}

/** An API Gateway HTTP API payload v2 event. */
function toEvent(stage: string, request: AppRequest, requestId: string): Record<string, unknown> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  }
  const query: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(request.query)) query[name] = name in query ? `${query[name]},${value}` : value;
  const text = request.body.length === 0 || isText(headers['content-type']);
  const now = new Date();
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: request.path,
    rawQueryString: request.query,
    cookies: headers.cookie?.split(/;\s*/).filter(Boolean),
    headers,
    queryStringParameters: Object.keys(query).length > 0 ? query : undefined,
    requestContext: {
      accountId: 'local',
      apiId: 'trellis-local',
      domainName: headers.host ?? '127.0.0.1',
      http: { method: request.method, path: request.path, protocol: 'HTTP/1.1', sourceIp: request.sourceIp ?? '127.0.0.1', userAgent: headers['user-agent'] ?? '' },
      requestId,
      routeKey: '$default',
      stage,
      time: now.toISOString(),
      timeEpoch: now.getTime(),
    },
    body: request.body.length === 0 ? undefined : request.body.toString(text ? 'utf8' : 'base64'),
    isBase64Encoded: !text,
  };
}

function isText(contentType: string | undefined): boolean {
  return contentType === undefined || /^(text\/|application\/(json|x-www-form-urlencoded|xml|javascript)\b)|\+(json|xml)\b/i.test(contentType);
}

/** A handler's result as API Gateway turns it into a response (a value without statusCode is a 200 JSON body). */
function toResponse(result: unknown): AppResponse {
  if (typeof result !== 'object' || result === null || typeof (result as { statusCode?: unknown }).statusCode !== 'number') {
    return respond(200, { 'content-type': 'application/json' }, Buffer.from(typeof result === 'string' ? result : JSON.stringify(result)));
  }
  const { statusCode, headers, body, isBase64Encoded, cookies } = result as Record<string, unknown>;
  if (!Number.isInteger(statusCode) || (statusCode as number) < 100 || (statusCode as number) > 599) return message(502, 'Internal Server Error');
  const kept: Record<string, string | string[]> = {};
  if (typeof headers === 'object' && headers !== null) {
    for (const [name, value] of Object.entries(headers)) {
      const text = String(value);
      if (HEADER_NAME.test(name) && HEADER_VALUE.test(text) && !FRAMING_HEADERS.has(name.toLowerCase())) kept[name.toLowerCase()] = text;
    }
  }
  if (Array.isArray(cookies)) kept['set-cookie'] = cookies.map(String).filter(cookie => HEADER_VALUE.test(cookie));
  const raw = typeof body === 'string' ? body : body === undefined || body === null ? '' : JSON.stringify(body);
  return respond(statusCode as number, kept, Buffer.from(raw, isBase64Encoded === true ? 'base64' : 'utf8'));
}

function message(statusCode: number, text: string): AppResponse {
  return respond(statusCode, { 'content-type': 'application/json' }, Buffer.from(JSON.stringify({ message: text })));
}

function respond(statusCode: number, headers: Record<string, string | string[]>, body: Buffer): AppResponse {
  return { statusCode, headers: { ...headers, ...APP_HEADERS }, body };
}
