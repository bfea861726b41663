import { createServer, IncomingMessage, Server, ServerResponse } from 'http';
import { AddressInfo } from 'net';
import { DeployedApps } from './deployed-apps';
import { localDashboardAuth } from './local-github-sign-in';
import { LocalIdentity } from './local-identity';
import { LocalSocketServer } from './socket-server';
import { serveStatic } from './static-files';
import { ApiDeps, handleApiRequest } from '../runtime/api/control-api';
import { ApiTokenAuthenticator } from '../runtime/auth/api-token-authenticator';
import { callerOfRequest } from '../runtime/auth/bearer-credential';
import { DashboardConfig } from '../runtime/core/api-types';
import { contentSecurityPolicy } from '../runtime/core/content-security-policy';
import { errorMessage } from '../runtime/core/errors';
import { HttpResponse, errorResponse, json, rejection } from '../runtime/core/http';
import { Clock, LogIngestResult, Store, systemClock } from '../runtime/core/ports';
import { ingestLogs } from '../runtime/logs/ingest-logs';
import { MAX_BODY_BYTES as MAX_WEBHOOK_BYTES, WebhookDependencies, handleWebhook } from '../runtime/webhook/webhook-handler';

/** Request bodies above this are refused (the API takes small JSON documents). */
const MAX_BODY_BYTES = 1024 * 1024;
const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
};

export interface DashboardServerOptions {
  readonly store: Store;
  readonly identity: LocalIdentity;
  /** The control API's collaborators other than the store, clock and log. */
  readonly api: Omit<ApiDeps, 'store' | 'clock' | 'log'>;
  /** GitHub-shaped pushes on POST /webhook (the webhook function's handler). @default no webhook route */
  readonly webhook?: Pick<WebhookDependencies, 'secrets' | 'queue'>;
  /** Where the sample app's stages are deployed: served on `/apps/<stage>/...` (DeployedApps). @default no app route */
  readonly deployedApps?: string;
  /** The built SPA (assets/dashboard). */
  readonly staticDir: string;
  /** @default 127.0.0.1 */
  readonly host?: string;
  /** @default 0 (any free port) */
  readonly port?: number;
  /** Days stored log lines live. @default 30 */
  readonly logRetentionDays?: number;
  readonly clock?: Clock;
  readonly log: (entry: Record<string, unknown>) => void;
}

export interface DashboardServer {
  readonly url: string;
  readonly webSocketUrl: string;
  readonly server: Server;
  readonly live: LocalSocketServer;
  /** The local log path: build records → store → live subscribers (what the ingest function does in AWS). */
  ingest(deploymentId: string, records: readonly unknown[]): Promise<LogIngestResult>;
  close(): Promise<void>;
}

/**
 * Local mode's one server on 127.0.0.1: the dashboard, its config.json, a local sign-in, the
 * control API and the live-log WebSocket, over the same handlers and core as in AWS.
 */
