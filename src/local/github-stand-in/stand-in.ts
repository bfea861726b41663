import { createServer } from 'http';
import { AddressInfo } from 'net';
import { resolve } from 'path';
import { createApp, install } from './apps';
import { StandInContext } from './context';
import { tokenCovers } from './credentials';
import { PushUpdate, deliverPush, redeliver } from './deliveries';
import { serveGitHttp } from './git-http';
import { Answer, Route, answer, json, refusal, send } from './http-answers';
import { repositoryRoutes } from './repository-pages';
import { restRoutes } from './rest-api';
import { StateFile } from './state';
import { webRoutes } from './web-pages';
import { errorMessage } from '../../runtime/core/errors';
import { GitHubAppCredentials, GitHubEndpoints } from '../../runtime/core/github';
import * as names from '../../runtime/core/names';

export interface GitHubStandInOptions {
  /** State is kept in `<dataDir>/state.json` and read back on start. @default in memory only */
  readonly dataDir?: string;
  /** @default 0: a free port */
  readonly port?: number;
  /** Never given a secret's value. */
  readonly log?: (entry: Record<string, unknown>) => void;
}

export interface StandInRepository {
  readonly fullName: string;
  readonly path: string;
  readonly private: boolean;
  readonly defaultBranch: string;
}

/** A delivery as recorded (what `/app/hook/deliveries` lists). */
export interface StandInDelivery {
  readonly id: number;
  readonly guid: string;
  readonly event: string;
  readonly statusCode: number;
  readonly redelivery: boolean;
  readonly deliveredAt: string;
}

export interface GitHubStandIn {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** `{ apiUrl: <url>/api/v3, webUrl: <url> }`, as a GitHub Enterprise Server's. */
  readonly endpoints: GitHubEndpoints;
  /** Host a local git repository as `owner/repo` (again: its path and settings are updated). @default private, default branch main */
  addRepository(fullName: string, path: string, options?: { private?: boolean; defaultBranch?: string }): void;
  repositories(): StandInRepository[];
  /** A user who can sign in (again: updated). */
  addUser(user: { login: string; name?: string; organizations?: string[]; teams?: string[] }): void;
  /** What the manifest flow would make, without the pages (tests). */
  createApp(manifest: object): GitHubAppCredentials & { webhookSecret: string };
  /** Install the App on these repositories (one installation per owner); returns the first owner's installation id. */
  install(repositories: string[]): number;
  /** True when the App is installed on repositories of `owner`. */
  installedOn(owner: string): boolean;
  /** A commit's statuses, oldest first. */
  statuses(repository: string, sha: string): Array<{ context: string; state: string; description: string | null; target_url: string | null }>;
  /** A repository's deployments with their statuses, oldest first. */
  deployments(repository: string): Array<{
    id: number;
    sha: string;
    environment: string;
    production_environment: boolean;
    statuses: Array<{ state: string; description: string; environment_url?: string; log_url?: string }>;
  }>;
  /** The comments on a pull request (or issue) `number`, oldest first. */
  comments(repository: string, number: number): Array<{ id: number; body: string }>;
  /** Deliver a push of `ref` from `before` to `after` to the App's webhook URL, signed; returns the status code answered. */
  deliverPush(repository: string, push: PushUpdate): Promise<number>;
  /** The delivery log, oldest first. */
  deliveries(): StandInDelivery[];
  /** The scope of every installation token issued since start, oldest first. */
  tokensIssued(): Array<{ repositories: string[]; permissions: Record<string, string> }>;
  /** Fault injection: the next `count` requests whose path matches answer `status`. */
  failNext(pathPattern: RegExp, status: number, count?: number): void;
  close(): Promise<void>;
}

const API_PREFIX = '/api/v3';
const GIT_PATH = /^\/([^/]+)\/([^/]+?)\.git(?:\/|$)/;

/**
 * Local mode's GitHub: one HTTP server on 127.0.0.1 speaking the part of GitHub Trellis uses
 * (REST under `/api/v3` as an Enterprise Server does, web pages and OAuth at the root, git smart
 * HTTP for its hosted repositories), checking credentials as GitHub does. Tests use it as the
 * GitHub of the client's contract.
 */
