import { ValidationError } from '../core/errors';
import { printable } from '../core/names';

/** An optional integer query parameter within [min, max]. */
export function integerQuery(query: Readonly<Record<string, string | undefined>>, name: string, min: number, max: number): number | undefined {
  const raw = query[name];
  if (raw === undefined || raw === '') return undefined;
  const value = /^\d{1,15}$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new ValidationError([{ path: name, message: `'${printable(raw, 20)}' must be an integer from ${min} to ${max}` }]);
  }
  return value;
}
