import { ValidationError, ValidationIssue } from '../core/errors';
import { unknownKeyIssues } from '../core/unknown-keys';

/** Settings with 100 variables of 4 KB fit in 450 KB; no control request needs more than this. */
export const MAX_BODY_BYTES = 64 * 1024;

export function bodyBytes(body: string): number {
  return Buffer.byteLength(body, 'utf8');
}

/** JSON text → value; an empty body is `undefined`. The parser's message is not echoed: it quotes the body. */
export function parseJsonBody(body: string): unknown {
  if (body.trim() === '') return undefined;
  try {
    return JSON.parse(body);
  } catch {
    throw new ValidationError([{ path: 'body', message: 'is not valid JSON' }]);
  }
}

/** The body as an object with only `allowed` fields (an empty body is `{}`); names each unknown field, with the closest known one. */
export function bodyFields(body: unknown, allowed: readonly string[]): Record<string, unknown> {
  if (body === undefined) return {};
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ValidationError([{ path: 'body', message: 'must be a JSON object' }]);
  }
  const fields = body as Record<string, unknown>;
  const unknown = unknownKeyIssues(fields, allowed, '');
  if (unknown.length > 0) throw new ValidationError(unknown);
  return fields;
}

/** `{}` (or nothing) for deploy, promote and cancel. */
export function emptyBody(body: unknown): void {
  bodyFields(body, []);
}

/** A required, non-empty string field. */
export function requiredString(fields: Record<string, unknown>, name: string, issues: ValidationIssue[]): string | undefined {
  const value = fields[name];
  if (typeof value === 'string' && value !== '') return value;
  issues.push({ path: name, message: value === undefined ? 'is required' : 'must be a non-empty string' });
  return undefined;
}