export async function startDashboardServer(options: DashboardServerOptions): Promise<DashboardServer> {
  const clock = options.clock ?? systemClock;
  const { store, identity, log } = options;
  // API tokens (`trellis_...`) and the local identity's JWTs, on the API and the socket alike.
  const authenticator = new ApiTokenAuthenticator(store.apiTokens, identity.authenticator, clock, log);
  const live = new LocalSocketServer({ store, authenticator, clock, log });
  /** Its own URLs join once the port is known. */
  let apiDeps: ApiDeps = { ...options.api, store, clock, log } as ApiDeps;
  let config: DashboardConfig | undefined;
  /** The pages' CSP (the one CloudFront sends, for this server's origins), known once the port is. */
  let pagePolicy = '';
  const apps = options.deployedApps === undefined ? undefined : new DeployedApps(options.deployedApps, log);

  const server = createServer((request, response) => {
    handle(request, response).catch(error => {
      log({ message: 'request failed', path: request.url, error: errorMessage(error) });
      if (!response.headersSent) send(response, errorResponse(error));
      else response.destroy();
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const method = request.method ?? 'GET';
    if (url.pathname === '/config.json') return send(response, json(200, config));
    if (url.pathname === '/webhook' && options.webhook) {
      if (method !== 'POST') return send(response, rejection(405, 'method_not_allowed', 'GitHub webhooks are POSTed'));
      const body = await readBody(request, MAX_WEBHOOK_BYTES);
      if (body === undefined) return send(response, rejection(413, 'payload_too_large', `webhook bodies are limited to ${MAX_WEBHOOK_BYTES} bytes`));
      const headers = Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name, String(value)]));
      return send(response, await handleWebhook({ headers, body }, { ...options.webhook, store, clock, log }));
    }
    const app = apps && /^\/apps\/([^/]+)(\/.*)?$/.exec(url.pathname);
    if (app) {
      // No sign-in: it stands for a public API Gateway endpoint (and the health check calls it).
      const body = await readBody(request);
      if (body === undefined) return send(response, rejection(413, 'too_large', `bodies are limited to ${MAX_BODY_BYTES} bytes`));
      const answer = await apps!.invoke(app[1], {
        method, path: app[2] ?? '/', query: url.search.slice(1), headers: request.headers, body, sourceIp: request.socket.remoteAddress,
      });
      response.writeHead(answer.statusCode, answer.headers);
      response.end(answer.body);
      return;
    }
    if (url.pathname === '/auth/local/sign-in') {
      if (method !== 'POST') return send(response, rejection(405, 'method_not_allowed', 'use POST'));
      const body = (await readBody(request))?.toString('utf8');
      if (body === undefined) return send(response, rejection(413, 'too_large', `bodies are limited to ${MAX_BODY_BYTES} bytes`));
      let credentials: { user?: unknown; password?: unknown } = {};
      try {
        credentials = JSON.parse(body);
      } catch {
        return send(response, rejection(400, 'invalid_input', 'the body must be JSON: { "user": ..., "password": ... }'));
      }
      return send(response, json(200, { token: identity.signIn(credentials?.user, credentials?.password) }));
    }
    // /github/...: GitHub sends the browser back there (the control API's public routes).
    if (url.pathname === '/api' || url.pathname.startsWith('/api/') || url.pathname.startsWith('/github/') || url.pathname.startsWith('/auth/github/')) {
      const body = (await readBody(request))?.toString('utf8');
      if (body === undefined) return send(response, rejection(413, 'too_large', `bodies are limited to ${MAX_BODY_BYTES} bytes`));
      const result = await handleApiRequest({
        method,
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        body,
        ...await callerOfRequest(authenticator, request.headers.authorization),
      }, apiDeps);
      return send(response, result);
    }
    if (method !== 'GET' && method !== 'HEAD') return send(response, rejection(405, 'method_not_allowed', 'the dashboard is read with GET'));
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) response.setHeader(name, value);
    response.setHeader('content-security-policy', pagePolicy);
    return serveStatic(options.staticDir, url.pathname, response);
  }

  live.attach(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const url = `http://${options.host ?? '127.0.0.1'}:${address.port}`;
  const webSocketUrl = `ws://${options.host ?? '127.0.0.1'}:${address.port}/live`;
  config = { apiUrl: url, webSocketUrl, auth: localDashboardAuth(identity, options.api, url) };
  apiDeps = { ...apiDeps, urls: { api: url, dashboard: url, webhook: `${url}/webhook` } };
  // The API and the socket by their exact origins too, as config.json names them: 'self' matches
  // ws: only in CSP Level 3 browsers. No upgrade-insecure-requests: the page is http.
  // The setup page posts the GitHub App's manifest to the GitHub stand-in's (or GitHub's) web origin.
  const formAction = options.api.github ? [new URL(options.api.github.endpoints.webUrl).origin] : [];
  pagePolicy = contentSecurityPolicy({ connect: [url, new URL(webSocketUrl).origin], formAction, upgradeInsecureRequests: false });
  const ingestDeps = { store, sink: live, clock, retentionDays: options.logRetentionDays ?? 30, log };

  return {
    url,
    webSocketUrl,
    server,
    live,
    ingest: (deploymentId, records) => ingestLogs(deploymentId, records, ingestDeps),
    close: async () => {
      live.close();
      server.closeAllConnections();
      await new Promise<void>(resolve => server.close(() => resolve()));
    },
  };
}

function send(response: ServerResponse, result: HttpResponse): void {
  response.writeHead(result.statusCode, { ...SECURITY_HEADERS, ...result.headers });
  response.end(result.body);
}

/** The raw body, or undefined when it is larger than `limit`. */
export async function readBody(request: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > limit) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
