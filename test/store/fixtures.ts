import { ApplicationConfig, Clock, Deployment, DeploymentScheduler, EnvironmentConfig, Store, newDeploymentId } from '../../src/runtime/core';
import { ApiTokenRecord, NewApiToken, newApiToken } from '../../src/runtime/core/api-tokens';
import { NotificationFailureView } from '../../src/runtime/core/api-types';
import { freshStore } from '../support/test-table';

/** 2026-03-01T12:00:00.000Z */
export const T0 = Date.parse('2026-03-01T12:00:00.000Z');

/** A clock that moves 1 ms forward on every reading, so deployment ids come out in call order. */
export function steppingClock(start = T0): Clock {
  let at = start;
  return { now: () => new Date(at++) };
}

/** A clock that stands still until the test moves it. */
export class ManualClock implements Clock {
  constructor(public at = T0) {}
  now(): Date {
    return new Date(this.at);
  }
  advanceSeconds(seconds: number): void {
    this.at += seconds * 1000;
  }
  epochSeconds(): number {
    return Math.floor(this.at / 1000);
  }
}

/** A real-format deployment id whose order is `n`'s order (n milliseconds after T0). */
export function depId(n: number): string {
  return newDeploymentId({ now: () => new Date(T0 + n) }, () => n.toString(16).padStart(8, '0'));
}

export function envConfig(name: string, overrides: Partial<EnvironmentConfig> = {}): EnvironmentConfig {
  return {
    name,
    kind: 'custom',
    autoDeploy: false,
    runTests: false,
    testCommand: [],
    variables: {},
    protected: false,
    ...overrides,
  };
}

export function appConfig(name: string, environments: EnvironmentConfig[], repository = `acme/${name}`): ApplicationConfig {
  return { name, repository, environments };
}

/** A store on a fresh DynamoDB Local table, on a stepping clock, with `applications` configured; and a scheduler over it. */
export async function configuredStore(applications: ApplicationConfig[]): Promise<{ store: Store; clock: Clock; scheduler: DeploymentScheduler }> {
  const clock = steppingClock();
  const { store } = await freshStore(clock);
  await store.config.syncApplications(applications);
  return { store, clock, scheduler: new DeploymentScheduler(store, clock) };
}

export function queuedDeployment(id: string, application: string, environment: string, overrides: Partial<Deployment> = {}): Deployment {
  const at = new Date(T0).toISOString();
  return {
    id,
    application,
    environment,
    action: 'deploy',
    commit: 'a'.repeat(40),
    branch: 'main',
    trigger: { kind: 'push', actor: 'octocat', deliveryId: `delivery-${id}` },
    status: 'queued',
    createdAt: at,
    updatedAt: at,
    ...overrides,
  };
}

/**
 * An API token stored as the API stores one (a viewer's on `web`, valid a day, unless `fields`
 * say otherwise); answers the token itself, which only its creator ever sees.
 */
export async function storedApiToken(store: Store, fields: Partial<ApiTokenRecord> = {}): Promise<NewApiToken> {
  const made = newApiToken();
  await store.apiTokens.create({
    id: made.id,
    name: 'ci',
    role: 'viewer',
    application: 'web',
    createdBy: 'ada',
    createdAt: new Date().toISOString(),
    expiresAt: new Date(Date.now() + 86_400_000).toISOString(),
    ...fields,
    secretHash: made.secretHash,
  });
  return made;
}

/** A failed notification delivery as the notifier records one: number `n`, a second apart from T0. */
export function notificationFailure(n: number, overrides: Partial<NotificationFailureView> = {}): NotificationFailureView {
  return {
    id: `delivery-${n}`,
    at: new Date(T0 + n * 1000).toISOString(),
    application: 'shop',
    environment: 'dev',
    event: 'deployment.failed',
    sequence: n,
    kind: 'webhook',
    destination: 'webhook 1 (https://hooks.example.com)',
    position: 1,
    attempts: 3,
    error: 'HTTP 500',
    ...overrides,
  };
}
