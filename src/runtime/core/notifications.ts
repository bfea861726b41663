import { createHmac } from 'crypto';
import { NotificationDestinationConfig, NotificationEvent } from './notification-config';
import { NotificationDetails } from './ports';
import { Deployment, TriggerKind } from './types';

/** Header names of a webhook delivery: the signature covers the exact body bytes. */
export const NOTIFICATION_HEADERS = {
  signature: 'X-Trellis-Signature-256',
  event: 'X-Trellis-Event',
  delivery: 'X-Trellis-Delivery',
  sequence: 'X-Trellis-Sequence',
  timestamp: 'X-Trellis-Timestamp',
} as const;

/** The JSON body every destination gets (Slack a message made from it). */
export interface NotificationPayload {
  /** This delivery's id (a UUID); the same in every retry of it. */
  readonly id: string;
  readonly event: NotificationEvent;
  /** Counts the environment's events from 1, in the order they happened: receivers order by it. */
  readonly sequence: number;
  /** When the event was produced (ISO); signed with the rest, so receivers can refuse replays. */
  readonly timestamp: string;
  readonly installation: string;
  readonly application: string;
  readonly environment: string;
  readonly deployment?: NotificationDeployment;
  readonly pullRequest?: NotificationDetails['pullRequest'];
}

export interface NotificationDeployment {
  readonly id: string;
  readonly action: Deployment['action'];
  readonly status: Deployment['status'];
  readonly commit: string;
  readonly branch?: string;
  readonly reason?: string;
  readonly trigger: { readonly kind: TriggerKind; readonly actor?: string };
  /** The deployment's page on the dashboard. */
  readonly url: string;
}

/**
 * The event a deployment's new status is, if any: queued; succeeded (a rollback's success is
 * `deployment.rolled_back`, a teardown's `environment.torn_down`); failed; superseded. Running
 * and cancelled are not notified.
 */
export function deploymentEvent(deployment: Pick<Deployment, 'status' | 'action'>): NotificationEvent | undefined {
  switch (deployment.status) {
    case 'queued': return 'deployment.queued';
    case 'failed': return 'deployment.failed';
    case 'superseded': return 'deployment.superseded';
    case 'succeeded':
      if (deployment.action === 'rollback') return 'deployment.rolled_back';
      if (deployment.action === 'teardown') return 'environment.torn_down';
      return 'deployment.succeeded';
    default: return undefined;
  }
}

/** Whether the destination wants this environment's event (its filters; none = everything). */
export function wantsEvent(destination: NotificationDestinationConfig, event: NotificationEvent, environment: string): boolean {
  return (destination.events === undefined || destination.events.includes(event))
    && (destination.environments === undefined || destination.environments.includes(environment));
}

/** What a payload is made of: its own fields, and the deployment and pull request it is about. */
export interface PayloadFacts extends Omit<NotificationPayload, 'deployment' | 'pullRequest'> {
  readonly details?: NotificationDetails;
  /** The dashboard's deployment page for an id. */
  readonly deploymentUrl: (id: string) => string;
}

export function notificationPayload(facts: PayloadFacts): NotificationPayload {
  const { details } = facts;
  const deployment = details?.deployment;
  return {
    id: facts.id,
    event: facts.event,
    sequence: facts.sequence,
    timestamp: facts.timestamp,
    installation: facts.installation,
    application: facts.application,
    environment: facts.environment,
    ...deployment && {
      deployment: {
        id: deployment.id,
        action: deployment.action,
        status: deployment.status,
        commit: deployment.commit,
        ...deployment.branch !== undefined && { branch: deployment.branch },
        ...deployment.reason !== undefined && { reason: deployment.reason },
        trigger: { kind: deployment.trigger.kind, ...deployment.trigger.actor !== undefined && { actor: deployment.trigger.actor } },
        url: facts.deploymentUrl(deployment.id),
      },
    },
    ...details?.pullRequest && { pullRequest: details.pullRequest },
  };
}

/** `sha256=<hex HMAC-SHA256 of the body bytes>`: the value of X-Trellis-Signature-256. */
export function notificationSignature(secret: string, body: string | Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

const EVENT_WORDS: Record<NotificationEvent, string> = {
  'deployment.queued': 'queued',
  'deployment.succeeded': 'succeeded',
  'deployment.failed': 'failed',
  'deployment.superseded': 'superseded',
  'deployment.rolled_back': 'rolled back',
  'environment.torn_down': 'torn down',
  'preview.created': 'preview created',
  'preview.removed': 'preview removed',
};

const EVENT_MARKS: Partial<Record<NotificationEvent, string>> = {
  'deployment.succeeded': ':white_check_mark:',
  'deployment.failed': ':x:',
  'deployment.rolled_back': ':leftwards_arrow_with_hook:',
};

/**
 * A Slack message a person reads: status, application/environment, commit, reason, link.
 * Slack's mrkdwn treats `<`, `>` and `&` as markup, so values are escaped.
 */
export function slackMessage(payload: NotificationPayload): { text: string } {
  const deployment = payload.deployment;
  const mark = EVENT_MARKS[payload.event] ?? ':information_source:';
  const head = `${mark} *${slackEscape(payload.application)}/${slackEscape(payload.environment)}*: ${EVENT_WORDS[payload.event]}`;
  const lines = [head];
  if (deployment) {
    const auto = deployment.trigger.kind === 'auto-rollback' ? ' (automatic)' : '';
    lines.push(`${deployment.action}${auto} of \`${deployment.commit.slice(0, 7)}\`${deployment.branch ? ` (${slackEscape(deployment.branch)})` : ''}`);
    if (deployment.reason) lines.push(`Reason: ${slackEscape(deployment.reason)}`);
    lines.push(`<${deployment.url}|Open on the dashboard>`);
  }
  if (payload.pullRequest) {
    const title = payload.pullRequest.title ? `: ${slackEscape(payload.pullRequest.title)}` : '';
    lines.push(`Pull request #${payload.pullRequest.number}${title}`);
  }
  return { text: lines.join('\n') };
}

function slackEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
