import { ApiCall } from './api-call';
import { requireInstallationAdmin } from './permissions';
import { emptyBody } from './request-body';
import { FailedDeliveryView } from '../core/api-types';
import { ConflictError } from '../core/errors';
import { WebhookDelivery } from '../core/github';
import { HttpResponse, json } from '../core/http';

/**
 * Missed webhook deliveries. GitHub does not send a failed delivery again by itself; its log of
 * the App's deliveries is read when an admin looks (nothing runs on a schedule), and each failed
 * one can be sent again. The webhook recognises a delivery it processed already by its GUID.
 */

/** How far back the log is read. */
export const DELIVERY_LOOKBACK_DAYS = 3;

/** Deliveries of the last DELIVERY_LOOKBACK_DAYS no attempt of which Trellis answered 2xx, newest first. */
export async function listFailedDeliveries({ principal, deps }: ApiCall): Promise<HttpResponse> {
  requireInstallationAdmin(principal, 'reading the GitHub App\'s deliveries');
  const app = await deps.github?.app();
  if (!app) return json(200, { items: [] });
  const since = new Date(deps.clock.now().getTime() - DELIVERY_LOOKBACK_DAYS * 86_400_000).toISOString();
  return json(200, { items: failedDeliveries(await app.deliveries(since)) });
}

export async function redeliver({ principal, params, body, deps }: ApiCall): Promise<HttpResponse> {
  requireInstallationAdmin(principal, 'redelivering a webhook');
  emptyBody(body);
  const app = await deps.github?.app();
  if (!app) throw new ConflictError('no GitHub App is connected: there are no deliveries to send again');
  const id = Number(params.delivery);
  await app.redeliver(id);
  deps.log({ message: 'github delivery redelivered', deliveryId: id, subject: principal.subject });
  return json(202, { redelivered: id });
}

/**
 * Attempts grouped by GUID (a redelivery keeps its GUID): a GUID with no 2xx attempt is failed,
 * shown by its newest attempt, whose id a redelivery names.
 */
export function failedDeliveries(attempts: readonly WebhookDelivery[]): FailedDeliveryView[] {
  const byGuid = new Map<string, WebhookDelivery[]>();
  for (const attempt of attempts) byGuid.set(attempt.guid, [...byGuid.get(attempt.guid) ?? [], attempt]);
  const failed: FailedDeliveryView[] = [];
  for (const [guid, tries] of byGuid) {
    if (tries.some(attempt => attempt.statusCode >= 200 && attempt.statusCode < 300)) continue;
    const newest = tries.reduce((a, b) => (newer(b, a) ? b : a));
    failed.push({
      id: newest.id,
      guid,
      event: newest.event,
      ...newest.action !== undefined && { action: newest.action },
      ...newest.repository !== undefined && { repository: newest.repository },
      deliveredAt: newest.deliveredAt,
      statusCode: newest.statusCode,
      attempts: tries.length,
    });
  }
  return failed.sort((a, b) => (newer(a, b) ? -1 : 1));
}

function newer(a: { deliveredAt: string; id: number }, b: { deliveredAt: string; id: number }): boolean {
  return Date.parse(a.deliveredAt) - Date.parse(b.deliveredAt) > 0 || (a.deliveredAt === b.deliveredAt && a.id > b.id);
}
