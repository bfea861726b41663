import { createHash, randomBytes } from 'crypto';
import { createReadStream, existsSync, statSync } from 'fs';
import { IncomingMessage, Server, ServerResponse, createServer } from 'http';
import { AddressInfo } from 'net';
import { extname, join, resolve, sep } from 'path';
import { WebSocket, WebSocketServer } from 'ws';
import { ApplicationView, DashboardConfig, EnvironmentView, NotificationFailureView } from '../../../src/runtime/core/api-types';
import { logMessages } from '../../../src/runtime/core/live-messages';
import { phaseUpdates } from '../../../src/runtime/core/log-phases';
import { formatPhaseMarker, BuildPhase } from '../../../src/runtime/core/phase-markers';
import { Deployment, DeploymentAction, EnvironmentKind, LogRecord, LogStream, PhaseRecord, Trigger } from '../../../src/runtime/core/types';

/**
 * A stand-in for local mode's dashboard server, on the same contract (core/api-types and
 * core/live-messages): static files, config.json, local sign-in, the control API over an
 * in-memory state, and the live log WebSocket. Builds are simulated: queued → running with
 * phase markers and log lines → succeeded. Used where the test needs control the real
 * server does not give (dropping sockets, a 100k-line log in a second).
 */

interface FakeEnv {
  name: string;
  kind: EnvironmentKind;
  branch?: string;
  autoDeploy: boolean;
  protected: boolean;
  runTests: boolean;
  testCommand: string[];
  variables: Record<string, string>;
  secrets: Set<string>;
  sources: { -readonly [K in keyof EnvironmentView['sources']]: EnvironmentView['sources'][K] };
  currentCommit?: string;
  currentDeploymentId?: string;
}

interface FakeApp {
  name: string;
  repository: string;
  envs: FakeEnv[];
}

export interface FakeUser {
  readonly name: string;
  readonly password: string;
  readonly role: 'viewer' | 'deployer' | 'admin';
}

export interface FakeOptions {
  readonly staticDir: string;
  /** Log lines each simulated build writes (besides phase markers). @default 40 */
  readonly linesPerBuild?: number;
  /** Pause between simulated log lines. @default 15 */
  readonly lineMs?: number;
  /** Time a deployment stays queued. @default 300 */
  readonly queuedMs?: number;
  /** `oidc`: config.json names this server's own authorization code + PKCE endpoints (user ada). @default local */
  readonly auth?: 'local' | 'oidc';
}

export interface FakeControlPlane {
  readonly url: string;
  readonly config: DashboardConfig;
  /** A new commit on a branch (what a push does); returns its sha. */
  push(branch: string, message?: string): string;
  /** A finished deployment with `lines` log lines, for big-log tests. */
  seedDeployment(app: string, env: string, lines: number): Deployment;
  /** More lines on a deployment's log, sent live to subscribers. */
  appendLines(id: string, count: number, text?: (seq: number) => string): void;
  /** Cut every live connection, as a network loss does. */
  dropSockets(): number;
  /** Refuse new live connections while true (the network is "down"). */
  setOffline(offline: boolean): void;
  deployment(id: string): Deployment | undefined;
  logOf(id: string): readonly LogRecord[];
  /** What GET /api/apps/{app}/notifications/failures answers for `app` (none until set). */
  setNotificationFailures(app: string, items: NotificationFailureView[]): void;
  close(): Promise<void>;
}

const BACKLOG_PAGE = 2000;
const OIDC_CLIENT = 'trellis-dashboard-test';
const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8' };

