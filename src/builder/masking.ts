import { MASK, maskCredentials } from '../runtime/core/credential-patterns';

/**
 * Values shorter than this are not masked: masking every `1` or `yes` would make the log
 * unreadable and hide nothing. The builder warns when a secret is that short.
 */
export const MIN_SECRET_LENGTH = 4;

/**
 * An encoded piece of a secret shorter than this is not masked on its own: the aligned middle of
 * a short value's base64, or the part of an encoded secret that a wrapped line (`base64`,
 * `xxd -p`) leaves at the start or end of a line. Shorter pieces would match ordinary text.
 */
export const MIN_FRAGMENT_LENGTH = 6;
/** The shortest part of a wrapped encoding recognised at a line's edge (below it, false matches get likely). */
export const MIN_EDGE_LENGTH = 8;

/**
 * Replaces every known secret value in a line of output. Each secret is also masked in the forms
 * a program is likely to print it in: JSON-escaped, URL-encoded (`encodeURIComponent`, form
 * encoding with `+` for space, RFC 3986's strict escaping with and without '/', lower-case
 * escapes), line by line, hex (lower and upper case; bytes run together, separated by spaces
 * or colons, `\x`-escaped, or in pairs as xxd prints them) and base64 / base64url with and
 * without padding,
 * including inside a longer base64 text (see base64Forms). An encoding cut by a wrapped line is
 * masked at the edges of each line it spans.
 */
export class Masker {
  private readonly values = new Set<string>();
  /**
   * Every MIN_EDGE_LENGTH characters of each encoded form a wrapping program may spread over
   * several lines, with the rest of the form from there: what a line may start with.
   */
  private readonly tails = new Map<string, Set<string>>();
  /** The same forms by their first MIN_EDGE_LENGTH characters: what a line may end with. */
  private readonly heads = new Map<string, Set<string>>();
  private longestWrappable = 0;
  private pattern: RegExp | undefined;
  private longestLength = 0;

