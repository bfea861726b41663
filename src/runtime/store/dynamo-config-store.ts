import { DeleteCommand, GetCommand, PutCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { TableContext, isConditionFailed, queryAll, withoutKeys } from './table-context';
import { keys } from '../../contract/table-schema';
import { ENVIRONMENT_KEYS } from '../core/config-keys';
import { effectiveEnvironment } from '../core/effective-environment';
import { ConflictError, NotFoundError } from '../core/errors';
import { ConfigStore, DeleteOptions } from '../core/ports';
import { ApplicationConfig, ApplicationRecord, DeletionMark, EnvironmentConfig, EnvironmentOverrides, EnvironmentRecord } from '../core/types';

const APP_ENTITY = 'application';
const ENV_ENTITY = 'environment';
/** An application item the dashboard made (code's have no origin attribute), and not being deleted. */
const DASHBOARD_MADE = 'origin = :dashboard';
/** An environment that runs nothing: its configuration may go. */
const RUNS_NOTHING = 'attribute_exists(PK) AND attribute_not_exists(lockHolder) AND attribute_not_exists(currentDeploymentId)';
/** Leaving a deployed version behind (DeleteOptions.keepDeployed): only no deployment may be under way. */
const NOTHING_UNDER_WAY = 'attribute_exists(PK) AND attribute_not_exists(lockHolder)';

/**
 * Configuration attributes of an environment item; the rest is runtime state and the
 * dashboard's `overrides`, which sync never writes. Items hold the code's values; every
 * read returns the effective ones (overrides applied) with the raw `overrides` alongside.
 */
/** What every environment item has (written as is); every other configuration key is written when set, removed when not. */
const REQUIRED_ENV_FIELDS: readonly string[] = ['name', 'kind', 'autoDeploy', 'runTests', 'testCommand', 'variables', 'protected'];
const OPTIONAL_ENV_FIELDS = ENVIRONMENT_KEYS.filter(field => !REQUIRED_ENV_FIELDS.includes(field));
export class DynamoConfigStore implements ConfigStore {
  constructor(private readonly ctx: TableContext) {}

  async listApplications(): Promise<ApplicationRecord[]> {
    const items = await queryAll(this.ctx, {
      KeyConditionExpression: 'PK = :pk',
      ExpressionAttributeValues: { ':pk': keys.configuration().PK },
      ConsistentRead: true,
    });
    const envs = items.filter(item => item.entity === ENV_ENTITY).map(environmentFromItem);
    return items
      .filter(item => item.entity === APP_ENTITY)
      .map(item => withoutKeys<StoredApplication>(item))
      .map(app => ({ ...app, environments: inOrder(envs.filter(env => env.application === app.name)) }));
  }

  async getApplication(name: string): Promise<ApplicationRecord | undefined> {
    const app = await this.applicationItem(name);
    return app && { ...app, environments: await this.listEnvironments(name) };
  }

  private async applicationItem(name: string): Promise<StoredApplication | undefined> {
    const result = await this.ctx.doc.send(new GetCommand({ TableName: this.ctx.tableName, Key: keys.application(name), ConsistentRead: true }));
    return result.Item && withoutKeys<StoredApplication>(result.Item);
  }

  async listEnvironments(application: string): Promise<EnvironmentRecord[]> {
    const { PK, SK_PREFIX } = keys.environmentsOf(application);
    const items = await queryAll(this.ctx, {
      KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
      ExpressionAttributeValues: { ':pk': PK, ':prefix': SK_PREFIX },
      ConsistentRead: true,
    });
    return inOrder(items.map(environmentFromItem));
  }

  async getEnvironment(application: string, environment: string): Promise<EnvironmentRecord | undefined> {
    const result = await this.ctx.doc.send(new GetCommand({
      TableName: this.ctx.tableName, Key: keys.environment(application, environment), ConsistentRead: true,
    }));
    return result.Item ? environmentFromItem(result.Item) : undefined;
  }

  async setOverrides(application: string, environment: string, overrides: EnvironmentOverrides): Promise<EnvironmentRecord> {
    const empty = Object.keys(overrides).length === 0;
    try {
      const result = await this.ctx.doc.send(new UpdateCommand({
        TableName: this.ctx.tableName,
        Key: keys.environment(application, environment),
        UpdateExpression: empty ? 'REMOVE overrides' : 'SET overrides = :o',
        // Never create an item: an environment removed from code stays removed.
        ConditionExpression: 'attribute_exists(PK)',
        ...!empty && { ExpressionAttributeValues: { ':o': overrides } },
        ReturnValues: 'ALL_NEW',
      }));
      return environmentFromItem(result.Attributes!);
    } catch (error) {
      if (isConditionFailed(error)) throw new NotFoundError(`environment ${application}/${environment} does not exist`);
      throw error;
    }
  }

  async syncApplications(apps: readonly ApplicationConfig[]): Promise<void> {
    const stored = await this.listApplications();
    // Before anything is written: code never replaces what was made on the dashboard (its environments, what they deployed).
    const clashing = stored.filter(old => old.origin === 'dashboard' && apps.some(app => app.name === old.name)).map(old => old.name);
    if (clashing.length > 0) {
      throw new ConflictError(`application ${clashing.join(', ')} was made on the dashboard: delete it there (its environments are torn down), `
        + 'or give the application in code another name');
    }
    for (const app of apps) {
      await this.ctx.doc.send(new PutCommand({
        TableName: this.ctx.tableName,
        Item: { ...keys.application(app.name), entity: APP_ENTITY, ...applicationAttributes(app) },
      }));
      for (const [position, env] of app.environments.entries()) {
        await this.upsertEnvironment(app.name, env, position);
      }
    }
    // Removed from the configuration: delete the config items; history stays. Dashboard-made ones are not code's to remove,
    // nor are pull requests' previews (they go when their pull request closes).
    for (const old of stored.filter(app => app.origin !== 'dashboard')) {
      const current = apps.find(app => app.name === old.name);
      for (const env of old.environments.filter(e => (e as EnvironmentRecord).preview === undefined)) {
        if (!current?.environments.some(e => e.name === env.name)) {
          await this.ctx.doc.send(new DeleteCommand({ TableName: this.ctx.tableName, Key: keys.environment(old.name, env.name) }));
        }
      }
      if (!current) {
        await this.ctx.doc.send(new DeleteCommand({ TableName: this.ctx.tableName, Key: keys.application(old.name) }));
      }
    }
  }

  async createApplication(app: ApplicationConfig): Promise<ApplicationRecord> {
    const item = { ...keys.application(app.name), entity: APP_ENTITY, ...applicationAttributes(app), origin: 'dashboard' };
    try {
      await this.ctx.doc.send(new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName: this.ctx.tableName, Item: item, ConditionExpression: 'attribute_not_exists(PK)' } },
          ...app.environments.map((env, position) => ({
            Put: { TableName: this.ctx.tableName, Item: environmentItem(app.name, env, position), ConditionExpression: 'attribute_not_exists(PK)' },
          })),
        ],
      }));
    } catch (error) {
      if (isConditionFailed(error)) throw new ConflictError(`application ${app.name} exists`);
      throw error;
    }
    return (await this.getApplication(app.name))!;
  }

  async addEnvironment(application: string, env: EnvironmentConfig): Promise<EnvironmentRecord> {
    if (!await this.applicationItem(application)) throw new NotFoundError(`application ${application} does not exist`);
    const envs = await this.listEnvironments(application);
    if (envs.some(other => other.name === env.name)) throw new ConflictError(`environment ${application}/${env.name} exists`);
    const position = Math.max(-1, ...envs.map(other => other.position)) + 1;
    try {
      await this.ctx.doc.send(new TransactWriteCommand({
        TransactItems: [
          this.dashboardApplicationCheck(application, ' AND attribute_not_exists(deleting)'),
          { Put: { TableName: this.ctx.tableName, Item: environmentItem(application, env, position), ConditionExpression: 'attribute_not_exists(PK)' } },
        ],
      }));
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
      const [appFailed] = cancelledAt(error);
      throw new ConflictError(appFailed
        ? `application ${application} is not a dashboard-made application (or is being deleted): no environment can be added to it here`
        : `environment ${application}/${env.name} exists`);
    }
    return (await this.getEnvironment(application, env.name))!;
  }

  async markDeleting(application: string, environment: string | undefined, mark: DeletionMark): Promise<void> {
    const set = { UpdateExpression: 'SET deleting = :mark', ExpressionAttributeValues: { ':mark': mark } };
    const notDashboard = new ConflictError(`application ${application} is not a dashboard-made application`);
    try {
      if (environment === undefined) {
        await this.ctx.doc.send(new UpdateCommand({
          TableName: this.ctx.tableName,
          Key: keys.application(application),
          ...set,
          ConditionExpression: DASHBOARD_MADE,
          ExpressionAttributeValues: { ...set.ExpressionAttributeValues, ':dashboard': 'dashboard' },
        }));
        return;
      }
      await this.ctx.doc.send(new TransactWriteCommand({
        TransactItems: [
          this.dashboardApplicationCheck(application),
          { Update: { TableName: this.ctx.tableName, Key: keys.environment(application, environment), ...set, ConditionExpression: 'attribute_exists(PK)' } },
        ],
      }));
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
      if (environment === undefined || cancelledAt(error)[0]) throw notDashboard;
      throw new ConflictError(`environment ${application}/${environment} does not exist`);
    }
  }

  async deleteEnvironment(application: string, environment: string, options: DeleteOptions = {}): Promise<void> {
    try {
      await this.ctx.doc.send(new TransactWriteCommand({
        TransactItems: [
          this.dashboardApplicationCheck(application),
          { Delete: { TableName: this.ctx.tableName, Key: keys.environment(application, environment), ConditionExpression: deletable(options) } },
        ],
      }));
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
      throw new ConflictError(cancelledAt(error)[0]
        ? `application ${application} is not a dashboard-made application`
        : `environment ${application}/${environment} does not exist, or still runs a deployment or a deployed version`);
    }
  }

  async deleteApplication(application: string, options: DeleteOptions = {}): Promise<void> {
    const envs = await this.listEnvironments(application);
    try {
      await this.ctx.doc.send(new TransactWriteCommand({
        TransactItems: [
          {
            Delete: {
              TableName: this.ctx.tableName,
              Key: keys.application(application),
              ConditionExpression: DASHBOARD_MADE,
              ExpressionAttributeValues: { ':dashboard': 'dashboard' },
            },
          },
          ...envs.map(env => ({
            Delete: { TableName: this.ctx.tableName, Key: keys.environment(application, env.name), ConditionExpression: deletable(options) },
          })),
        ],
      }));
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
      throw new ConflictError(cancelledAt(error)[0]
        ? `application ${application} does not exist or is not a dashboard-made application`
        : `application ${application} has an environment that still runs a deployment or a deployed version`);
    }
  }

  /** A transaction's check that the application item is dashboard-made (and `also`). */
  private dashboardApplicationCheck(application: string, also = '') {
    return {
      ConditionCheck: {
        TableName: this.ctx.tableName,
        Key: keys.application(application),
        ConditionExpression: DASHBOARD_MADE + also,
        ExpressionAttributeValues: { ':dashboard': 'dashboard' },
      },
    };
  }

  /**
   * SET only configuration attributes so the lock, current version and overrides survive a sync;
   * a deletion mark does not (code defines the environment now).
   */
  private async upsertEnvironment(application: string, env: EnvironmentConfig, position: number): Promise<void> {
    const values = environmentAttributes(application, env, position);
    const removed = [...OPTIONAL_ENV_FIELDS.filter(field => env[field] === undefined), 'deleting'];
    const names = Object.keys(values);
    await this.ctx.doc.send(new UpdateCommand({
      TableName: this.ctx.tableName,
      Key: keys.environment(application, env.name),
      UpdateExpression: `SET ${names.map((_, i) => `#f${i} = :v${i}`).join(', ')}`
        + (removed.length ? ` REMOVE ${removed.map((_, i) => `#r${i}`).join(', ')}` : ''),
      ExpressionAttributeNames: {
        ...Object.fromEntries(names.map((name, i) => [`#f${i}`, name])),
        ...Object.fromEntries(removed.map((name, i) => [`#r${i}`, name])),
      },
      ExpressionAttributeValues: Object.fromEntries(names.map((name, i) => [`:v${i}`, values[name]])),
    }));
  }
}

