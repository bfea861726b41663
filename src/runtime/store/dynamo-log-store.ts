import { BatchWriteCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { contiguousPrefix, packRun, packScattered, sortUnique, unpackRun, unpackScattered } from './log-chunks';
import { TableContext, backOff, pageLimit, queryAll } from './table-context';
import { MAX_SEQ, keys } from '../../contract/table-schema';
import { ConflictError, NotFoundError, ValidationError } from '../core/errors';
import { phaseUpdates } from '../core/log-phases';
import { LogIngestResult, LogPage, LogStore } from '../core/ports';
import { LogRecord } from '../core/types';

const DEFAULT_LINES = 2000;
const MAX_LINES = 5000;
/** Chunks per transaction: with 64 KB chunks this stays under DynamoDB's 4 MB per transaction. */
const CHUNKS_PER_COMMIT = 25;
/** Held items a commit deletes in its own transaction (DynamoDB allows 100 actions). */
const DELETES_PER_COMMIT = 50;
/** Rounds of one ingest; past it the rest is held, so losing many races loses no line. */
const MAX_ROUNDS = 48;
/** Deployments whose log state this instance remembers (a Lambda container sees few). */
const CACHED_LOGS = 256;

/** What the log's partition says: the next seq, how often records were held, and what waits. */
interface LogState {
  readonly next: number;
  readonly holds: number;
  /** Held items starting at or before `listedUpTo` (all of them, with their records). */
  readonly held: readonly HeldItem[];
  readonly listedUpTo: number;
}

interface HeldItem {
  readonly key: { PK: string; SK: string };
  readonly first: number;
  readonly last: number;
  readonly records: readonly LogRecord[];
}

/**
 * A build's log as immutable items in its own partition:
 * - HEAD: `next` (the seq the log waits for) and `holds` (bumped after each hold);
 * - CHUNK#<last seq>: contiguous records, packed;
 * - HELD#<first>#<last>: records that arrived after a gap, until the gap is filled.
 *
 * Each commit is one transaction: chunks, HEAD moved on (conditioned on the `next` and
 * `holds` it read), held items it used deleted, phases set on the deployment. So chunks
 * never overlap or leave a gap, and a hold that races a commit is seen by one of the two:
 * the holder bumps `holds` after writing, which either fails the commit (it re-reads and
 * takes the held records along) or comes after it (the holder sees the new `next` and drains).
 * Held items are read only as far as the run being committed reaches, never all of them.
 */
export class DynamoLogStore implements LogStore {
  /** Last known state per deployment: the live path's next batch usually commits in one write. */
  private readonly known = new Map<string, LogState>();

  constructor(private readonly ctx: TableContext) {}

  async ingest(deploymentId: string, records: readonly LogRecord[], options: { expiresAt?: number } = {}): Promise<LogIngestResult> {
    for (const record of records) {
      if (!Number.isSafeInteger(record.seq) || record.seq < 0 || record.seq > MAX_SEQ) {
        throw new ValidationError([{ path: 'seq', message: `must be an integer from 0 to ${MAX_SEQ}` }]);
      }
    }
    const expiresAt = options.expiresAt;
    const stored: LogRecord[] = [];
    const all = sortUnique(records);
    let own = all;
    let ownHeld = false;
    // Records before the remembered head are sent again only when the table may have lost them
    // (local mode's DynamoDB Local can lose its last writes when killed): the table decides.
    const known = this.known.get(deploymentId);
    let state = known && !all.some(record => record.seq < known.next) ? known : await this.readState(deploymentId, known?.next ?? 0);
    let waiting = 0;
    for (let round = 0; ; round++) {
      // From all of them each round: a head read from the table may be behind the remembered one.
      own = all.filter(record => record.seq >= state.next);
      const { run, state: listed } = await this.runFromHead(deploymentId, state, own);
      state = listed;
      const runEnd = run.length > 0 ? run[run.length - 1].seq : state.next - 1;
      waiting = own.filter(record => record.seq > runEnd).length;
      if (run.length > 0 && round < MAX_ROUNDS) {
        const outcome = await this.commit(deploymentId, state, run, expiresAt);
        if (outcome === 'moved') {
          await backOff(round, 50);
          state = await this.readState(deploymentId, state.next);
          continue;
        }
        stored.push(...outcome.records);
        state = outcome.state;
        continue;
      }
      if (own.length > 0 && !ownHeld) {
        await this.hold(deploymentId, own, expiresAt);
        ownHeld = true;
        state = await this.readState(deploymentId, state.next);
        if (round < MAX_ROUNDS) continue;
        // Lost every race: the records are held (nothing is lost); the caller retries to drain.
        throw new ConflictError(`log of ${deploymentId} is busy: ${own.length} records held for a later write`);
      }
      break;
    }
    await this.dropCovered(state);
    this.remember(deploymentId, { ...state, held: state.held.filter(item => item.last >= state.next) });
    return { stored, next: state.next, held: waiting };
  }

  /**
   * The records that continue the log at `state.next`: this call's own and the held ones,
   * listing more held items as the run reaches past what is listed.
   */
  private async runFromHead(deploymentId: string, state: LogState, own: readonly LogRecord[]): Promise<{ run: LogRecord[]; state: LogState }> {
    let pool = sortUnique([...own, ...state.held.flatMap(item => item.records)]).filter(record => record.seq >= state.next);
    for (;;) {
      const run = pool[0]?.seq === state.next ? contiguousPrefix(pool) : [];
      const end = run.length > 0 ? run[run.length - 1].seq : state.next - 1;
      if (end + 1 <= state.listedUpTo) return { run, state };
      const more = await this.queryHeld(deploymentId, keys.heldStartingFrom(state.listedUpTo + 1), keys.heldStartingUpTo(end + 1));
      state = { ...state, held: [...state.held, ...more.held], listedUpTo: end + 1 };
      if (more.held.length === 0) return { run, state };
      pool = sortUnique([...pool, ...more.held.flatMap(item => item.records)]).filter(record => record.seq >= state.next);
    }
  }

  async read(deploymentId: string, options: { from?: number; limit?: number } = {}): Promise<LogPage> {
    const from = options.from ?? 0;
    if (!Number.isSafeInteger(from) || from < 0 || from > MAX_SEQ) {
      throw new ValidationError([{ path: 'from', message: `must be an integer from 0 to ${MAX_SEQ}` }]);
    }
    const limit = pageLimit(options.limit, DEFAULT_LINES, MAX_LINES);
    const records: LogRecord[] = [];
    let exclusiveStartKey: Record<string, unknown> | undefined;
    let exhausted = false;
    while (records.length < limit) {
      const page = await this.ctx.doc.send(new QueryCommand({
        TableName: this.ctx.tableName,
        KeyConditionExpression: 'PK = :pk AND SK BETWEEN :from AND :to',
        ExpressionAttributeValues: {
          ':pk': keys.logHead(deploymentId).PK,
          ':from': keys.logChunk(deploymentId, from).SK,
          ':to': keys.lastLogChunk(deploymentId).SK,
        },
        ExclusiveStartKey: exclusiveStartKey,
        ConsistentRead: true,
      }));
      for (const item of page.Items ?? []) {
        records.push(...unpackRun(item.first as number, item.lines as string).filter(record => record.seq >= from));
      }
      exclusiveStartKey = page.LastEvaluatedKey;
      if (!exclusiveStartKey) {
        exhausted = true;
        break;
      }
    }
    const page = records.slice(0, limit);
    const next = page.length > 0 ? page[page.length - 1].seq + 1 : from;
    return { records: page, next, end: exhausted && page.length === records.length };
  }

  /** HEAD and the held items that start at or before its `next` (one query when `guess` is right). */
  private async readState(deploymentId: string, guess: number): Promise<LogState> {
    const { head, held } = await this.queryHeld(deploymentId, keys.logHeadKey, keys.heldStartingUpTo(guess));
    const next = (head?.next as number | undefined) ?? 0;
    const holds = (head?.holds as number | undefined) ?? 0;
    if (next <= guess) return { next, holds, held, listedUpTo: guess };
    const more = await this.queryHeld(deploymentId, keys.heldStartingFrom(guess + 1), keys.heldStartingUpTo(next));
    return { next, holds, held: [...held, ...more.held], listedUpTo: next };
  }

  private async queryHeld(deploymentId: string, from: string, to: string): Promise<{ head?: Record<string, unknown>; held: HeldItem[] }> {
    const items = await queryAll(this.ctx, {
      KeyConditionExpression: 'PK = :pk AND SK BETWEEN :from AND :to',
      ExpressionAttributeValues: { ':pk': keys.logHead(deploymentId).PK, ':from': from, ':to': to },
      ConsistentRead: true,
    });
    const head = items.find(item => item.SK === keys.logHeadKey);
    return {
      head,
      held: items.filter(item => item !== head).map(item => ({
        key: { PK: item.PK as string, SK: item.SK as string },
        first: item.first as number,
        last: item.last as number,
        records: unpackScattered(item.lines as string),
      })),
    };
  }

  /**
   * One transaction: chunks of the run's first part, HEAD moved past them if it still says
   * what `state` says, held items now covered deleted, the deployment's phases set (or its
   * existence checked). 'moved' = the log changed since `state` was read.
   */
  private async commit(deploymentId: string, state: LogState, run: readonly LogRecord[], expiresAt?: number)
    : Promise<{ records: LogRecord[]; state: LogState } | 'moved'> {
    const chunks = packRun(run).slice(0, CHUNKS_PER_COMMIT);
    const last = chunks[chunks.length - 1].last;
    const committed = run.slice(0, last - state.next + 1);
    const covered = state.held.filter(item => item.last <= last).slice(0, DELETES_PER_COMMIT);
    const phases = phaseUpdates(committed);
    const table = this.ctx.tableName;
    const deploymentKey = keys.deployment(deploymentId);
    const deploymentAction = phases.length === 0
      ? { ConditionCheck: { TableName: table, Key: deploymentKey, ConditionExpression: 'attribute_exists(PK)' } }
      : {
        Update: {
          TableName: table,
          Key: deploymentKey,
          UpdateExpression: `SET ${phases.map((_, index) => `#p${index} = :p${index}`).join(', ')}`,
          ExpressionAttributeNames: Object.fromEntries(phases.map((phase, index) => [`#p${index}`, keys.phaseAttribute(phase.phase)])),
          ExpressionAttributeValues: Object.fromEntries(phases.map((phase, index) => [`:p${index}`, phase])),
          ConditionExpression: 'attribute_exists(PK)',
        },
      };
    try {
      await this.ctx.doc.send(new TransactWriteCommand({
        TransactItems: [
          { Update: { TableName: table, Key: keys.logHead(deploymentId), ...headUpdate(state, last + 1, expiresAt) } },
          deploymentAction,
          ...chunks.map(chunk => ({
            Put: {
              TableName: table,
              Item: { ...keys.logChunk(deploymentId, chunk.last), entity: 'log', first: chunk.first, last: chunk.last, lines: chunk.body, expiresAt },
              ConditionExpression: 'attribute_not_exists(PK)',
            },
          })),
          ...covered.map(item => ({ Delete: { TableName: table, Key: item.key } })),
        ],
      }));
    } catch (error) {
      const reasons = (error as { CancellationReasons?: Array<{ Code?: string }> }).CancellationReasons;
      if (reasons?.[1]?.Code === 'ConditionalCheckFailed') throw new NotFoundError(`deployment ${deploymentId} does not exist`);
      if (reasons?.some(reason => reason.Code === 'ConditionalCheckFailed' || reason.Code === 'TransactionConflict')) return 'moved';
      if ((error as { name?: string }).name === 'TransactionConflictException') return 'moved';
      throw error;
    }
    return {
      records: committed,
      state: { ...state, next: last + 1, held: state.held.filter(item => !covered.includes(item)) },
    };
  }

  /** Records after a gap, in immutable items; then `holds` is bumped so a racing commit notices. */
  private async hold(deploymentId: string, records: readonly LogRecord[], expiresAt?: number): Promise<void> {
    const items = packScattered(records).map(held => ({
      PutRequest: {
        Item: { ...keys.heldLogs(deploymentId, held.first, held.last), entity: 'held-log', first: held.first, last: held.last, lines: held.body, expiresAt },
      },
    }));
    await this.batchWrite(items);
    await this.ctx.doc.send(new UpdateCommand({
      TableName: this.ctx.tableName,
      Key: keys.logHead(deploymentId),
      UpdateExpression: 'ADD holds :one',
      ExpressionAttributeValues: { ':one': 1 },
    }));
  }

  /** Held items wholly before the head are in chunks already. */
  private async dropCovered(state: LogState): Promise<void> {
    const covered = state.held.filter(item => item.last < state.next);
    await this.batchWrite(covered.map(item => ({ DeleteRequest: { Key: item.key } })));
  }

  private async batchWrite(requests: ReadonlyArray<Record<string, unknown>>): Promise<void> {
    for (let start = 0; start < requests.length; start += 25) {
      let pending: unknown[] | undefined = requests.slice(start, start + 25);
      for (let attempt = 0; pending && pending.length > 0; attempt++) {
        if (attempt > 0) await backOff(attempt, 50);
        const result: { UnprocessedItems?: Record<string, unknown[]> } = await this.ctx.doc.send(
          new BatchWriteCommand({ RequestItems: { [this.ctx.tableName]: pending as never } }));
        pending = result.UnprocessedItems?.[this.ctx.tableName];
      }
    }
  }

  private remember(deploymentId: string, state: LogState): void {
    this.known.delete(deploymentId);
    if (this.known.size >= CACHED_LOGS) this.known.delete(this.known.keys().next().value!);
    this.known.set(deploymentId, state);
  }
}

/** Move HEAD to `next` only if it still says what `state` says. */
function headUpdate(state: LogState, next: number, expiresAt?: number) {
  return {
    UpdateExpression: expiresAt === undefined ? 'SET #next = :next' : 'SET #next = :next, expiresAt = :expiresAt',
    ConditionExpression: [
      state.next === 0 ? 'attribute_not_exists(#next)' : '#next = :expectedNext',
      state.holds === 0 ? 'attribute_not_exists(#holds)' : '#holds = :expectedHolds',
    ].join(' AND '),
    ExpressionAttributeNames: { '#next': 'next', '#holds': 'holds' },
    ExpressionAttributeValues: {
      ':next': next,
      ...(expiresAt === undefined ? {} : { ':expiresAt': expiresAt }),
      ...(state.next === 0 ? {} : { ':expectedNext': state.next }),
      ...(state.holds === 0 ? {} : { ':expectedHolds': state.holds }),
    },
  };
}