  /** Register a secret; false when it is too short to be masked. */
  add(secret: string): boolean {
    if (secret.length < MIN_SECRET_LENGTH) return false;
    const uri = encodeURIComponent(secret);
    const form = new URLSearchParams({ v: secret }).toString().slice(2);
    // RFC 3986's unreserved set only (curl --data-urlencode, Python's quote(s, safe='')), and
    // Python's quote() default, which keeps '/'.
    const strict = uri.replace(/[!'()*]/g, char => `%${char.charCodeAt(0).toString(16).toUpperCase()}`);
    const keepSlash = strict.replace(/%2F/g, '/');
    const escaped = [uri, form, strict, keepSlash];
    const forms = [
      secret,
      JSON.stringify(secret).slice(1, -1),
      ...escaped,
      uri.replace(/%20/g, '+'),
      strict.replace(/%20/g, '+'),
      ...escaped.map(encoded => encoded.replace(/%[0-9A-F]{2}/g, escape => escape.toLowerCase())),
      ...secret.split(/\r?\n/).map(line => line.trim()),
    ];
    for (const text of forms) {
      if (text.length >= MIN_SECRET_LENGTH) this.values.add(text);
    }
    const bytes = Buffer.from(secret, 'utf8');
    for (const text of [...hexForms(bytes.toString('hex')), ...base64Forms(bytes)]) {
      this.values.add(text);
      this.addWrappable(text);
    }
    // Longest first: at one position the regex takes the first alternative that matches.
    const sorted = [...this.values].sort((a, b) => b.length - a.length);
    this.pattern = new RegExp(sorted.map(escapeRegExp).join('|'), 'g');
    this.longestLength = sorted[0].length;
    return true;
  }

  /**
   * The known values first, then the shapes of well-known credentials (defense in depth:
   * a token the builder never saw, printed by a dependency or fetched by the app itself).
   */
  mask(text: string): string {
    return maskCredentials(this.pattern ? this.maskEdges(text.replace(this.pattern, MASK)) : text);
  }

  private addWrappable(form: string): void {
    if (form.length < MIN_EDGE_LENGTH) return;
    const index = (map: Map<string, Set<string>>, key: string, value: string) => map.set(key, (map.get(key) ?? new Set()).add(value));
    index(this.heads, form.slice(0, MIN_EDGE_LENGTH), form);
    for (let at = 0; at + MIN_EDGE_LENGTH <= form.length; at++) index(this.tails, form.slice(at, at + MIN_EDGE_LENGTH), form.slice(at));
    this.longestWrappable = Math.max(this.longestWrappable, form.length);
  }

  /**
   * A wrapped encoding (`base64` wraps at 76 characters, `xxd -p` at 60, `od` at 16 bytes): the
   * line ends with the start of a secret's encoding, starts with its end, or lies entirely inside it.
   */
  private maskEdges(line: string): string {
    if (line.length < MIN_EDGE_LENGTH) return line;
    let start = 0;
    for (const rest of this.tails.get(line.slice(0, MIN_EDGE_LENGTH)) ?? []) {
      if (rest.startsWith(line)) return MASK;
      if (line.startsWith(rest)) start = Math.max(start, rest.length);
    }
    let end = line.length;
    // Only the trailing run of characters an encoding is made of can hold the start of one.
    let run = line.length;
    while (run > 0 && ENCODED_CHARACTER.test(line[run - 1])) run--;
    for (let at = Math.max(run, start, line.length - this.longestWrappable); at + MIN_EDGE_LENGTH <= line.length; at++) {
      const forms = this.heads.get(line.slice(at, at + MIN_EDGE_LENGTH));
      if (forms && [...forms].some(form => form.startsWith(line.slice(at)))) {
        end = at;
        break;
      }
    }
    if (start === 0 && end === line.length) return line;
    return `${start > 0 ? MASK : ''}${line.slice(start, Math.max(start, end))}${end < line.length ? MASK : ''}`;
  }

  /**
   * Where a line longer than the limit may be cut without splitting a secret between the
   * two halves (each half is masked on its own). 0 means: wait for more output.
   * `more`: the text may continue in the next chunk.
   */
  safeCut(text: string, at: number, more = true): number {
    // A secret that starts in the last (longest - 1) characters may continue in the next chunk.
    let cut = more ? Math.min(at, text.length - Math.max(this.longestLength - 1, 0)) : at;
    if (this.pattern) {
      for (const match of text.matchAll(this.pattern)) {
        const start = match.index;
        const end = start + match[0].length;
        if (start >= cut) break;
        // A secret longer than the limit becomes a line of its own rather than none.
        if (end > cut) cut = start > 0 ? start : end;
      }
    }
    // Never leave half of a surrogate pair at the end of a line.
    if (cut > 0 && cut < text.length && isHighSurrogate(text.charCodeAt(cut - 1))) cut -= 1;
    return Math.max(cut, 0);
  }
}

/**
 * A value's hex in lower and upper case: bytes run together, separated by spaces or colons,
 * `\x`-escaped, and in xxd's default groups of two bytes.
 */
function hexForms(hex: string): string[] {
  const bytes = hex.match(/../g) ?? [];
  const pairs = hex.match(/.{1,4}/g) ?? [];
  const lower = [hex, bytes.join(' '), bytes.join(':'), bytes.map(byte => `\\x${byte}`).join(''), pairs.join(' ')];
  return [...new Set([...lower, ...lower.map(text => text.replace(/[0-9a-f]/g, digit => digit.toUpperCase()))])];
}

/**
 * The base64 and base64url forms of a value: the whole value (with and without padding), and,
 * for a value inside a longer base64 text, the characters that depend on its bytes only, for each
 * of the three offsets (mod 3) it can start at. Each base64 character holds 6 bits: at offset k
 * the first ceil(8k/6) characters also hold the bytes before it and the characters after
 * floor(8(k+n)/6) the bytes after it, so those are left out.
 */
export function base64Forms(bytes: Buffer): string[] {
  const forms: string[] = [];
  const both = (text: string) => forms.push(text, text.replace(/\+/g, '-').replace(/\//g, '_'));
  const whole = bytes.toString('base64');
  both(whole);
  both(whole.replace(/=+$/, ''));
  for (let offset = 0; offset < 3; offset++) {
    const shifted = Buffer.concat([Buffer.alloc(offset), bytes]).toString('base64');
    const middle = shifted.slice(Math.ceil((8 * offset) / 6), Math.floor((8 * (offset + bytes.length)) / 6));
    if (middle.length >= MIN_FRAGMENT_LENGTH) both(middle);
  }
  return [...new Set(forms)];
}

/** A character of base64, base64url or (spaced) hex. */
const ENCODED_CHARACTER = /^[A-Za-z0-9+/=_ -]$/;

function escapeRegExp(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}