export async function startFakeControlPlane(options: FakeOptions): Promise<FakeControlPlane> {
  const linesPerBuild = options.linesPerBuild ?? 40;
  const lineMs = options.lineMs ?? 15;
  const queuedMs = options.queuedMs ?? 300;
  const users: FakeUser[] = [
    { name: 'ada', password: 'ada-secret', role: 'admin' },
    { name: 'vic', password: 'vic-secret', role: 'viewer' },
  ];
  const tokens = new Map<string, FakeUser>();
  const codes = new Map<string, { challenge: string; redirectUri: string }>();
  const heads = new Map<string, { sha: string; message: string }>();
  const apps = new Map<string, FakeApp>();
  const notificationFailures = new Map<string, NotificationFailureView[]>();
  const deployments = new Map<string, Deployment>();
  const logs = new Map<string, LogRecord[]>();
  const subscribers = new Map<string, Set<WebSocket>>();
  const timers = new Set<NodeJS.Timeout>();
  let offline = false;
  let clockTick = 0;

  const push = (branch: string, message = `Change ${heads.size + 1} on ${branch}`) => {
    const sha = randomBytes(20).toString('hex');
    heads.set(branch, { sha, message });
    return sha;
  };
  push('main', 'Initial commit');

  const env = (name: string, kind: EnvironmentKind, extra: Partial<FakeEnv> = {}): FakeEnv => ({
    name,
    kind,
    autoDeploy: false,
    protected: false,
    runTests: true,
    testCommand: ['npm', 'test'],
    variables: { LOG_LEVEL: 'info' },
    secrets: new Set(['API_KEY']),
    sources: { branch: 'code', runTests: 'code', testCommand: 'code', variables: 'code' },
    ...extra,
  });
  apps.set('shop', {
    name: 'shop',
    repository: 'acme/shop',
    envs: [env('dev', 'development', { branch: 'main', autoDeploy: true }), env('staging', 'staging'), env('production', 'production', { protected: true })],
  });
  apps.set('blog', { name: 'blog', repository: 'acme/blog', envs: [env('dev', 'development', { branch: 'main' }), env('production', 'production')] });

  const later = (ms: number, run: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      run();
    }, ms);
    timers.add(timer);
  };

  const newId = () => {
    const stamp = new Date(Date.now() + clockTick++).toISOString().replace(/[-:.]/g, '');
    return `${stamp}-${randomBytes(4).toString('hex')}`;
  };

  const emit = (id: string, records: LogRecord[]) => {
    logs.get(id)!.push(...records);
    const phases = phaseUpdates(records);
    if (phases.length > 0) {
      const current = deployments.get(id)!;
      const byName = new Map<string, PhaseRecord>((current.phases ?? []).map(phase => [phase.phase, phase]));
      for (const phase of phases) byName.set(phase.phase, phase);
      update(id, { phases: [...byName.values()] });
    }
    for (const socket of subscribers.get(id) ?? []) {
      for (const message of logMessages(id, records)) socket.send(JSON.stringify(message));
    }
  };

  const update = (id: string, change: Partial<Deployment>) => {
    const current = deployments.get(id)!;
    deployments.set(id, { ...current, ...change, updatedAt: new Date().toISOString() });
  };

  /** The simulated builder: phases with a few lines each, stderr now and then. */
  const run = (id: string) => {
    const deployment = deployments.get(id)!;
    if (deployment.status !== 'queued') return;
    update(id, { status: 'running', startedAt: new Date().toISOString() });
    // A rollback deploys the stored artifact; a promotion to another stage rebuilds (as the builder decides).
    const phases: BuildPhase[] = deployment.action === 'teardown' ? ['prepare', 'remove']
      : deployment.action === 'rollback' ? ['prepare', 'fetch-artifact', 'deploy']
        : deployment.action === 'promote' ? ['prepare', 'fetch-artifact', 'install', 'test', 'deploy'] : ['prepare', 'install', 'test', 'deploy'];
    const fetched = deployment.action === 'rollback'
      ? { outcome: 'succeeded' as const, detail: `from artifact ${deployment.trigger.sourceDeploymentId} (cdk, 0.2 MB from s3://artifacts)` }
      : { outcome: 'skipped' as const, detail: 'rebuild: target differs: built for stage dev in dev, this deploys stage staging in staging' };
    const script: Array<{ stream: LogStream; text: () => string }> = [];
    const perPhase = Math.max(1, Math.floor(linesPerBuild / phases.length));
    let startedAt = 0;
    for (const phase of phases) {
      script.push({ stream: 'system', text: () => { startedAt = Date.now(); return formatPhaseMarker({ phase, event: 'start', at: new Date().toISOString() }); } });
      for (let line = 0; line < perPhase; line++) {
        const stream: LogStream = line % 9 === 4 ? 'stderr' : 'stdout';
        script.push({ stream, text: () => `${phase} step ${line + 1} of ${perPhase} for ${deployment.commit.slice(0, 7)}${stream === 'stderr' ? ' warning: something to look at' : ''}` });
      }
      const end = phase === 'fetch-artifact' ? fetched : { outcome: 'succeeded' as const };
      script.push({ stream: 'system', text: () => formatPhaseMarker({ phase, event: 'end', at: new Date().toISOString(), ...end, durationMs: Date.now() - startedAt }) });
    }
    let seq = 0;
    const step = () => {
      const current = deployments.get(id)!;
      if (current.status !== 'running') return;
      if (seq < script.length) {
        const entry = script[seq];
        emit(id, [{ seq, at: new Date().toISOString(), stream: entry.stream, text: entry.text() }]);
        seq++;
        later(lineMs, step);
        return;
      }
      finish(id);
    };
    later(lineMs, step);
  };

  const finish = (id: string) => {
    const deployment = deployments.get(id)!;
    update(id, { status: 'succeeded', finishedAt: new Date().toISOString() });
    const target = findEnv(deployment.application, deployment.environment)!;
    if (deployment.action === 'teardown') {
      target.currentCommit = undefined;
      target.currentDeploymentId = undefined;
    } else {
      target.currentCommit = deployment.commit;
      target.currentDeploymentId = id;
    }
  };

  const schedule = (app: FakeApp, target: FakeEnv, action: DeploymentAction, commit: string, trigger: Trigger, message?: string): Deployment => {
    const id = newId();
    const now = new Date().toISOString();
    const deployment: Deployment = {
      id,
      application: app.name,
      environment: target.name,
      action,
      commit,
      branch: target.branch ?? 'main',
      repository: app.repository,
      commitMessage: message,
      author: 'ada',
      trigger,
      status: 'queued',
      createdAt: now,
      updatedAt: now,
      phases: [],
    };
    deployments.set(id, deployment);
    logs.set(id, []);
    later(queuedMs, () => run(id));
    return deployment;
  };

  const findEnv = (appName: string, envName: string) => apps.get(appName)?.envs.find(candidate => candidate.name === envName);

  const lastOf = (appName: string, envName: string) => [...deployments.values()]
    .filter(d => d.application === appName && d.environment === envName)
    .sort((a, b) => (a.id < b.id ? 1 : -1))[0];

  const view = (app: FakeApp, user: FakeUser): ApplicationView => ({
    name: app.name,
    repository: app.repository,
    origin: 'code',
    environments: app.envs.map((e, position) => {
      const mayAct = user.role === 'admin' || (user.role === 'deployer' && !e.protected);
      const next = app.envs[position + 1];
      return {
        name: e.name,
        kind: e.kind,
        position,
        branch: e.branch,
        autoDeploy: e.autoDeploy,
        protected: e.protected,
        runTests: e.runTests,
        testCommand: e.testCommand,
        variables: e.variables,
        secrets: [...e.secrets].map(name => ({ name, set: true as const })),
        sources: e.sources,
        currentCommit: e.currentCommit,
        currentDeploymentId: e.currentDeploymentId,
        lastDeployment: lastOf(app.name, e.name),
        allowed: {
          deploy: mayAct && e.branch !== undefined,
          promote: next !== undefined && (user.role === 'admin' || (user.role === 'deployer' && !next.protected)),
          rollback: mayAct,
          teardown: mayAct,
          settings: user.role === 'admin',
        },
      };
    }),
  });

  // --- HTTP ---------------------------------------------------------------------------

  const server: Server = createServer((request, response) => {
    handle(request, response).catch(error => {
      if (!response.headersSent) sendJson(response, 500, { error: 'internal_error', reason: String(error) });
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const method = request.method ?? 'GET';
    const body = method === 'GET' ? undefined : await readBody(request);
    if (url.pathname === '/config.json') return sendJson(response, 200, config);
    if (url.pathname.startsWith('/oauth2/') || url.pathname === '/logout') return oidc(url, method, body ?? '', response);
    if (url.pathname === '/auth/local/sign-in' && method === 'POST') {
      const { user, password } = JSON.parse(body || '{}');
      const found = users.find(candidate => candidate.name === user && candidate.password === password);
      if (!found) return sendJson(response, 401, { error: 'unauthorized', reason: 'unknown user or wrong password' });
      const token = randomBytes(16).toString('hex');
      tokens.set(token, found);
      return sendJson(response, 200, { token });
    }
    if (url.pathname.startsWith('/api/')) {
      const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
      const user = token ? tokens.get(token) : undefined;
      if (!user) return sendJson(response, 401, { error: 'unauthorized', reason: 'sign in: this API needs a bearer token' });
      const [status, payload] = api(method, url, body ? JSON.parse(body) : undefined, user);
      return sendJson(response, status, payload);
    }
    return serveFile(url.pathname, response);
  }

  function api(method: string, url: URL, body: any, user: FakeUser): [number, unknown] {
    const parts = url.pathname.split('/').slice(2).map(decodeURIComponent);
    const route = `${method} /${parts.map((part, index) => (index % 2 === 1 ? ':' : part)).join('/')}`;
    const reject = (status: number, error: string, reason: string): [number, unknown] => [status, { error, reason }];
    if (route === 'GET /me') return [200, { subject: `local:${user.name}`, name: user.name, grants: [{ application: '*', role: user.role }] }];
    if (route === 'GET /apps') return [200, { items: [...apps.values()].map(app => view(app, user)) }];
    if (parts[0] === 'apps') {
      const app = apps.get(parts[1]);
      if (!app) return reject(404, 'not_found', `application ${parts[1]} does not exist`);
      if (route === 'GET /apps/:') return [200, view(app, user)];
      if (route === 'GET /apps/:/notifications/:' && parts[3] === 'failures') return [200, { items: notificationFailures.get(app.name) ?? [] }];
      const target = app.envs.find(candidate => candidate.name === parts[3]);
      if (!target) return reject(404, 'not_found', `${app.name}/${parts[3]} does not exist`);
      const position = app.envs.indexOf(target);
      const mayAct = user.role === 'admin' || (user.role === 'deployer' && !target.protected);
      if (route === 'GET /apps/:/environments/:/deployments') {
        const all = [...deployments.values()]
          .filter(d => d.application === app.name && d.environment === target.name)
          .sort((a, b) => (a.id < b.id ? 1 : -1));
        const limit = Number(url.searchParams.get('limit') ?? 20);
        const start = Number(url.searchParams.get('cursor') ?? 0);
        const items = all.slice(start, start + limit);
        return [200, { items, cursor: start + limit < all.length ? String(start + limit) : undefined }];
      }
      if (method === 'POST' && !mayAct && parts[4] !== 'promote') return reject(403, 'forbidden', `${parts[4]} in ${app.name}/${target.name} needs the ${target.protected ? 'admin' : 'deployer'} role`);
      if (route === 'POST /apps/:/environments/:/deploy') {
        if (!target.branch) return reject(400, 'invalid_input', `branch: ${app.name}/${target.name} tracks no branch`);
        const head = heads.get(target.branch)!;
        return [202, schedule(app, target, 'deploy', head.sha, { kind: 'manual', actor: user.name }, head.message)];
      }
      if (route === 'POST /apps/:/environments/:/promote') {
        const next = app.envs[position + 1];
        if (!next) return reject(409, 'conflict', `${app.name}/${target.name} is the last environment: there is nothing to promote to`);
        if (!target.currentCommit) return reject(409, 'conflict', `${app.name}/${target.name} has no deployed version to promote yet`);
        const source = deployments.get(target.currentDeploymentId!);
        return [202, schedule(app, next, 'promote', target.currentCommit, { kind: 'promotion', actor: user.name, sourceDeploymentId: target.currentDeploymentId }, source?.commitMessage)];
      }
      if (route === 'POST /apps/:/environments/:/rollback') {
        const source = deployments.get(body?.deploymentId);
        if (!source || source.status !== 'succeeded' || source.environment !== target.name) return reject(400, 'invalid_input', 'deploymentId: is not a succeeded deployment of this environment');
        return [202, schedule(app, target, 'rollback', source.commit, { kind: 'rollback', actor: user.name, sourceDeploymentId: source.id }, source.commitMessage)];
      }
      if (route === 'POST /apps/:/environments/:/teardown') {
        if (body?.confirm !== target.name) return reject(400, 'invalid_input', `confirm: type "${target.name}" to tear it down`);
        return [202, schedule(app, target, 'teardown', target.currentCommit ?? heads.get('main')!.sha, { kind: 'manual', actor: user.name })];
      }
      if (route === 'PUT /apps/:/environments/:/settings') {
        if (user.role !== 'admin') return reject(403, 'forbidden', 'changing settings needs the admin role');
        if (body.branch !== undefined) {
          target.branch = body.branch ?? undefined;
          target.sources.branch = body.branch === null ? 'code' : 'dashboard';
        }
        if (body.runTests !== undefined) {
          target.runTests = body.runTests ?? true;
          target.sources.runTests = body.runTests === null ? 'code' : 'dashboard';
        }
        if (body.testCommand !== undefined) {
          target.testCommand = body.testCommand ?? ['npm', 'test'];
          target.sources.testCommand = body.testCommand === null ? 'code' : 'dashboard';
        }
        for (const [name, value] of Object.entries(body.variables ?? {})) {
          if (value === null) delete target.variables[name];
          else target.variables[name] = value as string;
          target.sources.variables = 'dashboard';
        }
        for (const [name, value] of Object.entries(body.secrets ?? {})) {
          if (value === null) target.secrets.delete(name);
          else target.secrets.add(name);
        }
        return [200, view(app, user).environments[position]];
      }
    }
    if (parts[0] === 'deployments') {
      const deployment = deployments.get(parts[1]);
      if (!deployment) return reject(404, 'not_found', `deployment ${parts[1]} does not exist`);
      if (route === 'GET /deployments/:') return [200, deployment];
      if (route === 'POST /deployments/:/cancel') {
        update(deployment.id, { status: 'cancelled', finishedAt: new Date().toISOString(), reason: `cancelled by ${user.name}` });
        return [200, deployments.get(deployment.id)];
      }
    }
    return reject(404, 'not_found', `no route ${method} ${url.pathname}`);
  }

  /** A tiny identity provider: authorization code with PKCE (S256), one user (ada). */
  function oidc(url: URL, method: string, body: string, response: ServerResponse) {
    const redirect = (to: string) => {
      response.writeHead(302, { location: to });
      response.end();
    };
    if (url.pathname === '/oauth2/authorize' && method === 'GET') {
      const query = url.searchParams;
      if (query.get('response_type') !== 'code' || query.get('client_id') !== OIDC_CLIENT || query.get('code_challenge_method') !== 'S256' || !query.get('code_challenge')) {
        return sendJson(response, 400, { error: 'invalid_request', reason: 'authorization code flow with S256 PKCE expected' });
      }
      const code = randomBytes(12).toString('hex');
      codes.set(code, { challenge: query.get('code_challenge')!, redirectUri: query.get('redirect_uri')! });
      return redirect(`${query.get('redirect_uri')}?code=${code}&state=${encodeURIComponent(query.get('state') ?? '')}`);
    }
    if (url.pathname === '/oauth2/token' && method === 'POST') {
      const form = new URLSearchParams(body);
      const grant = codes.get(form.get('code') ?? '');
      codes.delete(form.get('code') ?? '');
      const verified = grant !== undefined
        && form.get('grant_type') === 'authorization_code'
        && form.get('client_id') === OIDC_CLIENT
        && form.get('redirect_uri') === grant.redirectUri
        && createHash('sha256').update(form.get('code_verifier') ?? '').digest('base64url') === grant.challenge;
      if (!verified) return sendJson(response, 400, { error: 'invalid_grant', reason: 'code, verifier or redirect_uri do not match' });
      const token = randomBytes(16).toString('hex');
      tokens.set(token, users[0]);
      return sendJson(response, 200, { id_token: token, access_token: `access-${token}`, token_type: 'Bearer', expires_in: 3600 });
    }
    if (url.pathname === '/logout') return redirect(url.searchParams.get('logout_uri') ?? '/');
    return sendJson(response, 404, { error: 'not_found', reason: url.pathname });
  }

  function serveFile(pathname: string, response: ServerResponse) {
    const base = resolve(options.staticDir);
    const candidate = resolve(join(base, decodeURIComponent(pathname)));
    const inside = candidate.startsWith(base + sep);
    const file = inside && existsSync(candidate) && statSync(candidate).isFile() ? candidate : join(base, 'index.html');
    response.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
    createReadStream(file).pipe(response);
  }

  // --- WebSocket ----------------------------------------------------------------------

  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (request, socket, head) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const token = url.searchParams.get('token') ?? '';
    if (offline || url.pathname !== '/live' || !tokens.has(token)) {
      socket.end(`HTTP/1.1 ${offline ? 503 : 401} Refused\r\n\r\n`);
      return;
    }
    wss.handleUpgrade(request, socket, head, ws => {
      const mine = new Set<string>();
      ws.on('message', data => {
        const message = JSON.parse(String(data));
        if (message.action !== 'subscribe') return;
        const records = logs.get(message.deploymentId);
        if (!records) {
          ws.send(JSON.stringify({ type: 'error', status: 404, reason: `deployment ${message.deploymentId} does not exist`, deploymentId: message.deploymentId }));
          return;
        }
        if (!subscribers.has(message.deploymentId)) subscribers.set(message.deploymentId, new Set());
        subscribers.get(message.deploymentId)!.add(ws);
        mine.add(message.deploymentId);
        // Pages of the backlog, one per turn of the event loop, as the real server reads them from the store.
        void (async () => {
          let from = message.from ?? 0;
          while (from < records.length && ws.readyState === WebSocket.OPEN) {
            const page = records.slice(from, from + BACKLOG_PAGE);
            for (const out of logMessages(message.deploymentId, page)) ws.send(JSON.stringify(out));
            from += page.length;
            await new Promise(next => setImmediate(next));
          }
          ws.send(JSON.stringify({ type: 'subscribed', deploymentId: message.deploymentId, next: from }));
        })();
      });
      ws.on('close', () => {
        for (const id of mine) subscribers.get(id)?.delete(ws);
      });
    });
  });

  await new Promise<void>(done => server.listen(0, '127.0.0.1', done));
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;
  const config: DashboardConfig = {
    apiUrl: url,
    webSocketUrl: `ws://127.0.0.1:${port}/live`,
    auth: options.auth === 'oidc'
      ? { kind: 'oidc', authorizeUrl: `${url}/oauth2/authorize`, tokenUrl: `${url}/oauth2/token`, clientId: OIDC_CLIENT, scopes: ['openid', 'email'], logoutUrl: `${url}/logout` }
      : { kind: 'local' },
  };

  return {
    url,
    config,
    setNotificationFailures(app, items) {
      notificationFailures.set(app, items);
    },
    push,
    seedDeployment(appName, envName, lines) {
      const app = apps.get(appName)!;
      const target = findEnv(appName, envName)!;
      const id = newId();
      const at = new Date().toISOString();
      const records: LogRecord[] = [];
      for (let seq = 0; seq < lines; seq++) {
        const stream: LogStream = seq % 1000 === 999 ? 'stderr' : 'stdout';
        records.push({ seq, at, stream, text: `line ${seq + 1} of ${lines}: ${seq % 7 === 0 ? 'compiling module' : 'bundling asset'} ${seq.toString(36)}` });
      }
      const deployment: Deployment = {
        id,
        application: app.name,
        environment: target.name,
        action: 'deploy',
        commit: heads.get('main')!.sha,
        branch: 'main',
        repository: app.repository,
        trigger: { kind: 'push', actor: 'ada' },
        status: 'succeeded',
        createdAt: at,
        updatedAt: at,
        startedAt: at,
        finishedAt: at,
        phases: [],
        commitMessage: `A build with ${lines} lines`,
      };
      deployments.set(id, deployment);
      logs.set(id, records);
      return deployment;
    },
    appendLines(id, count, text = seq => `appended line ${seq + 1}`) {
      const start = logs.get(id)!.length;
      const at = new Date().toISOString();
      emit(id, Array.from({ length: count }, (_, index) => ({ seq: start + index, at, stream: 'stdout' as const, text: text(start + index) })));
    },
    dropSockets() {
      let count = 0;
      for (const client of wss.clients) {
        client.terminate();
        count++;
      }
      return count;
    },
    setOffline(value) {
      offline = value;
    },
    deployment: id => deployments.get(id),
    logOf: id => logs.get(id) ?? [],
    close: async () => {
      for (const timer of timers) clearTimeout(timer);
      for (const client of wss.clients) client.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>(done => server.close(() => done()));
    },
  };
}

function sendJson(response: ServerResponse, status: number, payload: unknown) {
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  response.end(JSON.stringify(payload));
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
