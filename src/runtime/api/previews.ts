import { ApiCall } from './api-call';
import { loadApplication, loadEnvironment } from './load';
import { requireAction, requireRole } from './permissions';
import { bodyFields } from './request-body';
import { previewsView } from './views';
import { ConflictError, ValidationError } from '../core/errors';
import { HttpResponse, json } from '../core/http';
import { approvePreview } from '../previews/pull-requests';

/** Pull-request previews on the control API: a fork's commit approved, the application's switch. */

/** POST /api/apps/{app}/environments/{env}/approve: the commit a fork preview waits with deploys; 202 with the deployment. */
export async function approve({ principal, params, deps }: ApiCall): Promise<HttpResponse> {
  requireRole(principal, params.app, 'viewer', 'approving a preview');
  const { env } = await loadEnvironment(deps.store, params.app, params.env);
  requireAction(principal, params.app, env, 'approving a preview');
  const deployment = await approvePreview(params.app, params.env, principal.name, deps);
  return json(202, deployment);
}

/** PUT /api/apps/{app}/previews `{ enabled }` (admin): previews off (no new preview; open ones stay until closed) or on again. */
export async function switchPreviews({ principal, params, body, deps }: ApiCall): Promise<HttpResponse> {
  requireRole(principal, params.app, 'admin', 'switching previews');
  const fields = bodyFields(body, ['enabled']);
  if (typeof fields.enabled !== 'boolean') throw new ValidationError([{ path: 'enabled', message: 'must be true or false' }]);
  const app = await loadApplication(deps.store, params.app);
  if (!app.previews) throw new ConflictError(`application ${app.name} configures no previews: add previews to it in code first`);
  await deps.store.previews.setEnabled(app.name, fields.enabled);
  deps.log({ message: fields.enabled ? 'previews switched on' : 'previews switched off', application: app.name, actor: principal.name });
  return json(200, await previewsView(app, app.previews, principal, deps));
}
