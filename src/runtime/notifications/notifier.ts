import { randomUUID } from 'crypto';
import { DestinationDeps, destinationLabel, sendToDestination } from './destinations';
import { errorMessage } from '../core/errors';
import { METRIC_DIMENSIONS, METRIC_NAMES, NOTIFICATION_FAILURE_DIMENSION_SETS, metricRecord } from '../core/metrics';
import { NotificationDestinationConfig, NotificationEvent } from '../core/notification-config';
import { NotificationPayload, deploymentEvent, notificationPayload, wantsEvent } from '../core/notifications';
import { Clock, NotificationDetails, Notifier, SecretSource, Store, TopicPublisher, systemClock } from '../core/ports';
import { Deployment } from '../core/types';
import { deploymentPage } from '../github/deployment-reporter';

/** How each delivery is tried: `attempts` tries, each within `timeoutMs`, waiting `backoffMs`, then twice that, between them. */
export interface NotificationRetry {
  readonly attempts: number;
  readonly timeoutMs: number;
  readonly backoffMs: number;
}

export const DEFAULT_NOTIFICATION_RETRY: NotificationRetry = { attempts: 3, timeoutMs: 5_000, backoffMs: 1_000 };

/** How long a failed delivery stays listed. */
export const NOTIFICATION_FAILURE_RETENTION_DAYS = 14;

export interface NotifierOptions {
  readonly store: Pick<Store, 'config' | 'notifications'>;
  readonly installation: string;
  /** Read at each event: local mode knows its URL only once it listens. */
  readonly dashboardUrl: () => string;
  readonly secrets: SecretSource;
  readonly topics?: TopicPublisher;
  /** Server log lines (never a secret in one); a failure's line is also the NotificationFailures metric. */
  readonly log: (entry: Record<string, unknown>) => void;
  readonly clock?: Clock;
  readonly retry?: Partial<NotificationRetry>;
  readonly newId?: () => string;
  /** Send to https:// URLs only (AWS). @default false */
  readonly httpsOnly?: boolean;
}

export interface BackgroundNotifier extends Notifier {
  /** The event a deployment's status is (deploymentEvent), if any, told like notifyEnvironment. */
  notifyDeployment(deployment: Deployment): Promise<void>;
  /**
   * Resolves once every delivery started so far has succeeded or failed for good, or after
   * `withinMs` (when given) with what is left still going on.
   */
  settled(withinMs?: number): Promise<void>;
}

/**
 * Produces and delivers notifications, the same in AWS (the table's stream) and locally (each
 * status change). Producing is in order per environment: the events of one environment get
 * their sequence numbers in the order they are told. Delivery then goes on in the background,
 * in order per destination and environment, with a timeout per attempt and bounded retries;
 * what is not delivered is recorded (listed on the dashboard) and counted. Nothing here throws
 * to the caller or makes it wait for a receiver.
 */
