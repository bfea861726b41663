import { ApiCall } from './api-call';
import { loadApplication, loadEnvironment, splitPreviews } from './load';
import { requireRole } from './permissions';
import { integerQuery } from './query';
import { applicationView } from './views';
import { hasRole } from '../core/access';
import { LogPageView, Me } from '../core/api-types';
import { NotFoundError } from '../core/errors';
import { HttpResponse, json } from '../core/http';
import { Deployment } from '../core/types';
import { sweepPreviews } from '../previews/pull-requests';

/** The routes that read. Every one needs the viewer role on the application it reads. */

export async function health(): Promise<HttpResponse> {
  return json(200, { ok: true });
}

export async function me({ principal }: ApiCall): Promise<HttpResponse> {
  const body: Me = { subject: principal.subject, name: principal.name, grants: principal.grants };
  return json(200, body);
}

/** The applications the caller may see; none is not an error. */
export async function listApplications({ principal, deps }: ApiCall): Promise<HttpResponse> {
  // Closed previews still there get their teardown asked for again (never this read's failure).
  await sweepPreviews(deps);
  const visible = (await deps.store.config.listApplications()).filter(app => hasRole(principal, app.name, 'viewer'));
  const items = await Promise.all(visible.map(async app => {
    const environments = await deps.store.config.listEnvironments(app.name);
    return applicationView({ ...app, ...splitPreviews(environments) }, principal, deps);
  }));
  return json(200, { items: items.sort((a, b) => a.name.localeCompare(b.name)) });
}

export async function getApplication({ principal, params, deps }: ApiCall): Promise<HttpResponse> {
  // The role first: a caller without access learns nothing, not even whether it exists.
  requireRole(principal, params.app, 'viewer', 'reading an application');
  return json(200, await applicationView(await loadApplication(deps.store, params.app), principal, deps));
}

export async function listDeployments({ principal, params, query, deps }: ApiCall): Promise<HttpResponse> {
  requireRole(principal, params.app, 'viewer', 'reading deployments');
  const limit = integerQuery(query, 'limit', 1, 100);
  await loadEnvironment(deps.store, params.app, params.env);
  return json(200, await deps.store.deployments.listByEnvironment(params.app, params.env, { limit, cursor: query.cursor || undefined }));
}

export async function getDeployment(call: ApiCall): Promise<HttpResponse> {
  return json(200, await readableDeployment(call));
}

export async function readLogs(call: ApiCall): Promise<HttpResponse> {
  const from = integerQuery(call.query, 'from', 0, Number.MAX_SAFE_INTEGER);
  const limit = integerQuery(call.query, 'limit', 1, 5000);
  const deployment = await readableDeployment(call);
  const page = await call.deps.store.logs.read(deployment.id, { from, limit });
  const body: LogPageView = { records: page.records, next: page.next, end: page.end };
  return json(200, body);
}

async function readableDeployment({ principal, params, deps }: ApiCall): Promise<Deployment> {
  const deployment = await deps.store.deployments.get(params.id);
  if (!deployment) throw new NotFoundError(`deployment ${params.id} does not exist`);
  requireRole(principal, deployment.application, 'viewer', 'reading a deployment');
  return deployment;
}
