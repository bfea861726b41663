import { useState } from 'preact/hooks';
import { Empty, ErrorBox, Spinner } from './ErrorBox';
import { ago, dateTime } from '../format';
import { useResource } from '../hooks';
import { isInstallationAdmin } from '../roles';
import { href } from '../routes';
import { useSession } from '../session';

/**
 * Webhook deliveries GitHub could not hand to Trellis in the last 3 days (GitHub never sends one
 * again by itself), each with a button that asks GitHub to send it again. Read when shown.
 */
export function FailedDeliveries() {
  const { api } = useSession();
  const deliveries = useResource('failed-deliveries', () => api.failedDeliveries());
  const [sent, setSent] = useState<number[]>([]);
  const [error, setError] = useState<unknown>();
  // GitHub's log names a delivery's repository by id only: the column shows when any has a name.
  const withRepository = deliveries.data?.items.some(delivery => delivery.repository !== undefined) ?? false;
  const redeliver = async (id: number) => {
    setError(undefined);
    try {
      await api.redeliver(id);
      setSent(previous => [...previous, id]);
    } catch (failure) {
      setError(failure);
    }
  };
  return (
    <section class="stack" data-testid="failed-deliveries">
      <div class="page-head">
        <h2>Missed webhook deliveries</h2>
        <button type="button" class="quiet" onClick={() => { setSent([]); deliveries.reload(); }} data-testid="deliveries-reload">Check again</button>
      </div>
      {deliveries.error ? <ErrorBox error={deliveries.error} onRetry={deliveries.reload} /> : null}
      {error ? <ErrorBox error={error} testId="redeliver-error" /> : null}
      {!deliveries.data && deliveries.loading ? <Spinner /> : null}
      {deliveries.data?.items.length === 0
        ? <Empty title="None in the last 3 days" testId="deliveries-none">Every push GitHub sent reached Trellis.</Empty>
        : null}
      {deliveries.data && deliveries.data.items.length > 0
        ? (
          <div class="card table-wrap">
            <table class="history">
              <thead>
                <tr><th>Event</th>{withRepository ? <th>Repository</th> : null}<th>When</th><th>Trellis answered</th><th>Attempts</th><th /></tr>
              </thead>
              <tbody>
                {deliveries.data.items.map(delivery => (
                  <tr key={delivery.guid} data-testid={`delivery-${delivery.guid}`}>
                    <td>{delivery.event}{delivery.action ? ` (${delivery.action})` : ''}</td>
                    {withRepository ? <td>{delivery.repository ?? <span class="muted">–</span>}</td> : null}
                    <td title={dateTime(delivery.deliveredAt)}>{ago(delivery.deliveredAt)}</td>
                    <td>{delivery.statusCode === 0 ? 'no answer' : delivery.statusCode}</td>
                    <td>{delivery.attempts}</td>
                    <td>
                      {sent.includes(delivery.id)
                        ? <span class="muted" data-testid={`redelivered-${delivery.guid}`}>Sent again</span>
                        : <button type="button" onClick={() => redeliver(delivery.id)} data-testid={`redeliver-${delivery.guid}`}>Redeliver</button>}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )
        : null}
    </section>
  );
}

/** On the applications page, for admins: missed deliveries mean pushes that deployed nothing. Checked once, when the page opens. */
export function MissedDeliveriesBanner() {
  const { api, me } = useSession();
  const admin = isInstallationAdmin(me);
  // A non-admin asks nothing (the route is admin-only); a failed check shows nothing: the setup page tells.
  const deliveries = useResource(`missed-deliveries:${admin}`, async () => (admin ? (await api.failedDeliveries()).items : []));
  const count = deliveries.data?.length ?? 0;
  if (count === 0) return null;
  return (
    <div class="notice" role="status" data-testid="missed-deliveries">
      GitHub could not deliver {count === 1 ? '1 webhook' : `${count} webhooks`} to Trellis in the last 3 days: those pushes deployed nothing.{' '}
      <a href={href.setup()} data-testid="missed-deliveries-link">Review and redeliver</a>
    </div>
  );
}
