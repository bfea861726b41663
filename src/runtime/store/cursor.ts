import { ValidationError } from '../core/errors';

/**
 * Pagination cursors are opaque to clients: base64url JSON of DynamoDB's
 * LastEvaluatedKey, checked on the way back in so a forged cursor cannot widen a query
 * and DynamoDB never sees a start key it would reject (a 500 instead of a 400).
 */
export function encodeCursor(key: Record<string, unknown> | undefined): string | undefined {
  return key ? Buffer.from(JSON.stringify(key)).toString('base64url') : undefined;
}

/**
 * `expected` pins attributes to values (the partition queried); `keyNames` are exactly the
 * attributes of a LastEvaluatedKey of that query (table key plus index key for an index).
 */
export function decodeCursor(
  cursor: string | undefined,
  expected: Record<string, string>,
  keyNames: readonly string[],
): Record<string, unknown> | undefined {
  if (cursor === undefined) return undefined;
  const invalid = () => new ValidationError([{ path: 'cursor', message: 'is not a cursor this list returned' }]);
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (typeof key !== 'object' || key === null) throw invalid();
  const record = key as Record<string, unknown>;
  for (const [name, value] of Object.entries(expected)) {
    if (record[name] !== value) throw invalid();
  }
  if (!Object.values(record).every(value => typeof value === 'string')) throw invalid();
  const names = Object.keys(record);
  if (names.length !== keyNames.length || !keyNames.every(name => names.includes(name))) throw invalid();
  return record;
}
