import { spawn } from 'child_process';
import { IncomingMessage, ServerResponse } from 'http';

/** What the stand-in tells git smart HTTP about its repositories and tokens. */
export interface GitHttpAccess {
  repositoryPath(fullName: string): string | undefined;
  /** An unexpired installation token whose repositories include `fullName`. */
  tokenCovers(token: string, fullName: string): boolean;
  isPublic(fullName: string): boolean;
}

/** `/<owner>/<repo>.git/<what git asks for>` */
const GIT_PATH = /^\/([^/]+)\/([^/]+?)\.git(\/.*)?$/;
/** The two requests of a clone or fetch (smart HTTP, upload-pack); nothing else is served. */
const UPLOAD_PACK = { refs: '/info/refs', pack: '/git-upload-pack' } as const;
const RECEIVE_PACK = 'git-receive-pack';
/** A clone's or fetch's request body (wants and haves) is small; more is not git. */
const MAX_REQUEST_BYTES = 16 * 1024 * 1024;
/** What git sends in `Git-Protocol` (`version=2`); anything else is not passed on. */
const GIT_PROTOCOL = /^[A-Za-z0-9=:._-]{1,100}$/;
/** CGI headers end at the first empty line. */
const HEADER_END = /\r?\n\r?\n/;

/**
 * Git smart HTTP for the stand-in's repositories, read-only: `git http-backend` (CGI, an
 * argument vector, no shell) serves upload-pack, what a clone or fetch asks for; pushes
 * (receive-pack) and the dumb protocol's files are refused. Credentials are GitHub's: HTTP
 * Basic with an installation token as the password (`x-access-token:<token>`, what the builder
 * sends). A public repository is served to anyone; a private one needs a token covering it:
 * without credentials 401 (git then says authentication failed), with a token that does not
 * cover it 404, as GitHub hides a private repository from whoever may not read it.
 */
export async function serveGitHttp(request: IncomingMessage, response: ServerResponse, access: GitHttpAccess): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://stand-in');
  const match = GIT_PATH.exec(url.pathname);
  const fullName = match ? `${decodeURIComponent(match[1])}/${decodeURIComponent(match[2])}` : '';
  const rest = match?.[3] ?? '';
  const service = url.searchParams.get('service');
  if (rest === `/${RECEIVE_PACK}` || service === RECEIVE_PACK) {
    return refuse(request, response, 403, 'pushes are not served: the stand-in hosts repositories read-only');
  }
  const upload = (request.method === 'GET' && rest === UPLOAD_PACK.refs && service === 'git-upload-pack')
    || (request.method === 'POST' && rest === UPLOAD_PACK.pack);
  if (!upload) return refuse(request, response, 404, 'only git smart HTTP (upload-pack) is served here');
  const path = access.repositoryPath(fullName);
  if (path === undefined) return refuse(request, response, 404, 'Repository not found.');
  if (!access.isPublic(fullName)) {
    const token = basicPassword(request.headers.authorization);
    if (token === undefined) {
      request.resume();
      response.writeHead(401, { 'content-type': 'text/plain; charset=utf-8', 'www-authenticate': 'Basic realm="GitHub"' });
      response.end('Authentication required.\n');
      return;
    }
    if (!access.tokenCovers(token, fullName)) return refuse(request, response, 404, 'Repository not found.');
  }
  await httpBackend(request, response, path, rest, url.search.slice(1));
}

/** The password of an HTTP Basic `Authorization` header (any user name, as GitHub takes tokens). */
function basicPassword(header: string | undefined): string | undefined {
  const encoded = /^basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '')?.[1];
  if (!encoded) return undefined;
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const password = colon < 0 ? '' : decoded.slice(colon + 1);
  return password === '' ? undefined : password;
}

function refuse(request: IncomingMessage, response: ServerResponse, status: number, message: string): void {
  request.resume();
  response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  response.end(`${message}\n`);
}

/**
 * One CGI request to `git http-backend` for the repository at `path` (its working tree or a
 * bare repository): the request body goes to its stdin, its headers (`Status:` among them) and
 * body come back. Its environment is the CGI variables and PATH: no credential reaches it.
 */
async function httpBackend(request: IncomingMessage, response: ServerResponse, path: string, pathInfo: string, query: string): Promise<void> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    GIT_PROJECT_ROOT: path,
    PATH_INFO: pathInfo,
    GIT_HTTP_EXPORT_ALL: '1',
    REQUEST_METHOD: request.method ?? 'GET',
    QUERY_STRING: query,
    CONTENT_TYPE: request.headers['content-type'] ?? '',
    REMOTE_ADDR: request.socket.remoteAddress ?? '',
    // GitHub lets a fetch ask for any commit reachable from a ref (the builder fetches one commit by its sha).
    GIT_CONFIG_COUNT: '1',
    GIT_CONFIG_KEY_0: 'uploadpack.allowReachableSHA1InWant',
    GIT_CONFIG_VALUE_0: 'true',
  };
  const encoding = request.headers['content-encoding'];
  if (encoding === 'gzip') env.HTTP_CONTENT_ENCODING = encoding;
  const protocol = request.headers['git-protocol'];
  if (typeof protocol === 'string' && GIT_PROTOCOL.test(protocol)) env.GIT_PROTOCOL = protocol;
  const child = spawn('git', ['http-backend'], { env, stdio: ['pipe', 'pipe', 'ignore'], shell: false });
  let received = 0;
  request.on('data', (chunk: Buffer) => {
    received += chunk.length;
    if (received > MAX_REQUEST_BYTES) {
      child.kill('SIGKILL');
      request.destroy();
    }
  });
  request.pipe(child.stdin);
  child.stdin.on('error', () => undefined);

  let head = Buffer.alloc(0);
  let started = false;
  child.stdout.on('data', (chunk: Buffer) => {
    if (started) {
      response.write(chunk);
      return;
    }
    head = Buffer.concat([head, chunk]);
    const text = head.toString('latin1');
    const end = HEADER_END.exec(text);
    if (!end) return;
    started = true;
    const { status, headers } = cgiHeaders(text.slice(0, end.index));
    response.writeHead(status, headers);
    response.write(head.subarray(end.index + end[0].length));
  });
  await new Promise<void>(resolve => {
    child.once('error', () => {
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
      response.end('git http-backend could not be started\n');
      resolve();
    });
    child.once('close', code => {
      if (!response.headersSent) {
        response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
        response.end(`git http-backend answered nothing (exit code ${code})\n`);
      } else {
        response.end();
      }
      resolve();
    });
  });
}

/** CGI response headers: `Status: 404 Not Found` is the status, the rest are passed on. */
function cgiHeaders(text: string): { status: number; headers: Record<string, string> } {
  let status = 200;
  const headers: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === 'status') status = Number.parseInt(value, 10) || 500;
    else headers[name] = value;
  }
  return { status, headers };
}
