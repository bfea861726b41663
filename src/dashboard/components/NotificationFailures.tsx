import { ago, dateTime } from '../format';
import { useResource } from '../hooks';
import { href } from '../routes';
import { useSession } from '../session';

/**
 * On the application page: the notifications that were not delivered after every attempt,
 * newest first (kept two weeks). Nothing shows while there are none, or when they cannot be read:
 * the deployments themselves went on either way.
 */
export function NotificationFailures({ app }: { app: string }) {
  const { api } = useSession();
  const failures = useResource(`notification-failures:${app}`, async () => (await api.notificationFailures(app)).items);
  const items = failures.data ?? [];
  if (items.length === 0) return null;
  return (
    <section class="stack" data-testid="notification-failures">
      <div class="page-head">
        <h2>Notifications: last failed deliveries</h2>
        <button type="button" class="quiet" onClick={failures.reload} data-testid="notification-failures-reload">Check again</button>
      </div>
      <div class="card table-wrap">
        <table class="history">
          <thead>
            <tr><th>When</th><th>Environment</th><th>Event</th><th>#</th><th>Destination</th><th>Why</th><th>Attempts</th></tr>
          </thead>
          <tbody>
            {items.map(failure => (
              <tr key={`${failure.id}-${failure.position}`} data-testid={`notification-failure-${failure.sequence}-${failure.environment}`}>
                <td title={dateTime(failure.at)}>{ago(failure.at)}</td>
                <td>{failure.environment}</td>
                <td>{failure.deploymentId ? <a href={href.deployment(failure.deploymentId)}>{failure.event}</a> : failure.event}</td>
                <td>{failure.sequence}</td>
                <td>{failure.kind === 'webhook' ? <code>{failure.destination}</code> : failure.destination}</td>
                <td>{failure.error}</td>
                <td>{failure.attempts}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
