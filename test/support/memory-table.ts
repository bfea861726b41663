import {
  BatchWriteCommand, DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, ScanCommand, TransactWriteCommand, UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { GSI1, GSI1_PARTITION_KEY, GSI1_SORT_KEY, PARTITION_KEY, SORT_KEY } from '../../src/contract/table-schema';
import { Clock, Store } from '../../src/runtime/core';
import { createDynamoStore } from '../../src/runtime/store/dynamo-store';
import { TableContext } from '../../src/runtime/store/table-context';

/**
 * The Trellis table in memory: a document client that answers the commands the DynamoDB store
 * sends (get, put, delete, update, query on the table and GSI1, batch and transactional writes,
 * and a whole-table scan for tests)
 * the way DynamoDB does, conditions and all. Under `createDynamoStore` it makes the in-memory
 * store (`memoryStore`): the same store code, so the same rules (the lock, the state machine as a condition, log
 * chunks), without a database; test/store/store-contract.ts checks both give the same answers.
 *
 * Each command is applied whole before the next starts (one event loop), like DynamoDB's
 * single-item and transactional atomicity. Items are copied in and out, as over the wire. An
 * expression this table does not know throws rather than answering differently from DynamoDB.
 */
type Item = Record<string, unknown>;
type Names = Record<string, string> | undefined;
type Values = Record<string, unknown> | undefined;

const MAX_PARTITION_KEY_BYTES = 2048;
const MAX_SORT_KEY_BYTES = 1024;

export function memoryTableContext(tableName = 'memory'): TableContext {
  return { doc: new MemoryDocumentClient() as unknown as DynamoDBDocumentClient, tableName };
}

/** The in-memory store: core's Store over a fresh memory table (what freshStore is over DynamoDB Local). */
export async function memoryStore(clock?: Clock): Promise<{ store: Store; ctx: TableContext }> {
  const ctx = memoryTableContext();
  return { store: createDynamoStore(ctx, clock), ctx };
}

class MemoryDocumentClient {
  private readonly items = new Map<string, Item>();

  async send(command: unknown): Promise<unknown> {
    await Promise.resolve(); // answer asynchronously, as a client over the network does
    if (command instanceof GetCommand) return this.get(command.input);
    if (command instanceof PutCommand) return this.put(command.input.Item!, command.input);
    if (command instanceof DeleteCommand) return this.delete(command.input.Key!, command.input);
    if (command instanceof UpdateCommand) return this.update(command.input.Key!, command.input);
    if (command instanceof QueryCommand) return this.query(command.input);
    if (command instanceof ScanCommand && command.input.Limit === undefined) return this.scan();
    if (command instanceof BatchWriteCommand) return this.batchWrite(command.input.RequestItems as Record<string, WriteRequest[]>);
    if (command instanceof TransactWriteCommand) return this.transactWrite(command.input.TransactItems!);
    throw new Error(`the memory table does not answer ${(command as object).constructor.name}`);
  }

  private get(input: { Key?: Item; ProjectionExpression?: string; ExpressionAttributeNames?: Names }) {
    const item = this.items.get(storageKey(input.Key!));
    return { Item: item && project(item, input.ProjectionExpression, input.ExpressionAttributeNames) };
  }

  private put(item: Item, input: Conditional) {
    this.check(item, input);
    this.items.set(storageKey(item), copy(item));
    return {};
  }

  private delete(key: Item, input: Conditional) {
    this.check(key, input);
    this.items.delete(storageKey(key));
    return {};
  }

  private update(key: Item, input: Conditional & { UpdateExpression?: string; ReturnValues?: string }) {
    this.check(key, input);
    const current = { ...copy(this.items.get(storageKey(key)) ?? {}), ...copy(key) };
    const updated = applyUpdate(current, input.UpdateExpression!, input.ExpressionAttributeNames, input.ExpressionAttributeValues);
    this.items.set(storageKey(key), updated);
    return { Attributes: input.ReturnValues === 'ALL_NEW' ? copy(updated) : undefined };
  }

  private query(input: {
    IndexName?: string;
    KeyConditionExpression?: string;
    ExpressionAttributeNames?: Names;
    ExpressionAttributeValues?: Values;
    ScanIndexForward?: boolean;
    Limit?: number;
    ExclusiveStartKey?: Item;
    ProjectionExpression?: string;
  }) {
    const index = input.IndexName === GSI1;
    if (input.IndexName !== undefined && !index) throw validation(`no index ${input.IndexName}`);
    const [hash, range] = index ? [GSI1_PARTITION_KEY, GSI1_SORT_KEY] : [PARTITION_KEY, SORT_KEY];
    const condition = parseCondition(input.KeyConditionExpression!);
    let matching = [...this.items.values()]
      .filter(item => typeof item[hash] === 'string' && typeof item[range] === 'string')
      .filter(item => evaluate(condition, item, input.ExpressionAttributeNames, input.ExpressionAttributeValues))
      .sort((a, b) => compareStrings(a[range] as string, b[range] as string) || compareStrings(storageKey(a), storageKey(b)));
    if (input.ScanIndexForward === false) matching.reverse();
    const start = input.ExclusiveStartKey;
    if (start) {
      // After the start key's position in this order (the item itself may be gone since).
      const position = (item: Item) => compareStrings(item[range] as string, start[range] as string)
        || compareStrings(storageKey(item), storageKey(start));
      matching = matching.filter(item => (input.ScanIndexForward === false ? position(item) < 0 : position(item) > 0));
    }
    // Like DynamoDB, a page that stops at Limit has a LastEvaluatedKey, whether or not more follow.
    const page = input.Limit !== undefined && matching.length >= input.Limit ? matching.slice(0, input.Limit) : matching;
    const last = page.length > 0 && page.length === input.Limit ? page[page.length - 1] : undefined;
    return {
      Items: page.map(item => project(item, input.ProjectionExpression, input.ExpressionAttributeNames)),
      LastEvaluatedKey: last && pick(last, index ? [PARTITION_KEY, SORT_KEY, hash, range] : [PARTITION_KEY, SORT_KEY]),
    };
  }

  /** The whole table in one page, in key order (tests compare snapshots of it). */
  private scan() {
    return { Items: [...this.items.entries()].sort(([a], [b]) => compareStrings(a, b)).map(([, item]) => copy(item)) };
  }

  private batchWrite(requests: Record<string, WriteRequest[]>) {
    for (const request of Object.values(requests).flat()) {
      if (request.PutRequest) this.put(request.PutRequest.Item, {});
      if (request.DeleteRequest) this.delete(request.DeleteRequest.Key, {});
    }
    return { UnprocessedItems: {} };
  }

  /** Every condition first; any that fails cancels the whole transaction, naming which. */
  private transactWrite(actions: ReadonlyArray<Record<string, any>>) {
    const reasons = actions.map(action => {
      const [[kind, input]] = Object.entries(action);
      try {
        this.check(kind === 'Put' ? input.Item : input.Key, input);
        return { Code: 'None' };
      } catch (error) {
        if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
        return { Code: 'ConditionalCheckFailed' };
      }
    });
    if (reasons.some(reason => reason.Code !== 'None')) {
      throw Object.assign(new Error('Transaction cancelled'), { name: 'TransactionCanceledException', CancellationReasons: reasons });
    }
    for (const action of actions) {
      if (action.Put) this.put(action.Put.Item, {});
      if (action.Delete) this.delete(action.Delete.Key, {});
      if (action.Update) this.update(action.Update.Key, { ...action.Update, ConditionExpression: undefined });
    }
    return {};
  }

  private check(key: Item, input: Conditional): void {
    storageKey(key);
    if (!input.ConditionExpression) return;
    const current = this.items.get(storageKey(key)) ?? {};
    if (!evaluate(parseCondition(input.ConditionExpression), current, input.ExpressionAttributeNames, input.ExpressionAttributeValues)) {
      throw Object.assign(new Error('The conditional request failed'), { name: 'ConditionalCheckFailedException' });
    }
  }
}

interface WriteRequest {
  readonly PutRequest?: { readonly Item: Item };
  readonly DeleteRequest?: { readonly Key: Item };
}

interface Conditional {
  readonly ConditionExpression?: string;
  readonly ExpressionAttributeNames?: Names;
  readonly ExpressionAttributeValues?: Values;
}

function validation(message: string): Error {
  return Object.assign(new Error(message), { name: 'ValidationException' });
}

/** The item's primary key as one string; refuses what DynamoDB refuses (missing, empty or too long key attributes). */
function storageKey(item: Item): string {
  const pk = item[PARTITION_KEY];
  const sk = item[SORT_KEY];
  if (typeof pk !== 'string' || typeof sk !== 'string' || pk === '' || sk === '') throw validation('The provided key element does not match the schema');
  if (Buffer.byteLength(pk) > MAX_PARTITION_KEY_BYTES || Buffer.byteLength(sk) > MAX_SORT_KEY_BYTES) throw validation('Key attribute too large');
  return `${pk}\u0000${sk}`;
}

/**
 * A copy as DynamoDB stores it: undefined attributes left out (the store's removeUndefinedValues),
 * strings through UTF-8 as on the wire (a lone surrogate becomes U+FFFD).
 */
function copy<T>(value: T): T {
  return JSON.parse(JSON.stringify(value), (_, field: unknown) => (typeof field === 'string' ? Buffer.from(field).toString() : field)) as T;
}

/** DynamoDB orders strings by their UTF-8 bytes. */
function compareStrings(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

function pick(item: Item, names: readonly string[]): Item {
  return Object.fromEntries(names.filter(name => item[name] !== undefined).map(name => [name, copy(item[name])]));
}

function project(item: Item, projection: string | undefined, names: Names): Item {
  if (!projection) return copy(item);
  return pick(item, projection.split(',').map(part => attributeName(part.trim(), names)));
}

function attributeName(token: string, names: Names): string {
  if (!token.startsWith('#')) return token;
  const name = names?.[token];
  if (name === undefined) throw validation(`${token} is not in ExpressionAttributeNames`);
  return name;
}

// Conditions: OR, AND, NOT, parentheses, comparisons, BETWEEN, IN, attribute_exists,
// attribute_not_exists and begins_with, over top-level attributes.
type Condition =
  | { op: 'or' | 'and'; left: Condition; right: Condition }
  | { op: 'not'; operand: Condition }
  | { op: 'compare'; comparator: string; left: string; right: string }
  | { op: 'between'; operand: string; low: string; high: string }
  | { op: 'in'; operand: string; options: string[] }
  | { op: 'function'; name: string; args: string[] };

const TOKEN = /\s*(<>|<=|>=|[=<>(),]|[#:A-Za-z_][\w#:.-]*)/y;

function tokenize(expression: string): string[] {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < expression.length) {
    if (/^\s*$/.test(expression.slice(TOKEN.lastIndex))) break;
    const match = TOKEN.exec(expression);
    if (!match) throw validation(`the memory table cannot read '${expression}'`);
    tokens.push(match[1]);
  }
  return tokens;
}

function parseCondition(expression: string): Condition {
  const tokens = tokenize(expression);
  let at = 0;
  const peek = () => tokens[at];
  const next = () => tokens[at++];
  const expect = (token: string) => {
    if (next() !== token) throw validation(`expected '${token}' in '${expression}'`);
  };
  const keyword = (word: string) => peek()?.toUpperCase() === word && (at++, true);
  const or = (): Condition => {
    let left = and();
    while (keyword('OR')) left = { op: 'or', left, right: and() };
    return left;
  };
  const and = (): Condition => {
    let left = unary();
    while (keyword('AND')) left = { op: 'and', left, right: unary() };
    return left;
  };
  /** `(a, b, ...)`: a function's arguments, IN's options. */
  const list = (): string[] => {
    expect('(');
    const items: string[] = [];
    while (peek() !== ')') {
      if (peek() === undefined) throw validation(`')' missing in '${expression}'`);
      items.push(next());
      if (peek() === ',') next();
    }
    expect(')');
    return items;
  };
  const unary = (): Condition => {
    if (keyword('NOT')) return { op: 'not', operand: unary() };
    if (peek() === '(') {
      next();
      const inner = or();
      expect(')');
      return inner;
    }
    const first = next();
    if (peek() === '(') return { op: 'function', name: first, args: list() };
    if (keyword('BETWEEN')) {
      const low = next();
      if (!keyword('AND')) throw validation(`BETWEEN without AND in '${expression}'`);
      return { op: 'between', operand: first, low, high: next() };
    }
    if (keyword('IN')) return { op: 'in', operand: first, options: list() };
    return { op: 'compare', left: first, comparator: next(), right: next() };
  };
  const condition = or();
  if (at !== tokens.length) throw validation(`the memory table cannot read '${expression}'`);
  return condition;
}

function operandValue(token: string, item: Item, names: Names, values: Values): unknown {
  if (token.startsWith(':')) {
    if (!values || !(token in values)) throw validation(`${token} is not in ExpressionAttributeValues`);
    return values[token];
  }
  return item[attributeName(token, names)];
}

/** DynamoDB's order: numbers by value, strings by bytes; anything else (or two types) does not compare. */
function compare(a: unknown, b: unknown): number | undefined {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return compareStrings(a, b);
  return undefined;
}

function equal(a: unknown, b: unknown): boolean {
  return a !== undefined && b !== undefined && JSON.stringify(a) === JSON.stringify(b);
}

function evaluate(condition: Condition, item: Item, names: Names, values: Values): boolean {
  const value = (token: string) => operandValue(token, item, names, values);
  switch (condition.op) {
    case 'or': return evaluate(condition.left, item, names, values) || evaluate(condition.right, item, names, values);
    case 'and': return evaluate(condition.left, item, names, values) && evaluate(condition.right, item, names, values);
    case 'not': return !evaluate(condition.operand, item, names, values);
    case 'in': return condition.options.some(option => equal(value(condition.operand), value(option)));
    case 'between': {
      const low = compare(value(condition.operand), value(condition.low));
      const high = compare(value(condition.operand), value(condition.high));
      return low !== undefined && high !== undefined && low >= 0 && high <= 0;
    }
    case 'function': {
      const [path, argument] = condition.args;
      if (condition.name === 'attribute_exists') return value(path) !== undefined;
      if (condition.name === 'attribute_not_exists') return value(path) === undefined;
      if (condition.name === 'begins_with') {
        const [subject, prefix] = [value(path), value(argument)];
        return typeof subject === 'string' && typeof prefix === 'string' && subject.startsWith(prefix);
      }
      throw validation(`the memory table does not know ${condition.name}()`);
    }
    case 'compare': {
      const [left, right] = [value(condition.left), value(condition.right)];
      if (condition.comparator === '=') return equal(left, right);
      if (condition.comparator === '<>') return left !== undefined && right !== undefined && !equal(left, right);
      const order = compare(left, right);
      if (order === undefined) return false;
      return { '<': order < 0, '<=': order <= 0, '>': order > 0, '>=': order >= 0 }[condition.comparator] ?? (() => {
        throw validation(`the memory table does not know the comparator ${condition.comparator}`);
      })();
    }
  }
}

/** SET name = operand, REMOVE name and ADD name number: the clauses the store writes. */
function applyUpdate(item: Item, expression: string, names: Names, values: Values): Item {
  const clauses = expression.split(/\b(SET|REMOVE|ADD)\b/i).map(part => part.trim()).filter(Boolean);
  for (let i = 0; i < clauses.length; i += 2) {
    const [clause, body] = [clauses[i].toUpperCase(), clauses[i + 1] ?? ''];
    for (const action of body.split(',').map(part => part.trim()).filter(Boolean)) {
      if (clause === 'SET') {
        const [target, source] = action.split('=').map(part => part.trim());
        if (!/^[#:\w]+$/.test(source)) throw validation(`the memory table does not know SET ${action}`);
        item[attributeName(target, names)] = copy(operandValue(source, item, names, values));
      } else if (clause === 'REMOVE') {
        delete item[attributeName(action, names)];
      } else if (clause === 'ADD') {
        const [target, source] = action.split(/\s+/);
        const name = attributeName(target, names);
        const amount = operandValue(source, item, names, values);
        const current = item[name] ?? 0;
        if (typeof amount !== 'number' || typeof current !== 'number') throw validation(`the memory table adds numbers only: ADD ${action}`);
        item[name] = current + amount;
      } else {
        throw validation(`the memory table does not know ${clause}`);
      }
    }
  }
  return item;
}
