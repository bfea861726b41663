import { StandInContext, appJson, installationJson, installationOf, repositoryJson } from './context';
import {
  INSTALLATION_TOKEN_MS, Refusal, allows, bearer, installationToken, newToken, requireRepositoryAccess, userToken, verifyAppJwt,
} from './credentials';
import { commitOf } from './git-commits';
import { Answer, Route, StandInRequest, json } from './http-answers';
import { Level, StoredApp, StoredComment, StoredDelivery, StoredDeployment, StoredStatus } from './state';

const COMMIT_STATES = ['pending', 'success', 'failure', 'error'];
const DEPLOYMENT_STATES = ['error', 'failure', 'inactive', 'in_progress', 'queued', 'pending', 'success'];
const MAX_DESCRIPTION = 140;
const REPO = '/repos/([^/]+)/([^/]+)';

/** The REST API under `/api/v3`: the calls Trellis makes, checked as GitHub checks them. */
export function restRoutes(context: StandInContext): Route[] {
  const state = () => context.file.state;
  const save = () => context.file.save(context.now());
  const token = (request: StandInRequest) => bearer(request.headers);
  const asApp = (request: StandInRequest) => verifyAppJwt(state(), token(request), context.now());
  const repository = (request: StandInRequest, permission: string, level: Level) => {
    const fullName = `${request.params[0]}/${request.params[1]}`;
    requireRepositoryAccess(state(), token(request), fullName, permission, level, context.now());
    return state().repositories[fullName];
  };

  const routes: Route[] = [
    ['GET', /^\/app$/, request => json(200, appJson(context, asApp(request)))],

    ['GET', /^\/app\/installations$/, request => {
      const app = asApp(request);
      return paged(request, state().installations.map(installation => installationJson(context, app, installation)));
    }],

    ['GET', /^\/app\/installations\/(\d+)$/, request => {
      const app = asApp(request);
      const installation = state().installations.find(candidate => candidate.id === Number(request.params[0]));
      if (!installation) throw new Refusal(404, 'Not Found');
      return json(200, installationJson(context, app, installation));
    }],

    ['POST', /^\/app\/installations\/(\d+)\/access_tokens$/, request => {
      const app = asApp(request);
      const installation = state().installations.find(candidate => candidate.id === Number(request.params[0]));
      if (!installation) throw new Refusal(404, 'Not Found');
      const repositories = requestedRepositories(request.body.repositories, installation.account, installation.repositories);
      const permissions = requestedPermissions(request.body.permissions, app);
      const issued = {
        token: newToken('ghs'),
        installationId: installation.id,
        repositories,
        permissions,
        expiresAt: new Date(context.now().getTime() + INSTALLATION_TOKEN_MS).toISOString(),
      };
      state().installationTokens.push(issued);
      context.issued.push({ repositories: [...repositories], permissions: { ...permissions } });
      save();
      return json(201, {
        token: issued.token,
        expires_at: issued.expiresAt,
        permissions: { ...permissions, metadata: 'read' },
        repository_selection: 'selected',
        repositories: repositories.map(fullName => repositoryJson(context, state().repositories[fullName])),
      });
    }],

    ['GET', /^\/app\/hook\/deliveries$/, request => {
      asApp(request);
      return paged(request, [...state().deliveries].reverse().map(deliveryJson));
    }],

    ['GET', /^\/app\/hook\/deliveries\/(\d+)$/, request => {
      asApp(request);
      const delivery = state().deliveries.find(candidate => candidate.id === Number(request.params[0]));
      if (!delivery) throw new Refusal(404, 'Not Found');
      return json(200, {
        ...deliveryJson(delivery),
        request: { payload: JSON.parse(delivery.body) },
        response: { status_code: delivery.status_code },
      });
    }],

    ['POST', /^\/app\/hook\/deliveries\/(\d+)\/attempts$/, async request => {
      asApp(request);
      const id = Number(request.params[0]);
      if (!state().deliveries.some(delivery => delivery.id === id)) throw new Refusal(404, 'Not Found');
      await context.redeliver(id);
      return json(202, {});
    }],

    ['POST', /^\/app-manifests\/([^/]+)\/conversions$/, request => {
      const now = context.now().getTime();
      const code = state().manifestCodes.find(candidate => candidate.code === request.params[0] && Date.parse(candidate.expiresAt) > now);
      const app = state().app;
      if (!code || !app) throw new Refusal(404, 'Not Found');
      // Once: the private key leaves the stand-in here and is not kept.
      state().manifestCodes = state().manifestCodes.filter(candidate => candidate !== code);
      save();
      return json(201, {
        ...appJson(context, app),
        client_secret: app.clientSecret,
        webhook_secret: app.webhookSecret,
        pem: code.privateKey,
      });
    }],

    ['GET', /^\/installation\/repositories$/, request => {
      const held = installationToken(state(), token(request), context.now());
      const repositories = held.repositories.map(fullName => repositoryJson(context, state().repositories[fullName]));
      return paged(request, repositories, slice => ({ total_count: repositories.length, repository_selection: 'selected', repositories: slice }));
    }],

    ['GET', new RegExp(`^${REPO}/installation$`), request => {
      const app = asApp(request);
      const installation = installationOf(context, `${request.params[0]}/${request.params[1]}`);
      if (!installation) throw new Refusal(404, 'Not Found');
      return json(200, installationJson(context, app, installation));
    }],

    ['GET', new RegExp(`^${REPO}$`), request => json(200, repositoryJson(context, repository(request, 'metadata', 'read')))],

    ['GET', new RegExp(`^${REPO}/commits/(.+)/statuses$`), async request => {
      const found = repository(request, 'statuses', 'read');
      const commit = await commitOf(found.path, request.params[2]);
      const statuses = commit ? state().statuses[found.fullName]?.filter(status => status.sha === commit.sha) ?? [] : [];
      return paged(request, [...statuses].reverse());
    }],

    ['GET', new RegExp(`^${REPO}/commits/(.+)$`), async request => {
      const found = repository(request, 'contents', 'read');
      const commit = await commitOf(found.path, request.params[2]);
      if (!commit) throw new Refusal(422, `No commit found for SHA: ${request.params[2]}`);
      return json(200, {
        sha: commit.sha,
        html_url: `${context.url}/${found.fullName}/commit/${commit.sha}`,
        commit: {
          message: commit.message,
          author: { name: commit.authorName, email: commit.authorEmail, date: commit.timestamp },
          committer: { name: commit.authorName, email: commit.authorEmail, date: commit.timestamp },
        },
        author: null,
        committer: null,
      });
    }],

    ['POST', new RegExp(`^${REPO}/statuses/([^/]+)$`), async request => {
      const found = repository(request, 'statuses', 'write');
      const { state: commitState, description, target_url: targetUrl, context: statusContext } = request.body;
      if (typeof commitState !== 'string' || !COMMIT_STATES.includes(commitState)) throw new Refusal(422, `state must be one of ${COMMIT_STATES.join(', ')}`);
      if (description !== undefined && description !== null && (typeof description !== 'string' || description.length > MAX_DESCRIPTION)) {
        throw new Refusal(422, `description is too long (maximum is ${MAX_DESCRIPTION} characters)`);
      }
      if (targetUrl !== undefined && targetUrl !== null && typeof targetUrl !== 'string') throw new Refusal(422, 'target_url must be a string');
      const commit = await commitOf(found.path, request.params[2]);
      if (!commit || commit.sha !== request.params[2]) throw new Refusal(422, `No commit found for SHA: ${request.params[2]}`);
      const status = {
        id: context.file.id(),
        sha: commit.sha,
        context: typeof statusContext === 'string' && statusContext !== '' ? statusContext : 'default',
        state: commitState,
        description: typeof description === 'string' ? description : null,
        target_url: typeof targetUrl === 'string' ? targetUrl : null,
        created_at: context.now().toISOString(),
      };
      (state().statuses[found.fullName] ??= []).push(status);
      save();
      return json(201, { ...status, url: `${context.url}/api/v3/repos/${found.fullName}/statuses/${commit.sha}` });
    }],

    ['GET', new RegExp(`^${REPO}/deployments$`), request => {
      const found = repository(request, 'deployments', 'read');
      return paged(request, [...state().deployments[found.fullName] ?? []].reverse().map(deploymentJson));
    }],

    ['POST', new RegExp(`^${REPO}/deployments$`), async request => {
      const found = repository(request, 'deployments', 'write');
      const { ref, environment, description, required_contexts: requiredContexts } = request.body;
      if (typeof ref !== 'string' || ref === '') throw new Refusal(422, 'ref is missing');
      const commit = await commitOf(found.path, ref);
      if (!commit) throw new Refusal(422, `No ref found for: ${ref}`);
      if (!Array.isArray(requiredContexts) || requiredContexts.length > 0) {
        const needed = Array.isArray(requiredContexts) ? requiredContexts.map(String) : undefined;
        if (!contextsSucceeded(state().statuses[found.fullName] ?? [], commit.sha, needed)) {
          throw new Refusal(409, `Conflict: Commit status checks failed for ${ref}.`);
        }
      }
      const deployment: StoredDeployment = {
        id: context.file.id(),
        sha: commit.sha,
        ref,
        environment: typeof environment === 'string' && environment !== '' ? environment : 'production',
        description: typeof description === 'string' ? description : null,
        production_environment: request.body.production_environment === true,
        transient_environment: request.body.transient_environment === true,
        created_at: context.now().toISOString(),
        statuses: [],
      };
      (state().deployments[found.fullName] ??= []).push(deployment);
      save();
      return json(201, deploymentJson(deployment));
    }],

    ['GET', new RegExp(`^${REPO}/deployments/(\\d+)/statuses$`), request => {
      const found = repository(request, 'deployments', 'read');
      const deployment = state().deployments[found.fullName]?.find(candidate => candidate.id === Number(request.params[2]));
      if (!deployment) throw new Refusal(404, 'Not Found');
      return paged(request, [...deployment.statuses].reverse());
    }],

    ['POST', new RegExp(`^${REPO}/deployments/(\\d+)/statuses$`), request => {
      const found = repository(request, 'deployments', 'write');
      const deployment = state().deployments[found.fullName]?.find(candidate => candidate.id === Number(request.params[2]));
      if (!deployment) throw new Refusal(404, 'Not Found');
      const { state: deploymentState, description, environment_url: environmentUrl, log_url: logUrl } = request.body;
      if (typeof deploymentState !== 'string' || !DEPLOYMENT_STATES.includes(deploymentState)) {
        throw new Refusal(422, `state must be one of ${DEPLOYMENT_STATES.join(', ')}`);
      }
      const status = {
        id: context.file.id(),
        state: deploymentState,
        description: typeof description === 'string' ? description : '',
        ...typeof environmentUrl === 'string' && { environment_url: environmentUrl },
        ...typeof logUrl === 'string' && { log_url: logUrl },
        created_at: context.now().toISOString(),
      };
      deployment.statuses.push(status);
      save();
      return json(201, status);
    }],

    // Comments on a pull request (GitHub keeps them as the issue's): with pull_requests (or issues) write.
    ['GET', new RegExp(`^${REPO}/issues/(\\d+)/comments$`), request => {
      const found = repository(request, 'pull_requests', 'read');
      return paged(request, (state().comments[found.fullName] ?? []).filter(comment => comment.number === Number(request.params[2])));
    }],

    ['POST', new RegExp(`^${REPO}/issues/(\\d+)/comments$`), request => {
      const found = repository(request, 'pull_requests', 'write');
      const body = commentBody(request.body.body);
      const at = context.now().toISOString();
      const comment: StoredComment = { id: context.file.id(), number: Number(request.params[2]), body, created_at: at, updated_at: at };
      (state().comments[found.fullName] ??= []).push(comment);
      save();
      return json(201, comment);
    }],

    ['PATCH', new RegExp(`^${REPO}/issues/comments/(\\d+)$`), request => {
      const found = repository(request, 'pull_requests', 'write');
      const comment = state().comments[found.fullName]?.find(candidate => candidate.id === Number(request.params[2]));
      if (!comment) throw new Refusal(404, 'Not Found');
      comment.body = commentBody(request.body.body);
      comment.updated_at = context.now().toISOString();
      save();
      return json(200, comment);
    }],

    ['GET', /^\/user$/, request => {
      const user = signedIn(request);
      return json(200, { id: user.id, login: user.login, name: user.name ?? null, type: 'User', html_url: `${context.url}/${user.login}` });
    }],

    ['GET', /^\/user\/orgs$/, request => paged(request, signedIn(request).organizations.map(login => ({ login })))],

    ['GET', /^\/user\/teams$/, request => paged(request, signedIn(request).teams.map(team => {
      const [organization, slug] = team.split('/');
      return { slug, name: slug, organization: { login: organization } };
    }))],
  ];

  function signedIn(request: StandInRequest) {
    const held = userToken(state(), token(request), context.now());
    const user = state().users.find(candidate => candidate.login === held.login);
    if (!user) throw new Refusal(401, 'Bad credentials');
    return user;
  }

  return routes;
}

