import { keysOf } from './config-keys';
import { httpUrlProblem } from './config-validation';
import { ValidationIssue } from './errors';
import * as names from './names';
import { NOTIFICATION_EVENTS, NOTIFICATION_KINDS, NotificationDestinationConfig, NotificationKind } from './notification-config';
import { isPlainObject } from './plain-object';
import { unknownKeyIssues } from './unknown-keys';

export const MAX_NOTIFICATION_DESTINATIONS = 10;

export const NOTIFICATION_DESTINATION_KEYS = keysOf<NotificationDestinationConfig>({
  kind: true, url: true, secret: true, secretArn: true, urlSecretArn: true, topicArn: true, events: true, environments: true,
});

/** The fields each kind takes beside the filters: one of each inner list (exactly one). */
const KIND_FIELDS: Record<NotificationKind, readonly (readonly (keyof NotificationDestinationConfig)[])[]> = {
  webhook: [['url'], ['secret', 'secretArn']],
  slack: [['url', 'urlSecretArn']],
  sns: [['topicArn']],
};

const SNS_TOPIC_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/;
const MAX_SECRET = 1024;

/**
 * `notifications` of an application as JSON (custom resource properties, the local config file):
 * a list of destinations, each object's keys checked. Values are checked by validateNotifications.
 */
export function parseNotifications(raw: unknown, path: string, issues: ValidationIssue[]): NotificationDestinationConfig[] {
  if (!Array.isArray(raw)) {
    issues.push({ path, message: 'must be a list of destinations' });
    return [];
  }
  return raw.map((item, index) => {
    const at = `${path}[${index}]`;
    if (!isPlainObject(item)) {
      issues.push({ path: at, message: 'must be an object' });
      return { kind: 'webhook' };
    }
    issues.push(...unknownKeyIssues(item, NOTIFICATION_DESTINATION_KEYS, at));
    const destination: Record<string, unknown> = {};
    for (const field of ['kind', 'url', 'secret', 'secretArn', 'urlSecretArn', 'topicArn'] as const) {
      const value = item[field];
      if (value === undefined || value === null) continue;
      if (typeof value === 'string') destination[field] = value;
      else issues.push({ path: `${at}.${field}`, message: 'must be a string' });
    }
    for (const field of ['events', 'environments'] as const) {
      const value = item[field];
      if (value === undefined || value === null) continue;
      if (Array.isArray(value) && value.every(entry => typeof entry === 'string')) destination[field] = value;
      else issues.push({ path: `${at}.${field}`, message: 'must be a list of strings' });
    }
    return destination as unknown as NotificationDestinationConfig;
  });
}

/**
 * Every rule of an application's notification destinations: a known kind with exactly the fields
 * it takes (a webhook: an http(s) URL and its key; Slack: the incoming webhook's URL, or the
 * secret holding it; SNS: a topic ARN), known events, environments of the application
 * (or, `withPreviews`, a preview's `pr-<n>`). Secrets are never repeated in a message.
 */
export function validateNotifications(
  destinations: readonly NotificationDestinationConfig[] | undefined,
  environmentNames: readonly string[],
  path: string,
  isUnresolved: (value: string) => boolean = () => false,
  withPreviews = false,
): ValidationIssue[] {
  if (destinations === undefined) return [];
  const issues: ValidationIssue[] = [];
  if (destinations.length > MAX_NOTIFICATION_DESTINATIONS) {
    issues.push({ path, message: `at most ${MAX_NOTIFICATION_DESTINATIONS} destinations, got ${destinations.length}` });
  }
  destinations.forEach((destination, index) => {
    const at = `${path}[${index}]`;
    const add = (field: string, message: string) => issues.push({ path: `${at}.${field}`, message });
    if (!NOTIFICATION_KINDS.includes(destination.kind)) {
      add('kind', `must be one of ${NOTIFICATION_KINDS.join(', ')}`);
      return;
    }
    const groups = KIND_FIELDS[destination.kind];
    for (const group of groups) {
      const given = group.filter(field => destination[field] !== undefined);
      if (given.length !== 1) add(group[0], `a ${destination.kind} destination needs ${group.length === 1 ? group[0] : `exactly one of ${group.join(', ')}`}`);
    }
    const used = new Set<string>(['kind', 'events', 'environments', ...groups.flat()]);
    for (const field of ['url', 'secret', 'secretArn', 'urlSecretArn', 'topicArn'] as const) {
      if (destination[field] !== undefined && !used.has(field)) add(field, `is not used by a ${destination.kind} destination`);
    }
    const url = destination.url;
    if (url !== undefined && !isUnresolved(url)) {
      // A Slack URL is a secret itself: never repeat it.
      const problem = httpUrlProblem(url);
      if (problem) add('url', destination.kind === 'slack' ? 'must be an http(s) URL (the incoming webhook\'s)' : problem);
    }
    if (destination.secret !== undefined && (destination.secret.length === 0 || destination.secret.length > MAX_SECRET)) {
      add('secret', `must be 1 to ${MAX_SECRET} characters`);
    }
    if (destination.topicArn !== undefined && !isUnresolved(destination.topicArn) && !SNS_TOPIC_ARN.test(destination.topicArn)) {
      add('topicArn', `must be an SNS topic's ARN (arn:aws:sns:<region>:<account>:<name>), got '${names.printable(destination.topicArn)}'`);
    }
    for (const field of ['secretArn', 'urlSecretArn'] as const) {
      const value = destination[field];
      if (value !== undefined && !isUnresolved(value) && (value.trim() === '' || value.length > 2048)) add(field, 'must name a secret (its name or ARN)');
    }
    if (destination.events !== undefined) {
      if (destination.events.length === 0) add('events', 'must name at least one event (leave it out for every event)');
      destination.events.forEach((event, i) => {
        if (!NOTIFICATION_EVENTS.includes(event)) add(`events[${i}]`, `'${names.printable(event)}' is not an event; events are ${NOTIFICATION_EVENTS.join(', ')}`);
      });
    }
    if (destination.environments !== undefined) {
      if (destination.environments.length === 0) add('environments', 'must name at least one environment (leave it out for every environment)');
      destination.environments.forEach((name, i) => {
        if (!isUnresolved(name) && !environmentNames.includes(name) && !(withPreviews && /^pr-\d{1,9}$/.test(name))) {
          const previews = withPreviews ? ", or a preview's pr-<n>" : '';
          add(`environments[${i}]`, `'${names.printable(name)}' is not an environment of this application (${environmentNames.join(', ')}${previews})`);
        }
      });
    }
  });
  return issues;
}
