import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { decodeCursor, encodeCursor } from './cursor';
import { TableContext, backOff, isConditionFailed, pageLimit, withoutKeys } from './table-context';
import { GSI1, GSI1_PARTITION_KEY, GSI1_SORT_KEY, PARTITION_KEY, SORT_KEY, TTL_ATTRIBUTE, keys } from '../../contract/table-schema';
import { ConflictError, IllegalTransitionError, NotFoundError } from '../core/errors';
import { BUILD_PHASES, BuildPhase } from '../core/phase-markers';
import { Claim, ClaimOptions, Clock, CurrentVersion, DeploymentStore, LogBinding, systemClock } from '../core/ports';
import { Ordered, Verdict, compareRequests, pushOrder, sameBranch, successor, undecided } from '../core/push-order';
import { allowedSources, isTerminal } from '../core/state-machine';
import { Deployment, DeploymentStatus, Page, PhaseRecord, TransitionDetails } from '../core/types';

const ENTITY = 'deployment';
/** An ingest token outlives every launch of its deployment (RunTask's client tokens live 24 hours). */
const INGEST_TOKEN_TTL_SECONDS = 7 * 24 * 60 * 60;

/** The item attribute with the task's ingest token hash: read by logBinding only, never part of a Deployment. */
const INGEST_TOKEN_HASH = 'ingestTokenHash';
const DEFAULT_PAGE = 20;
const MAX_PAGE = 100;
/** A LastEvaluatedKey of a GSI1 query: the index key and the table key. */
const INDEX_KEY_NAMES = [PARTITION_KEY, SORT_KEY, GSI1_PARTITION_KEY, GSI1_SORT_KEY];
/** Claim and release retry when the lock changes hands between their two writes. */
const MAX_ATTEMPTS = 32;
/** Recorded deployments of an environment a push is ordered through (its branch's recent pushes). */
const PUSH_HISTORY = 100;
const ORDERED_ATTRIBUTES = ['id', 'commit', 'branch', 'repository', 'trigger', 'push'];
const ORDERED_PROJECTION = {
  ProjectionExpression: ORDERED_ATTRIBUTES.map(name => `#${name}`).join(', '),
  ExpressionAttributeNames: Object.fromEntries(ORDERED_ATTRIBUTES.map(name => [`#${name}`, name])),
};

/** The lock attributes of an environment item, and its deployed version (a push is compared with it). */
interface LockState {
  readonly lockHolder?: string;
  readonly pending?: string;
  readonly currentDeploymentId?: string;
}

export class DynamoDeploymentStore implements DeploymentStore {
  constructor(private readonly ctx: TableContext, private readonly clock: Clock = systemClock) {}

  async create(deployment: Deployment): Promise<void> {
    try {
      await this.ctx.doc.send(new PutCommand({
        TableName: this.ctx.tableName,
        Item: {
          ...keys.deployment(deployment.id),
          ...keys.deploymentIndex(deployment.application, deployment.environment, deployment.id),
          entity: ENTITY,
          ...deployment,
        },
        ConditionExpression: 'attribute_not_exists(PK)',
      }));
    } catch (error) {
      if (isConditionFailed(error)) throw new ConflictError(`deployment ${deployment.id} already exists`);
      throw error;
    }
  }

  async get(id: string): Promise<Deployment | undefined> {
    const result = await this.ctx.doc.send(new GetCommand({ TableName: this.ctx.tableName, Key: keys.deployment(id), ConsistentRead: true }));
    return result.Item ? deploymentFromItem(result.Item) : undefined;
  }

  async listByEnvironment(application: string, environment: string, options: { limit?: number; cursor?: string } = {}): Promise<Page<Deployment>> {
    const { GSI1PK } = keys.deploymentsOf(application, environment);
    const limit = pageLimit(options.limit, DEFAULT_PAGE, MAX_PAGE);
    const result = await this.ctx.doc.send(new QueryCommand({
      TableName: this.ctx.tableName,
      IndexName: GSI1,
      KeyConditionExpression: 'GSI1PK = :pk',
      ExpressionAttributeValues: { ':pk': GSI1PK },
      ScanIndexForward: false,
      Limit: limit,
      ExclusiveStartKey: decodeCursor(options.cursor, { GSI1PK }, INDEX_KEY_NAMES),
    }));
    return {
      items: (result.Items ?? []).map(item => deploymentFromItem(item)),
      cursor: encodeCursor(result.LastEvaluatedKey),
    };
  }