export function createNotifier(options: NotifierOptions): BackgroundNotifier {
  const retry = { ...DEFAULT_NOTIFICATION_RETRY, ...options.retry };
  const clock = options.clock ?? systemClock;
  const newId = options.newId ?? randomUUID;
  const destinationDeps: DestinationDeps = {
    secrets: options.secrets, topics: options.topics, timeoutMs: retry.timeoutMs, httpsOnly: options.httpsOnly,
  };
  const producing = new Map<string, Promise<void>>();
  const delivering = new Map<string, Promise<void>>();

  /** Runs `work` after the chain's previous work; the chain forgets itself once idle. */
  const after = (chains: Map<string, Promise<void>>, key: string, work: () => Promise<void>): Promise<void> => {
    const next = (chains.get(key) ?? Promise.resolve()).catch(() => undefined).then(work).finally(() => {
      if (chains.get(key) === next) chains.delete(key);
    });
    chains.set(key, next);
    return next;
  };

  /** Deliveries started and not yet over (delivered, or recorded as failed), for `settled` to record what it gives up on. */
  const pending = new Map<string, { destination: Destination; payload: NotificationPayload; attempts: number }>();

  /** What was not delivered: logged, counted (NotificationFailures) and recorded for the dashboard. */
  const recordFailure = async (destination: Destination, payload: NotificationPayload, attempts: number, problem: string) => {
    const at = clock.now();
    const label = positionedLabel(destination);
    options.log(metricRecord({
      timestamp: at.getTime(),
      metrics: [{ name: METRIC_NAMES.notificationFailures, unit: 'Count', value: 1 }],
      dimensions: { [METRIC_DIMENSIONS.installation]: options.installation, [METRIC_DIMENSIONS.application]: payload.application },
      dimensionSets: NOTIFICATION_FAILURE_DIMENSION_SETS,
      properties: { message: 'notification not delivered', ...about(payload), destination: label, attempts, error: problem },
    }));
    const expiresAt = Math.floor(at.getTime() / 1000) + NOTIFICATION_FAILURE_RETENTION_DAYS * 86_400;
    await options.store.notifications.recordFailure({
      id: payload.id,
      at: at.toISOString(),
      application: payload.application,
      environment: payload.environment,
      event: payload.event,
      sequence: payload.sequence,
      kind: destination.config.kind,
      destination: label,
      position: destination.position,
      attempts,
      error: problem,
      ...payload.deployment && { deploymentId: payload.deployment.id },
    }, expiresAt).catch(error => options.log({ message: 'notification failure not recorded', delivery: payload.id, error: errorMessage(error) }));
  };

  const deliver = async (destination: Destination, payload: NotificationPayload, body: string) => {
    const key = `${payload.id}\n${destination.position}`;
    const state = { destination, payload, attempts: 0 };
    pending.set(key, state);
    let problem = '';
    try {
      for (let attempt = 1; attempt <= retry.attempts; attempt++) {
        state.attempts = attempt;
        try {
          await sendToDestination(destination.config, payload, body, destinationDeps);
          options.log({ message: 'notification delivered', ...about(payload), destination: positionedLabel(destination), attempts: attempt });
          return;
        } catch (error) {
          problem = errorMessage(error).slice(0, 300);
          if (attempt < retry.attempts) await new Promise(resolve => setTimeout(resolve, retry.backoffMs * 2 ** (attempt - 1)));
        }
      }
      if (pending.delete(key)) await recordFailure(destination, payload, retry.attempts, problem);
    } finally {
      pending.delete(key);
    }
  };

  const produce = async (event: NotificationEvent, application: string, environment: string, details?: NotificationDetails) => {
    const app = await options.store.config.getApplication(application);
    const wanted: Destination[] = (app?.notifications ?? []).map((config, index) => ({ config, position: index + 1 }))
      .filter(({ config }) => wantsEvent(config, event, environment));
    if (wanted.length === 0) return;
    const sequence = await options.store.notifications.nextSequence(application, environment);
    const payload = notificationPayload({
      id: newId(),
      event,
      sequence,
      timestamp: clock.now().toISOString(),
      installation: options.installation,
      application,
      environment,
      details,
      deploymentUrl: id => deploymentPage(options.dashboardUrl(), id),
    });
    const body = JSON.stringify(payload);
    for (const destination of wanted) {
      void after(delivering, `${application}\n${environment}\n${destination.position}`, () => deliver(destination, payload, body))
        .catch(error => options.log({ message: 'notification not delivered', delivery: payload.id, error: errorMessage(error) }));
    }
  };

  const notifyEnvironment: Notifier['notifyEnvironment'] = (event, application, environment, details) =>
    after(producing, `${application}\n${environment}`, () => produce(event, application, environment, details))
      .catch(error => options.log({ message: 'notification not produced', event, application, environment, error: errorMessage(error) }));

  return {
    notifyEnvironment,
    notifyDeployment(deployment) {
      const event = deploymentEvent(deployment);
      return event ? notifyEnvironment(event, deployment.application, deployment.environment, { deployment }) : Promise.resolve();
    },
    async settled(withinMs) {
      const all = async () => {
        while (producing.size > 0 || delivering.size > 0) {
          await Promise.allSettled([...producing.values(), ...delivering.values()]);
        }
      };
      if (withinMs === undefined) return all();
      let timer: NodeJS.Timeout | undefined;
      let gaveUp = false;
      const timeout = new Promise<void>(resolve => { timer = setTimeout(() => { gaveUp = true; resolve(); }, withinMs); });
      await Promise.race([all(), timeout]);
      clearTimeout(timer);
      if (!gaveUp) return;
      // What is still under way is recorded as not delivered, so the dashboard lists it after a restart.
      const left = [...pending.entries()];
      pending.clear();
      await Promise.all(left.map(([, { destination, payload, attempts }]) =>
        recordFailure(destination, payload, attempts, `not delivered: Trellis stopped after ${attempts} of ${retry.attempts} attempts`)));
    },
  };
}

/** One of an application's destinations and its place (1, 2, …) in its `notifications`. */
interface Destination {
  readonly config: NotificationDestinationConfig;
  readonly position: number;
}

/** `webhook 2 (https://hooks.example.com)`, `slack 1`: the kind, its place (two may share an origin), never a secret. */
function positionedLabel(destination: Destination): string {
  const { kind } = destination.config;
  const where = destinationLabel(destination.config);
  return where === kind ? `${kind} ${destination.position}` : `${kind} ${destination.position} (${where})`;
}

/** What a log line says about a notification (never its destination's secret). */
function about(payload: NotificationPayload): Record<string, unknown> {
  const { event, id: delivery, sequence, application, environment } = payload;
  return { event, delivery, sequence, application, environment };
}
