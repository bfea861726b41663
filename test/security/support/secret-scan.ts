/**
 * Looks for secret values in everything a run produced: each value in every encoding it
 * could travel in (plain, JSON-escaped, URL-encoded, base64, the GitHub Authorization
 * header's base64, and each line of a multi-line value), in raw text and in every string of
 * parsed JSON (so a value JSON-escaped twice, once by the app and once by the API, is
 * still found in its decoded form).
 */

export interface Secret {
  readonly name: string;
  readonly value: string;
}

/** One encoded form of one secret, as it would appear in text. */
export interface Needle {
  readonly secret: string;
  readonly form: string;
  readonly text: string;
}

export interface Hit {
  /** What was scanned: `api GET /api/apps`, `table item ...`, `server.log line 12`. */
  readonly source: string;
  readonly secret: string;
  readonly form: string;
  /** The text around the hit, the value marked with [[ ]]. */
  readonly excerpt: string;
}

/** Shorter forms would match by chance (masking skips them too: MIN_SECRET_LENGTH). */
const MIN_NEEDLE = 4;
const EXCERPT = 40;

/** Every form of one secret worth looking for. */
export function needlesFor(secret: Secret): Needle[] {
  const base64 = (text: string) => Buffer.from(text).toString('base64');
  const forms: Array<[string, string]> = [
    ['plain', secret.value],
    ['JSON-escaped', JSON.stringify(secret.value).slice(1, -1)],
    ['URL-encoded', encodeURIComponent(secret.value)],
    ['base64', base64(secret.value)],
    ['base64url', Buffer.from(secret.value).toString('base64url')],
    ['Authorization header base64', base64(`x-access-token:${secret.value}`)],
    ...secret.value.split(/\r?\n/).map((line, index): [string, string] => [`line ${index + 1}`, line.trim()]),
  ];
  const seen = new Set<string>();
  return forms.flatMap(([form, text]) => {
    if (text.length < MIN_NEEDLE || seen.has(text)) return [];
    seen.add(text);
    return [{ secret: secret.name, form, text }];
  });
}

export class SecretScanner {
  readonly hits: Hit[] = [];
  /** Each source scanned, with how many characters: proof that the scan saw something. */
  readonly scanned = new Map<string, number>();
  private readonly needles: readonly Needle[];

  constructor(secrets: readonly Secret[]) {
    this.needles = secrets.flatMap(needlesFor);
  }

  /** Look for every needle in `text`. */
  scanText(source: string, text: string): void {
    this.scanned.set(source, (this.scanned.get(source) ?? 0) + text.length);
    for (const needle of this.needles) {
      let at = text.indexOf(needle.text);
      while (at >= 0) {
        this.hits.push({ source, secret: needle.secret, form: needle.form, excerpt: excerpt(text, at, needle.text.length) });
        at = text.indexOf(needle.text, at + needle.text.length);
      }
    }
  }

  /** A parsed value: its JSON text, and each string in it (keys too) decoded. */
  scanValue(source: string, value: unknown): void {
    this.scanText(source, JSON.stringify(value) ?? '');
    for (const text of stringsIn(value)) this.scanText(source, text);
  }

  /** Text that may be JSON (an API body, a log line): scanned raw and, when it parses, as a value. */
  scanMaybeJson(source: string, text: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return this.scanText(source, text);
    }
    this.scanText(source, text);
    for (const inner of stringsIn(parsed)) this.scanText(source, inner);
  }

  /** Sources scanned whose name starts with `prefix`. */
  sourcesStartingWith(prefix: string): string[] {
    return [...this.scanned.keys()].filter(source => source.startsWith(prefix));
  }

  /** The hits as lines a person reads in a failed assertion. */
  report(): string[] {
    return this.hits.map(hit => `${hit.source}: ${hit.secret} (${hit.form}) in ${hit.excerpt}`);
  }
}

/** Every string in a parsed JSON value, object keys included. */
export function stringsIn(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(stringsIn);
  if (typeof value === 'object' && value !== null) return Object.entries(value).flatMap(([key, inner]) => [key, ...stringsIn(inner)]);
  return [];
}

function excerpt(text: string, at: number, length: number): string {
  const before = text.slice(Math.max(0, at - EXCERPT), at);
  const after = text.slice(at + length, at + length + EXCERPT);
  return JSON.stringify(`${before}[[${text.slice(at, at + length)}]]${after}`);
}
