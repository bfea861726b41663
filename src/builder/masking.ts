import { MASK, maskCredentials } from '../runtime/core/credential-patterns';

/**
 * Values shorter than this are not masked: masking every `1` or `yes` would make the log
 * unreadable and hide nothing. The builder warns when a secret is that short.
 */
export const MIN_SECRET_LENGTH = 4;

/**
 * Replaces every known secret value in a line of output. Each secret is also masked in
 * the forms a program is likely to print it in: JSON-escaped, URL-encoded and line by line.
 */
export class Masker {
  private readonly values = new Set<string>();
  private pattern: RegExp | undefined;
  private longestLength = 0;

  /** Register a secret; false when it is too short to be masked. */
  add(secret: string): boolean {
    if (secret.length < MIN_SECRET_LENGTH) return false;
    const forms = [
      secret,
      JSON.stringify(secret).slice(1, -1),
      encodeURIComponent(secret),
      ...secret.split(/\r?\n/).map(line => line.trim()),
    ];
    for (const form of forms) {
      if (form.length >= MIN_SECRET_LENGTH) this.values.add(form);
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
    return maskCredentials(this.pattern ? text.replace(this.pattern, MASK) : text);
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

function escapeRegExp(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}