export async function startGitHubStandIn(options: GitHubStandInOptions = {}): Promise<GitHubStandIn> {
  const file = new StateFile(options.dataDir === undefined ? undefined : resolve(options.dataDir));
  const log = options.log ?? (() => undefined);
  const faults: Array<{ pattern: RegExp; status: number; remaining: number }> = [];
  const context: StandInContext = {
    file,
    url: '',
    now: () => new Date(),
    issued: [],
    redeliver: id => redeliver(context, id),
    log,
  };
  const routes = restRoutes(context);
  const pages: Route[] = [
    ...webRoutes(context),
    // What GitHub does after a push to it: local repositories are pushed to on disk, so `trellis push` (or a test) says when.
    ['POST', /^\/_stand-in\/push$/, async request => {
      const { repository, ref, before, after } = request.body;
      if (typeof repository !== 'string' || typeof ref !== 'string' || typeof before !== 'string' || typeof after !== 'string') {
        return refusal(422, 'repository, ref, before and after are required');
      }
      try {
        const statusCode = await deliverPush(context, repository, { ref, before, after });
        // What `trellis push` prints: the webhook's own answer (deployments queued, reasons ignored).
        return json(200, { status_code: statusCode, response: parsedOrText(context.file.state.deliveries.at(-1)?.response_body ?? '') });
      } catch (error) {
        return refusal(422, errorMessage(error));
      }
    }],
    ...repositoryRoutes(context),
  ];

  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://stand-in');
    const path = url.pathname;
    const fault = faults.find(candidate => candidate.remaining > 0 && candidate.pattern.test(path));
    if (fault) {
      fault.remaining--;
      request.resume();
      return send(response, refusal(fault.status, 'Injected failure (stand-in failNext)'));
    }
    const git = GIT_PATH.exec(path);
    const handled: Promise<Answer | void> = git
      ? serveGitHttp(request, response, gitAccess)
      : path === API_PREFIX || path.startsWith(`${API_PREFIX}/`)
        ? answer(routes, request, path.slice(API_PREFIX.length) || '/', url.searchParams)
        : answer(pages, request, path, url.searchParams);
    handled.then(result => {
      if (result) send(response, result);
    }).catch(error => {
      log({ event: 'github-stand-in-error', method: request.method, path, error: String(error) });
      if (!response.headersSent) send(response, refusal(500, 'Server Error'));
      else response.destroy();
    });
  });
  const gitAccess = {
    repositoryPath: (fullName: string) => file.state.repositories[fullName]?.path,
    tokenCovers: (token: string, fullName: string) => tokenCovers(file.state, token, fullName, context.now()),
    isPublic: (fullName: string) => file.state.repositories[fullName]?.private === false,
    /** After git received a push: GitHub delivers it to the App (when there is one installed on the repository). */
    pushed: async (fullName: string, updates: readonly PushUpdate[]) => {
      for (const update of updates) {
        await deliverPush(context, fullName, update).catch(error => log({ event: 'github-stand-in-push-not-delivered', repository: fullName, reason: String(error) }));
      }
    },
  };

  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolveListen());
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  (context as { url: string }).url = url;

  return {
    url,
    endpoints: { apiUrl: `${url}${API_PREFIX}`, webUrl: url },
    addRepository(fullName, path, repositoryOptions = {}) {
      const problem = names.repository(fullName);
      if (problem) throw new Error(problem);
      const existing = file.state.repositories[fullName];
      file.state.repositories[fullName] = {
        id: existing?.id ?? file.id(),
        fullName,
        path: resolve(path),
        private: repositoryOptions.private ?? existing?.private ?? true,
        defaultBranch: repositoryOptions.defaultBranch ?? existing?.defaultBranch ?? 'main',
      };
      file.save(context.now());
    },
    repositories: () => Object.values(file.state.repositories)
      .map(({ fullName, path, private: isPrivate, defaultBranch }) => ({ fullName, path, private: isPrivate, defaultBranch }))
      .sort((a, b) => a.fullName.localeCompare(b.fullName)),
    addUser(user) {
      const existing = file.state.users.find(candidate => candidate.login === user.login);
      const stored = {
        id: existing?.id ?? file.id(),
        login: user.login,
        ...user.name !== undefined && { name: user.name },
        organizations: user.organizations ?? [],
        teams: user.teams ?? [],
      };
      file.state.users = [...file.state.users.filter(candidate => candidate !== existing), stored];
      file.save(context.now());
    },
    createApp(manifest) {
      const { code: _code, ...credentials } = createApp(context, manifest, file.state.users[0]?.login ?? 'local');
      // Converted at once: the key has been handed over, as after the manifest flow.
      file.state.manifestCodes = [];
      file.save(context.now());
      return credentials;
    },
    install: repositories => install(context, repositories),
    installedOn: owner => file.state.app !== undefined && file.state.installations.some(installation => installation.account === owner),
    statuses: (repository, sha) => (file.state.statuses[repository] ?? [])
      .filter(status => status.sha === sha)
      .map(status => ({ context: status.context, state: status.state, description: status.description, target_url: status.target_url })),
    deployments: repository => (file.state.deployments[repository] ?? []).map(deployment => ({
      id: deployment.id,
      sha: deployment.sha,
      environment: deployment.environment,
      production_environment: deployment.production_environment,
      statuses: deployment.statuses.map(({ state, description, environment_url: environmentUrl, log_url: logUrl }) => ({
        state, description, ...environmentUrl !== undefined && { environment_url: environmentUrl }, ...logUrl !== undefined && { log_url: logUrl },
      })),
    })),
    comments: (repository, number) => (file.state.comments[repository] ?? [])
      .filter(comment => comment.number === number).map(comment => ({ id: comment.id, body: comment.body })),
    deliverPush: (repository, push) => deliverPush(context, repository, push),
    deliveries: () => file.state.deliveries.map(delivery => ({
      id: delivery.id,
      guid: delivery.guid,
      event: delivery.event,
      statusCode: delivery.status_code,
      redelivery: delivery.redelivery,
      deliveredAt: delivery.delivered_at,
    })),
    tokensIssued: () => context.issued.map(scope => ({ repositories: [...scope.repositories], permissions: { ...scope.permissions } })),
    failNext(pattern, status, count = 1) {
      faults.push({ pattern, status, remaining: count });
    },
    close: () => new Promise<void>(resolveClose => {
      server.close(() => resolveClose());
      server.closeAllConnections();
    }),
  };
}

function parsedOrText(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return body;
  }
}
