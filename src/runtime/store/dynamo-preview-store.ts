import { GetCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { environmentFromItem, environmentItem } from './dynamo-config-store';
import { TableContext, backOff, isConditionFailed, queryAll } from './table-context';
import { keys } from '../../contract/table-schema';
import { ConflictError } from '../core/errors';
import { PreviewChange, PreviewOpening, PreviewSettings, PreviewStore } from '../core/preview-store';
import { DeletionMark, EnvironmentConfig, EnvironmentRecord, PreviewRecord } from '../core/types';

const PREVIEWS_ENTITY = 'previews';
const IS_PREVIEW = 'attribute_exists(preview)';
const MAX_RACES = 5;
/** As the config store's: an environment that runs nothing may go. */
const RUNS_NOTHING = 'attribute_not_exists(lockHolder) AND attribute_not_exists(currentDeploymentId)';

export class DynamoPreviewStore implements PreviewStore {
  constructor(private readonly ctx: TableContext) {}

  async settings(application: string): Promise<PreviewSettings> {
    const [result, envs] = await Promise.all([
      this.ctx.doc.send(new GetCommand({ TableName: this.ctx.tableName, Key: keys.previews(application), ConsistentRead: true })),
      this.previews(application),
    ]);
    return { enabled: result.Item?.disabled !== true, open: envs.map(env => env.name) };
  }

  async setEnabled(application: string, enabled: boolean): Promise<PreviewSettings> {
    await this.ctx.doc.send(new UpdateCommand({
      TableName: this.ctx.tableName,
      Key: keys.previews(application),
      UpdateExpression: enabled ? 'SET entity = :entity REMOVE disabled' : 'SET entity = :entity, disabled = :true',
      ExpressionAttributeValues: { ':entity': PREVIEWS_ENTITY, ...!enabled && { ':true': true } },
    }));
    return this.settings(application);
  }

  async open(application: string, env: EnvironmentConfig, preview: PreviewRecord, position: number, maxConcurrent: number): Promise<PreviewOpening> {
    const existing = await this.environment(application, env.name);
    if (existing) return { outcome: 'exists', env: existing };
    try {
      await this.ctx.doc.send(new TransactWriteCommand({
        TransactItems: [
          {
            // A place under the cap, counted in the write that makes the environment (and given back in the one that deletes it).
            Update: {
              TableName: this.ctx.tableName,
              Key: keys.previews(application),
              UpdateExpression: 'SET entity = :entity ADD openCount :one',
              ConditionExpression: 'attribute_not_exists(openCount) OR openCount < :max',
              ExpressionAttributeValues: { ':entity': PREVIEWS_ENTITY, ':one': 1, ':max': maxConcurrent },
            },
          },
          {
            Put: {
              TableName: this.ctx.tableName,
              Item: { ...environmentItem(application, env, position), preview },
              ConditionExpression: 'attribute_not_exists(PK)',
            },
          },
        ],
      }));
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
      const made = await this.environment(application, env.name);
      if (made) return { outcome: 'exists', env: made };
      return { outcome: 'refused', open: (await this.previews(application)).map(other => other.name) };
    }
    return { outcome: 'opened', env: (await this.environment(application, env.name))! };
  }

  async update(application: string, environment: string, change: PreviewChange, expect: PreviewChange = {}): Promise<EnvironmentRecord> {
    // Compare and swap on the whole record: a write that lost a race reads again, a changed expectation is a conflict.
    for (let attempt = 0; ; attempt++) {
      const env = await this.environment(application, environment);
      const current = env?.preview;
      const fields = current as Record<string, unknown> | undefined;
      const expected = Object.entries(expect).every(([field, value]) => fields?.[field] === (value ?? undefined));
      if (!current || !expected) throw new ConflictError(`${application}/${environment} is not a preview, or it changed meanwhile`);
      const next: Record<string, unknown> = { ...current };
      for (const [field, value] of Object.entries(change)) {
        if (value === null || value === undefined) delete next[field];
        else next[field] = value;
      }
      try {
        // Only the `preview` attribute is named and returned: what the GitHub reporter's role may write (its comment's id).
        await this.ctx.doc.send(new UpdateCommand({
          TableName: this.ctx.tableName,
          Key: keys.environment(application, environment),
          UpdateExpression: 'SET preview = :next',
          ConditionExpression: 'preview = :current',
          ExpressionAttributeValues: { ':next': next, ':current': current },
        }));
        return (await this.environment(application, environment))!;
      } catch (error) {
        if (!isConditionFailed(error) || attempt >= MAX_RACES) throw isConditionFailed(error) ? new ConflictError(`${application}/${environment} kept changing: try again`) : error;
        await backOff(attempt);
      }
    }
  }

  async markDeleting(application: string, environment: string, mark: DeletionMark): Promise<void> {
    try {
      await this.ctx.doc.send(new UpdateCommand({
        TableName: this.ctx.tableName,
        Key: keys.environment(application, environment),
        UpdateExpression: 'SET deleting = :mark',
        ConditionExpression: IS_PREVIEW,
        ExpressionAttributeValues: { ':mark': mark },
      }));
    } catch (error) {
      if (isConditionFailed(error)) throw new ConflictError(`${application}/${environment} is not a preview`);
      throw error;
    }
  }

  async remove(application: string, environment: string): Promise<boolean> {
    try {
      await this.ctx.doc.send(new TransactWriteCommand({
        TransactItems: [
          {
            Delete: {
              TableName: this.ctx.tableName,
              Key: keys.environment(application, environment),
              ConditionExpression: `${IS_PREVIEW} AND ${RUNS_NOTHING}`,
            },
          },
          {
            Update: {
              TableName: this.ctx.tableName,
              Key: keys.previews(application),
              UpdateExpression: 'SET entity = :entity ADD openCount :minusOne',
              ExpressionAttributeValues: { ':entity': PREVIEWS_ENTITY, ':minusOne': -1 },
            },
          },
        ],
      }));
      return true;
    } catch (error) {
      if (isConditionFailed(error)) return false;
      throw error;
    }
  }

  private async environment(application: string, environment: string): Promise<EnvironmentRecord | undefined> {
    const key = keys.environment(application, environment);
    const result = await this.ctx.doc.send(new GetCommand({ TableName: this.ctx.tableName, Key: key, ConsistentRead: true }));
    return result.Item ? environmentFromItem(result.Item) : undefined;
  }

  private async previews(application: string): Promise<EnvironmentRecord[]> {
    const { PK, SK_PREFIX } = keys.environmentsOf(application);
    const items = await queryAll(this.ctx, {
      KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
      ExpressionAttributeValues: { ':pk': PK, ':prefix': SK_PREFIX },
      ConsistentRead: true,
    });
    return items.map(environmentFromItem).filter(env => env.preview !== undefined).sort((a, b) => a.position - b.position);
  }
}
