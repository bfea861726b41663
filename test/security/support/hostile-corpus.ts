import { randomBytes } from 'crypto';
import { existsSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';

/**
 * One corpus of hostile strings, shared by every entry point's test (webhook, control API,
 * builder parameters, local config), so a value found dangerous for one is tried on all.
 */

export type HostileKind =
  /** Would run a command if a shell ever saw it (creates the canary file). */
  | 'shell'
  | 'traversal'
  | 'unicode'
  | 'long'
  | 'control'
  /** Property names JavaScript objects treat specially, and query-language look-alikes. */
  | 'json'
  /**
   * Also a well-formed lowercase identifier (a legal application or environment name):
   * entry points must treat it as an ordinary, unknown name, not reject it and not look it
   * up on an object's prototype.
   */
  | 'well-formed';

export interface HostileValue {
  readonly name: string;
  readonly value: string;
  readonly kinds: readonly HostileKind[];
}

const KB = 1024;

/** Every hostile value; shell entries `touch` (or redirect into) `canaryPath` if a shell ran them. */
export function hostileCorpus(canaryPath: string): readonly HostileValue[] {
  const c = canaryPath;
  const entries: HostileValue[] = [
    // Shell metacharacters and newline variants.
    { name: 'shell: semicolon', value: `x; touch ${c}`, kinds: ['shell'] },
    { name: 'shell: semicolon without spaces', value: `x;touch\${IFS}${c}`, kinds: ['shell'] },
    { name: 'shell: command substitution', value: `$(touch ${c})`, kinds: ['shell'] },
    { name: 'shell: backticks', value: `\`touch ${c}\``, kinds: ['shell'] },
    { name: 'shell: pipe', value: `x | touch ${c}`, kinds: ['shell'] },
    { name: 'shell: and', value: `x && touch ${c}`, kinds: ['shell'] },
    { name: 'shell: or', value: `x || touch ${c}`, kinds: ['shell'] },
    { name: 'shell: background', value: `x & touch ${c}`, kinds: ['shell'] },
    { name: 'shell: redirect out', value: `x>${c}`, kinds: ['shell'] },
    { name: 'shell: redirect in', value: 'x</etc/passwd', kinds: ['shell'] },
    { name: 'shell: newline', value: `x\ntouch ${c}`, kinds: ['shell', 'control'] },
    { name: 'shell: CRLF', value: `x\r\ntouch ${c}`, kinds: ['shell', 'control'] },
    { name: 'shell: quote break-out', value: `'"; touch ${c}; echo "'`, kinds: ['shell'] },
    { name: 'shell: brace expansion', value: `{touch,${c}}`, kinds: ['shell'] },
    // Path traversal.
    { name: 'traversal: dot-dot slash', value: '../../etc/passwd', kinds: ['traversal'] },
    { name: 'traversal: dot-dot backslash', value: '..\\..\\windows\\win.ini', kinds: ['traversal'] },
    { name: 'traversal: absolute path', value: '/etc/passwd', kinds: ['traversal'] },
    { name: 'traversal: windows absolute path', value: 'C:\\Windows\\System32', kinds: ['traversal'] },
    { name: 'traversal: URL-encoded', value: '%2e%2e%2f%2e%2e%2fetc%2fpasswd', kinds: ['traversal'] },
    { name: 'traversal: double URL-encoded', value: '%252e%252e%252fetc', kinds: ['traversal'] },
    { name: 'traversal: dot-dot alone', value: '..', kinds: ['traversal'] },
    { name: 'traversal: dot-dot-dot-dot slash slash', value: '....//....//etc', kinds: ['traversal'] },
    { name: 'traversal: fullwidth solidus', value: '..\uff0f..\uff0fetc', kinds: ['traversal', 'unicode'] },
    // Unicode tricks.
    { name: 'unicode: RTL override', value: 'dev\u202egpj.exe', kinds: ['unicode'] },
    { name: 'unicode: zero-width joiner', value: 'de\u200dv', kinds: ['unicode'] },
    { name: 'unicode: zero-width space', value: 'de\u200bv', kinds: ['unicode'] },
    { name: 'unicode: byte order mark', value: '\ufeffdev', kinds: ['unicode'] },
    { name: 'unicode: Cyrillic a homoglyph', value: 'st\u0430ging', kinds: ['unicode'] },
    { name: 'unicode: Cyrillic e homoglyph', value: 'd\u0435v', kinds: ['unicode'] },
    // 'K'.toLowerCase() is an ASCII 'k': a case-insensitive comparison treats it as one.
    { name: 'unicode: Kelvin sign', value: '\u212aelvin', kinds: ['unicode'] },
    { name: 'unicode: fullwidth letters', value: '\uff44\uff45\uff56', kinds: ['unicode'] },
    { name: 'unicode: NFC', value: 'caf\u00e9', kinds: ['unicode'] },
    { name: 'unicode: NFD', value: 'cafe\u0301', kinds: ['unicode'] },
    // JSON can carry lone surrogates ("\ud800"); UTF-8 cannot.
    { name: 'unicode: lone high surrogate', value: 'x\ud800y', kinds: ['unicode'] },
    { name: 'unicode: lone low surrogate', value: 'x\udc00y', kinds: ['unicode'] },
    // Very long values.
    { name: 'long: 10 KB', value: 'a'.repeat(10 * KB), kinds: ['long'] },
    { name: 'long: 1 MB', value: 'a'.repeat(KB * KB), kinds: ['long'] },
    // Control characters.
    { name: 'control: NUL', value: 'dev\u0000', kinds: ['control'] },
    { name: 'control: NUL inside', value: 'a\u0000b', kinds: ['control'] },
    { name: 'control: CR', value: 'dev\r', kinds: ['control'] },
    { name: 'control: LF', value: 'dev\n', kinds: ['control'] },
    { name: 'control: tab', value: 'de\tv', kinds: ['control'] },
    { name: 'control: ESC colour', value: '\u001b[31mred\u001b[0m', kinds: ['control'] },
    { name: 'control: ESC window title', value: '\u001b]0;pwned\u0007', kinds: ['control'] },
    { name: 'control: DEL', value: 'dev\u007f', kinds: ['control'] },
    { name: 'control: backspaces', value: 'dev\b\b\bprod', kinds: ['control'] },
    { name: 'control: C1 CSI', value: '\u009b31mred', kinds: ['control', 'unicode'] },
    // JSON-ish and prototype tricks.
    { name: 'json: __proto__', value: '__proto__', kinds: ['json'] },
    { name: 'json: constructor', value: 'constructor', kinds: ['json', 'well-formed'] },
    { name: 'json: prototype', value: 'prototype', kinds: ['json', 'well-formed'] },
    { name: 'json: toString', value: 'toString', kinds: ['json'] },
    { name: 'json: __proto__ path', value: '__proto__.polluted', kinds: ['json'] },
    { name: 'json: operator object text', value: '{"$ne":null}', kinds: ['json'] },
    { name: 'empty string', value: '', kinds: ['control'] },
    { name: 'whitespace only', value: '   ', kinds: ['control'] },
  ];
  return entries;
}

/** Entries of one kind. */
export function ofKind(corpus: readonly HostileValue[], kind: HostileKind): readonly HostileValue[] {
  return corpus.filter(entry => entry.kinds.includes(kind));
}

/** Test titles must stay readable: the value itself is never put in one. */
export function titled(corpus: readonly HostileValue[]): Array<[string, HostileValue]> {
  return corpus.map(entry => [entry.name, entry]);
}

/**
 * The file shell entries would create. Its path is decided when the test module loads (no
 * I/O), so `test.each` can build the corpus; `fired()` says whether anything ever ran.
 */
export class Canary {
  readonly path = join(tmpdir(), `trellis-canary-${process.pid}-${randomBytes(6).toString('hex')}`);

  fired(): boolean {
    return existsSync(this.path);
  }

  remove(): void {
    rmSync(this.path, { force: true });
  }
}
