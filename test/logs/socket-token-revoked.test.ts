import { ApiTokenAuthenticator } from '../../src/runtime/auth/api-token-authenticator';
import { refuseEveryone } from '../../src/runtime/auth/authenticator-from-env';
import { Store, systemClock } from '../../src/runtime/core/ports';
import { SocketDeps, handleSocketEvent } from '../../src/runtime/logs/socket-handler';
import { depId, queuedDeployment, storedApiToken } from '../store/fixtures';
import { freshStore } from '../support/test-table';

/** A connection opened with an API token cannot subscribe once the token is revoked or has expired. */
describe('live-log socket: an API token ended after connect', () => {
  let store: Store;
  let deps: SocketDeps;
  const sent: Array<{ connectionId: string; message: unknown }> = [];
  const logged: Array<Record<string, unknown>> = [];

  beforeEach(async () => {
    ({ store } = await freshStore());
    sent.splice(0);
    logged.splice(0);
    deps = {
      store,
      sink: { send: async (connectionId, message) => (sent.push({ connectionId, message }), 'sent') },
      authenticator: new ApiTokenAuthenticator(store.apiTokens, refuseEveryone),
      clock: systemClock,
      log: entry => void logged.push(entry),
    };
    await store.deployments.create(queuedDeployment(depId(1), 'web', 'dev'));
  });

  const tokenFor = (expiresAt: Date) => storedApiToken(store, { expiresAt: expiresAt.toISOString() });

  const subscribe = (connectionId: string) =>
    handleSocketEvent({ kind: 'message', connectionId, body: JSON.stringify({ action: 'subscribe', deploymentId: depId(1), from: 0 }) }, deps);

  test('subscribing works while the token is valid; after revocation the same connection is refused and dropped', async () => {
    const made = await tokenFor(new Date(Date.now() + 86_400_000));
    expect((await handleSocketEvent({ kind: 'connect', connectionId: 'c1', token: made.token }, deps)).statusCode).toBe(200);
    expect((await subscribe('c1')).statusCode).toBe(200);
    expect(sent.map(({ message }) => (message as { type: string }).type)).toContain('subscribed');

    await store.apiTokens.revoke(made.id);
    sent.splice(0);
    expect(await subscribe('c1')).toEqual({ statusCode: 401, reason: 'the API token is unknown, revoked or expired; reconnect with a valid one' });
    expect(sent).toEqual([{ connectionId: 'c1', message: { type: 'error', status: 401, reason: 'the API token is unknown, revoked or expired; reconnect with a valid one', deploymentId: depId(1) } }]);
    expect(await store.connections.get('c1')).toBeUndefined();
    expect(logged).toContainEqual(expect.objectContaining({ message: 'api token refused', token: made.id }));
  });

  test('a token that expired after connect is refused at the next subscription', async () => {
    const made = await tokenFor(new Date(Date.now() + 86_400_000));
    expect((await handleSocketEvent({ kind: 'connect', connectionId: 'c2', token: made.token }, deps)).statusCode).toBe(200);
    // Two days on, for the authenticator that checks the token again.
    const later = { now: () => new Date(Date.now() + 2 * 86_400_000) };
    const answer = await handleSocketEvent(
      { kind: 'message', connectionId: 'c2', body: JSON.stringify({ action: 'subscribe', deploymentId: depId(1), from: 0 }) },
      { ...deps, clock: later, authenticator: new ApiTokenAuthenticator(store.apiTokens, refuseEveryone, later) },
    );
    expect(answer.statusCode).toBe(401);
    expect(await store.connections.get('c2')).toBeUndefined();
  });
});