/** GitHub's limit on a comment's body. */
const MAX_COMMENT = 65_536;

function commentBody(value: unknown): string {
  if (typeof value !== 'string' || value === '' || value.length > MAX_COMMENT) throw new Refusal(422, `body must be text of 1 to ${MAX_COMMENT} characters`);
  return value;
}

/** A token's repositories: the names asked for (each must be in the installation), else all of the installation's. */
function requestedRepositories(asked: unknown, account: string, installed: readonly string[]): string[] {
  if (asked === undefined) return [...installed];
  if (!Array.isArray(asked) || asked.some(name => typeof name !== 'string' || name.includes('/'))) {
    throw new Refusal(422, 'repositories must be a list of repository names (without the owner)');
  }
  const fullNames = [...new Set(asked as string[])].map(name => `${account}/${name}`);
  if (fullNames.some(fullName => !installed.includes(fullName))) {
    throw new Refusal(422, 'There is at least one repository that does not exist or is not accessible to the parent installation.');
  }
  return fullNames;
}

/** A token's permissions: those asked for (each within the App's), else all of the App's. */
function requestedPermissions(asked: unknown, app: StoredApp): Record<string, Level> {
  if (asked === undefined) return { ...app.permissions };
  if (typeof asked !== 'object' || asked === null || Array.isArray(asked)) throw new Refusal(422, 'permissions must be an object');
  const permissions: Record<string, Level> = {};
  for (const [name, level] of Object.entries(asked)) {
    if ((level !== 'read' && level !== 'write') || !(name === 'metadata' && level === 'read' || allows(app.permissions[name], level))) {
      throw new Refusal(422, 'The permissions requested are not granted to this installation.');
    }
    permissions[name] = level;
  }
  return permissions;
}