type StoredApplication = Omit<ApplicationRecord, 'environments'>;

function applicationAttributes(app: ApplicationConfig): Record<string, unknown> {
  return {
    name: app.name,
    repository: app.repository,
    ...app.rootDirectory !== undefined && { rootDirectory: app.rootDirectory },
    ...app.previews !== undefined && { previews: app.previews },
    ...app.notifications !== undefined && { notifications: app.notifications },
  };
}

/** The configuration attributes of an environment item (optional fields only when set). */
function environmentAttributes(application: string, env: EnvironmentConfig, position: number): Record<string, unknown> {
  const values: Record<string, unknown> = {
    entity: ENV_ENTITY,
    application,
    name: env.name,
    kind: env.kind,
    autoDeploy: env.autoDeploy,
    runTests: env.runTests,
    testCommand: [...env.testCommand],
    variables: { ...env.variables },
    protected: env.protected,
    position,
  };
  for (const field of OPTIONAL_ENV_FIELDS) {
    if (env[field] !== undefined) values[field] = env[field];
  }
  return values;
}

export function environmentItem(application: string, env: EnvironmentConfig, position: number): Record<string, unknown> {
  return { ...keys.environment(application, env.name), ...environmentAttributes(application, env, position) };
}

/** Which items of a cancelled transaction failed their condition, by position. */
function cancelledAt(error: unknown): boolean[] {
  const reasons = (error as { CancellationReasons?: Array<{ Code?: string }> }).CancellationReasons ?? [];
  return reasons.map(reason => reason.Code === 'ConditionalCheckFailed');
}

export function environmentFromItem(item: Record<string, unknown>): EnvironmentRecord {
  return effectiveEnvironment(withoutKeys<EnvironmentRecord>(item));
}

function inOrder(envs: EnvironmentRecord[]): EnvironmentRecord[] {
  return [...envs].sort((a, b) => a.position - b.position);
}

function deletable(options: DeleteOptions): string {
  return options.keepDeployed ? NOTHING_UNDER_WAY : RUNS_NOTHING;
}
