import { Harness, apiHarness, viewer } from './harness';
import { Principal } from '../../src/runtime/core';
import { notificationFailure } from '../store/fixtures';

const failure = (n: number, application = 'web') => notificationFailure(n, { application });

describe('GET /api/apps/{app}/notifications/failures', () => {
  let h: Harness;

  beforeEach(async () => {
    h = await apiHarness();
    for (const n of [1, 2, 3]) await h.store.notifications.recordFailure(failure(n), 1_900_000_000);
    await h.store.notifications.recordFailure(failure(4, 'api'), 1_900_000_000);
  });

  test('the application\'s failed deliveries, newest first, for its viewers; limit bounds the list', async () => {
    const answer = await h.call('GET', '/api/apps/web/notifications/failures', { principal: viewer });
    expect(answer.status).toBe(200);
    expect(answer.json.items).toEqual([failure(3), failure(2), failure(1)]);
    const limited = await h.call('GET', '/api/apps/web/notifications/failures', { principal: viewer, query: { limit: '1' } });
    expect(limited.json.items).toEqual([failure(3)]);
    expect((await h.call('GET', '/api/apps/web/notifications/failures', { principal: viewer, query: { limit: '0' } })).status).toBe(400);
  });

  test('another application\'s viewer is refused; an unknown application is a 404', async () => {
    const apiViewer: Principal = { subject: 'sub-ivy', name: 'ivy', grants: [{ application: 'api', role: 'viewer' }] };
    const refused = await h.call('GET', '/api/apps/web/notifications/failures', { principal: apiViewer });
    expect(refused.status).toBe(403);
    expect(refused.text).not.toContain('hooks.example.com');
    expect((await h.call('GET', '/api/apps/api/notifications/failures', { principal: apiViewer })).json.items).toEqual([failure(4, 'api')]);
    expect((await h.call('GET', '/api/apps/nope/notifications/failures', { principal: viewer })).status).toBe(404);
  });
});