  async transition(id: string, to: DeploymentStatus, details: TransitionDetails = {}): Promise<Deployment> {
    const sources = allowedSources(to);
    const now = this.clock.now().toISOString();
    const values: Record<string, unknown> = { ':to': to, ':now': now, ...details.reason !== undefined && { ':reason': details.reason }, ...details.taskId !== undefined && { ':task': details.taskId } };
    const sets = ['#status = :to', 'updatedAt = :now'];
    if (to === 'running') sets.push('startedAt = :now');
    if (isTerminal(to)) sets.push('finishedAt = :now');
    if (details.reason !== undefined) sets.push('reason = :reason');
    if (details.taskId !== undefined) sets.push('taskId = :task');
    sources.forEach((status, i) => { values[`:from${i}`] = status; });
    if (sources.length === 0) throw await this.refusal(id, to);
    try {
      const result = await this.ctx.doc.send(new UpdateCommand({
        TableName: this.ctx.tableName,
        Key: keys.deployment(id),
        UpdateExpression: `SET ${sets.join(', ')}`,
        // The state machine as a condition: the write happens only from a legal source status.
        ConditionExpression: `attribute_exists(PK) AND #status IN (${sources.map((_, i) => `:from${i}`).join(', ')})`,
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: values,
        ReturnValues: 'ALL_NEW',
      }));
      return deploymentFromItem(result.Attributes!);
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
      throw await this.refusal(id, to);
    }
  }

  private async refusal(id: string, to: DeploymentStatus): Promise<Error> {
    const current = await this.get(id);
    return current ? new IllegalTransitionError(id, current.status, to) : new NotFoundError(`deployment ${id} does not exist`);
  }

