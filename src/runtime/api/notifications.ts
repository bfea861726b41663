import { ApiCall } from './api-call';
import { requireRole } from './permissions';
import { integerQuery } from './query';
import { NotFoundError } from '../core/errors';
import { HttpResponse, json } from '../core/http';
import { printable } from '../core/names';

/**
 * `GET /api/apps/{app}/notifications/failures?limit`: the notifications that were not delivered,
 * newest first, for the application's viewers. Nothing secret is in them (destinations are named
 * by their URL's origin, Slack as `slack`).
 */
export async function listNotificationFailures({ principal, params, query, deps }: ApiCall): Promise<HttpResponse> {
  requireRole(principal, params.app, 'viewer', 'reading failed notifications');
  if (!await deps.store.config.getApplication(params.app)) throw new NotFoundError(`application ${printable(params.app)} does not exist`);
  const items = await deps.store.notifications.listFailures(params.app, { limit: integerQuery(query, 'limit', 1, 100) });
  return json(200, { items });
}