/** Every required context's newest status on the commit is success (all contexts when none are named). */
function contextsSucceeded(statuses: readonly StoredStatus[], sha: string, required?: readonly string[]): boolean {
  const newest = new Map<string, string>();
  for (const status of statuses) if (status.sha === sha) newest.set(status.context, status.state);
  const contexts = required ?? [...newest.keys()];
  return contexts.every(context => newest.get(context) === 'success');
}

function deploymentJson(deployment: StoredDeployment): Record<string, unknown> {
  const { statuses: _statuses, ...rest } = deployment;
  return { ...rest, task: 'deploy', payload: {} };
}

function deliveryJson(delivery: StoredDelivery): Record<string, unknown> {
  const { body: _body, ...rest } = delivery;
  const code = delivery.status_code;
  return { ...rest, status: code >= 200 && code < 300 ? 'OK' : code === 0 ? 'Timed out' : `Invalid HTTP Response: ${code}`, throttled_at: null };
}

/** One page of a list (`page`, `per_page` up to 100, default 30) as the answer, with GitHub's Link header when more follow. */
function paged(request: StandInRequest, items: readonly unknown[], wrap: (slice: unknown[]) => unknown = slice => slice): Answer {
  const perPage = Math.min(100, Math.max(1, Number(request.query.get('per_page')) || 30));
  const page = Math.max(1, Number(request.query.get('page')) || 1);
  const more = page * perPage < items.length;
  return json(200, wrap(items.slice((page - 1) * perPage, page * perPage)), more ? { link: `<?per_page=${perPage}&page=${page + 1}>; rel="next"` } : {});
}