  async attachTask(id: string, taskId: string, ingestTokenHash: string): Promise<void> {
    const attached = await this.conditionalUpdate({
      Key: keys.deployment(id),
      UpdateExpression: `SET taskId = :task, ${INGEST_TOKEN_HASH} = :hash, updatedAt = :now`,
      // The same task and token again is a repeated launch (the runner's start is idempotent), not a conflict.
      ConditionExpression: `#status = :running AND (attribute_not_exists(taskId) OR (taskId = :task AND ${INGEST_TOKEN_HASH} = :hash))`,
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':task': taskId, ':hash': ingestTokenHash, ':running': 'running', ':now': this.clock.now().toISOString() },
    });
    if (!attached) throw new ConflictError(`deployment ${id} is not a running deployment without a task (or with ${taskId} and the same ingest token)`);
  }

  async logBinding(id: string): Promise<LogBinding | undefined> {
    const result = await this.ctx.doc.send(new GetCommand({
      TableName: this.ctx.tableName,
      Key: keys.deployment(id),
      ProjectionExpression: `#status, taskId, ${INGEST_TOKEN_HASH}`,
      ExpressionAttributeNames: { '#status': 'status' },
      ConsistentRead: true,
    }));
    if (!result.Item) return undefined;
    const item = result.Item as { status: LogBinding['status']; taskId?: string; ingestTokenHash?: string };
    return { status: item.status, taskId: item.taskId, ingestTokenHash: item.ingestTokenHash };
  }

  async ingestToken(id: string, candidate: string): Promise<string> {
    const Key = keys.ingestToken(id);
    try {
      await this.ctx.doc.send(new PutCommand({
        TableName: this.ctx.tableName,
        Item: { ...Key, token: candidate, [TTL_ATTRIBUTE]: Math.floor(this.clock.now().getTime() / 1000) + INGEST_TOKEN_TTL_SECONDS },
        ConditionExpression: 'attribute_not_exists(PK)',
      }));
      return candidate;
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
    }
    const kept = await this.ctx.doc.send(new GetCommand({ TableName: this.ctx.tableName, Key, ConsistentRead: true }));
    if (typeof kept.Item?.token !== 'string') throw new ConflictError(`deployment ${id}'s ingest token expired while it was being read`);
    return kept.Item.token;
  }

  async keepGitHubDeployment(id: string, githubDeploymentId: number): Promise<number> {
    // Not `updatedAt`: the deployment itself did not change.
    const kept = await this.conditionalUpdate({
      Key: keys.deployment(id),
      UpdateExpression: 'SET githubDeploymentId = :github',
      ConditionExpression: 'attribute_exists(PK) AND attribute_not_exists(githubDeploymentId)',
      ExpressionAttributeValues: { ':github': githubDeploymentId },
    });
    if (kept) return githubDeploymentId;
    const earlier = (await this.get(id))?.githubDeploymentId;
    if (earlier === undefined) throw new NotFoundError(`deployment ${id} does not exist`);
    return earlier;
  }

  async claimEnvironment(application: string, environment: string, deployment: string | Ordered, options: ClaimOptions = {}): Promise<Claim> {
    const Key = keys.environment(application, environment);
    const self: Ordered = typeof deployment === 'string' ? { id: deployment } : deployment;
    const id = self.id;
    // Only a push is ordered by more than its id: only then are the others' pushes read (once each),
    // with the branch's recorded pushes the chain may run through.
    const known = new Map<string, Promise<Ordered>>();
    const order = (other: string) => {
      if (!known.has(other)) known.set(other, this.ordered(other));
      return known.get(other)!;
    };
    const history = self.push ? await this.pushHistory(application, environment, self) : [];
    const versus = async (other: string) => (self.push ? compareRequests(self, await order(other), history) : compareRequests(self, { id: other }));
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const env = await this.environmentState(application, environment);
      // A repeated claim (SQS delivers at least once) finds itself where the first one left it.
      if (env.lockHolder === id) return { outcome: 'acquired' };
      if (env.pending === id) return { outcome: 'waiting' };
      // A push never replaces a newer push of its branch that is already deployed, or one made on top of it.
      const seen = self.push ? env.currentDeploymentId : undefined;
      const current = seen !== id ? seen : undefined;
      const deployed = current ? pushOrder(self, await order(current), history) : undefined;
      if (current && deployed?.newer === 'other') return { outcome: 'outdated', newer: current, why: deployed.why };
      const after = successor(self, history);
      if (after) return { outcome: 'outdated', newer: after.id, why: `its push moved the branch on from ${short(self.commit)} to ${short(after.commit)}` };
      if (!env.lockHolder) {
        // Free environment: take the lock, over the deployed version just compared with.
        if (await this.conditionalUpdate({
          Key,
          UpdateExpression: 'SET lockHolder = :d',
          ConditionExpression: `attribute_exists(PK) AND attribute_not_exists(lockHolder)${!self.push ? '' : seen ? ' AND currentDeploymentId = :seen' : ' AND attribute_not_exists(currentDeploymentId)'}`,
          ExpressionAttributeValues: { ':d': id, ...seen && { ':seen': seen } },
        })) {
          return { outcome: 'acquired' };
        }
        await backOff(attempt);
        continue;
      }
      const overPending = env.pending !== undefined ? await versus(env.pending) : undefined;
      const guess = overPending && await this.guessed(self, env.pending!, overPending, order);
      if (guess && options.mayWait) return { outcome: 'undecided', other: env.pending! };
      if (overPending?.newer === 'other') return { outcome: 'outdated', newer: env.pending!, ...overPending.why && { why: overPending.why } };
      // Newer for the holder too: an older request queued behind it would run last.
      const holder = await versus(env.lockHolder);
      if (options.mayWait && await this.guessed(self, env.lockHolder, holder, order)) return { outcome: 'undecided', other: env.lockHolder };
      if (holder.newer === 'other') return { outcome: 'outdated', newer: env.lockHolder, ...holder.why && { why: holder.why } };
      // Busy: become the one pending request, but only over the exact state just read.
      const replaced = await this.conditionalUpdate({
        Key,
        UpdateExpression: 'SET pending = :d',
        ConditionExpression: env.pending === undefined
          ? 'lockHolder = :holder AND attribute_not_exists(pending)'
          : 'lockHolder = :holder AND pending = :pending',
        ExpressionAttributeValues: { ':d': id, ':holder': env.lockHolder, ...env.pending !== undefined && { ':pending': env.pending } },
      });
      if (replaced) return { outcome: 'waiting', displaced: env.pending, ...overPending?.why && { why: overPending.why } };
      await backOff(attempt);
    }
    throw new ConflictError(`environment ${application}/${environment} is changing too fast to queue ${id}; try again`);
  }

  /** Whether `verdict` between `self` and `other` was only the request order between two pushes of one branch. */
  private async guessed(self: Ordered, other: string, verdict: Verdict, order: (id: string) => Promise<Ordered>): Promise<boolean> {
    return self.push !== undefined && verdict.by === 'request' && undecided(self, await order(other), verdict);
  }

  /** What the lock rule orders a deployment by (its push); just the id for one that is gone. */
  private async ordered(id: string): Promise<Ordered> {
    const result = await this.ctx.doc.send(new GetCommand({
      TableName: this.ctx.tableName,
      Key: keys.deployment(id),
      ...ORDERED_PROJECTION,
      ConsistentRead: true,
    }));
    return (result.Item as Ordered | undefined) ?? { id };
  }

  /**
   * The recent recorded pushes of `self`'s branch in this environment (the index is eventually
   * consistent: one just recorded may be missing, which only leaves a link unknown), and `self`.
   */
  private async pushHistory(application: string, environment: string, self: Ordered): Promise<Ordered[]> {
    const result = await this.ctx.doc.send(new QueryCommand({
      TableName: this.ctx.tableName,
      IndexName: GSI1,
      KeyConditionExpression: 'GSI1PK = :pk',
      ...ORDERED_PROJECTION,
      ExpressionAttributeValues: { ':pk': keys.deploymentsOf(application, environment).GSI1PK },
      ScanIndexForward: false,
      Limit: PUSH_HISTORY,
    }));
    const pushes = (result.Items ?? []).map(item => item as Ordered).filter(item => item.id !== self.id && sameBranch(item, self));
    return [self, ...pushes];
  }

  async releaseEnvironment(application: string, environment: string, holder: string, version?: CurrentVersion | null): Promise<{ next?: string }> {
    const Key = keys.environment(application, environment);
    // The finished deployment's version becomes current in the same write that releases the lock.
    const setVersion = version ? ', currentDeploymentId = :currentId, currentCommit = :currentCommit' : '';
    const removeVersion = version === null ? ' currentDeploymentId, currentCommit' : '';
    const versionValues = version ? { ':currentId': version.deploymentId, ':currentCommit': version.commit } : {};
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const env = await this.environmentState(application, environment, true);
      if (env.lockHolder !== holder) return {}; // not ours (any more): nothing to release
      const handedOver = env.pending !== undefined
        ? await this.conditionalUpdate({
          Key,
          UpdateExpression: `SET lockHolder = :next${setVersion} REMOVE pending${removeVersion ? `,${removeVersion}` : ''}`,
          ConditionExpression: 'lockHolder = :holder AND pending = :next',
          ExpressionAttributeValues: { ':holder': holder, ':next': env.pending, ...versionValues },
        })
        : await this.conditionalUpdate({
          Key,
          UpdateExpression: `${setVersion ? `SET ${setVersion.slice(2)} ` : ''}REMOVE lockHolder${removeVersion ? `,${removeVersion}` : ''}`,
          ConditionExpression: 'lockHolder = :holder AND attribute_not_exists(pending)',
          ExpressionAttributeValues: { ':holder': holder, ...versionValues },
        });
      if (handedOver) return { next: env.pending };
      await backOff(attempt);
    }
    throw new ConflictError(`environment ${application}/${environment} is changing too fast to release ${holder}; try again`);
  }

  private async environmentState(application: string, environment: string, allowMissing = false): Promise<LockState> {
    const result = await this.ctx.doc.send(new GetCommand({
      TableName: this.ctx.tableName,
      Key: keys.environment(application, environment),
      ProjectionExpression: 'lockHolder, pending, currentDeploymentId',
      ConsistentRead: true,
    }));
    if (!result.Item && !allowMissing) throw new NotFoundError(`environment ${application}/${environment} does not exist`);
    return (result.Item ?? {}) as LockState;
  }

  /** True when the write happened, false when its condition did not hold. */
  private async conditionalUpdate(input: {
    Key: Record<string, string>;
    UpdateExpression: string;
    ConditionExpression: string;
    ExpressionAttributeNames?: Record<string, string>;
    ExpressionAttributeValues: Record<string, unknown>;
  }): Promise<boolean> {
    try {
      await this.ctx.doc.send(new UpdateCommand({ TableName: this.ctx.tableName, ...input }));
      return true;
    } catch (error) {
      if (isConditionFailed(error)) return false;
      throw error;
    }
  }
}

const PHASE_PREFIX = keys.phaseAttribute('');

/** A deployment item as core sees it: phase attributes gathered into `phases`, in start order. */
function deploymentFromItem(item: Record<string, unknown>): Deployment {
  const fields: Record<string, unknown> = {};
  const phases: PhaseRecord[] = [];
  for (const [name, value] of Object.entries(withoutKeys<Record<string, unknown>>(item))) {
    if (name.startsWith(PHASE_PREFIX)) phases.push(value as PhaseRecord);
    else if (name !== INGEST_TOKEN_HASH) fields[name] = value;
  }
  // Skipped phases start in the same millisecond: the build's own order breaks ties.
  const rank = (phase: PhaseRecord) => BUILD_PHASES.indexOf(phase.phase as BuildPhase);
  phases.sort((a, b) => a.startedAt.localeCompare(b.startedAt) || rank(a) - rank(b));
  return (phases.length > 0 ? { ...fields, phases } : fields) as unknown as Deployment;
}


function short(commit: string | undefined): string {
  return (commit ?? '?').slice(0, 12);
}
