import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { TableContext, isConditionFailed, queryAll, withoutKeys } from './table-context';
import { keys } from '../../contract/table-schema';
import { ENVIRONMENT_KEYS } from '../core/config-keys';
import { effectiveEnvironment } from '../core/effective-environment';
import { NotFoundError } from '../core/errors';
import { ConfigStore } from '../core/ports';
import { ApplicationConfig, EnvironmentConfig, EnvironmentOverrides, EnvironmentRecord } from '../core/types';

const APP_ENTITY = 'application';
const ENV_ENTITY = 'environment';

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

  async listApplications(): Promise<ApplicationConfig[]> {
    const items = await queryAll(this.ctx, {
      KeyConditionExpression: 'PK = :pk',
      ExpressionAttributeValues: { ':pk': keys.configuration().PK },
      ConsistentRead: true,
    });
    const envs = items.filter(item => item.entity === ENV_ENTITY).map(environmentFromItem);
    return items
      .filter(item => item.entity === APP_ENTITY)
      .map(item => withoutKeys<{ name: string; repository: string; rootDirectory?: string }>(item))
      .map(app => ({ ...app, environments: inOrder(envs.filter(env => env.application === app.name)) }));
  }

  async getApplication(name: string): Promise<ApplicationConfig | undefined> {
    const result = await this.ctx.doc.send(new GetCommand({ TableName: this.ctx.tableName, Key: keys.application(name), ConsistentRead: true }));
    if (!result.Item) return undefined;
    const app = withoutKeys<{ name: string; repository: string; rootDirectory?: string }>(result.Item);
    return { ...app, environments: await this.listEnvironments(name) };
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
    for (const app of apps) {
      await this.ctx.doc.send(new PutCommand({
        TableName: this.ctx.tableName,
        Item: {
          ...keys.application(app.name),
          entity: APP_ENTITY,
          name: app.name,
          repository: app.repository,
          ...app.rootDirectory !== undefined && { rootDirectory: app.rootDirectory },
        },
      }));
      for (const [position, env] of app.environments.entries()) {
        await this.upsertEnvironment(app.name, env, position);
      }
    }
    // Removed from the configuration: delete the config items; history stays.
    for (const old of stored) {
      const current = apps.find(app => app.name === old.name);
      for (const env of old.environments) {
        if (!current?.environments.some(e => e.name === env.name)) {
          await this.ctx.doc.send(new DeleteCommand({ TableName: this.ctx.tableName, Key: keys.environment(old.name, env.name) }));
        }
      }
      if (!current) {
        await this.ctx.doc.send(new DeleteCommand({ TableName: this.ctx.tableName, Key: keys.application(old.name) }));
      }
    }
  }

  /** SET only configuration attributes so the lock, current version and overrides survive a sync. */
  private async upsertEnvironment(application: string, env: EnvironmentConfig, position: number): Promise<void> {
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
    const removed: string[] = [];
    for (const field of OPTIONAL_ENV_FIELDS) {
      if (env[field] === undefined) removed.push(field);
      else values[field] = env[field];
    }
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

function environmentFromItem(item: Record<string, unknown>): EnvironmentRecord {
  return effectiveEnvironment(withoutKeys<EnvironmentRecord>(item));
}

function inOrder(envs: EnvironmentRecord[]): EnvironmentRecord[] {
  return [...envs].sort((a, b) => a.position - b.position);
}
