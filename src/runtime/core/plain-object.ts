/** A JSON object: not null, not an array (what parsed payloads, configuration and outputs must be). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
