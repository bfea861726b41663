import { ValidationIssue } from './errors';
import { printable } from './names';

/**
 * The one rule for keys nobody reads: a configuration object (construct props, the local config
 * file, a dashboard settings body) names each key that is not one of `known`, at its full path,
 * with the closest known key as a suggestion. A misspelt optional field would otherwise fall back
 * to its default unnoticed (`testComand` runs the default tests).
 *
 * `path` is where the object is (`applications[0].environments[1]`); '' for a root object,
 * whose keys are then named alone.
 */
export function unknownKeyIssues(object: object, known: readonly string[], path: string): ValidationIssue[] {
  return Object.keys(object)
    .filter(key => !known.includes(key))
    .map(key => ({ path: path === '' ? printable(key, 40) : `${path}.${printable(key, 40)}`, message: unknownKeyMessage(key, known) }));
}

/** `is not a known field; did you mean \`x\`?`, or the list of fields when none is close. */
export function unknownKeyMessage(key: string, known: readonly string[]): string {
  const suggestion = closestKey(key, known);
  if (suggestion !== undefined) return `is not a known field; did you mean \`${suggestion}\`?`;
  return known.length > 0 ? `is not a known field; the fields are ${known.join(', ')}` : 'is not a known field; this request takes an empty object';
}

/** Keys longer than this are not compared (the edit distance is quadratic). */
const MAX_COMPARED = 64;
/** A typed key of at least this length that begins a known key (`timeout` for `timeoutSeconds`) is close. */
const MIN_PREFIX = 4;

/**
 * The known key `key` was most likely meant to be, compared case-insensitively: within an edit
 * distance (insertions, deletions, substitutions, swaps of neighbours) of a third of the known
 * key's length (rounded up, at most 3), or one begins with the other and the shorter has 4 or more characters.
 * Undefined when none is close. Ties go to the earlier key in `known`.
 */
export function closestKey(key: string, known: readonly string[]): string | undefined {
  const typed = key.toLowerCase();
  if (typed.length === 0 || typed.length > MAX_COMPARED) return undefined;
  let best: { key: string; distance: number } | undefined;
  for (const candidate of known) {
    const name = candidate.toLowerCase();
    const limit = Math.min(3, Math.ceil(name.length / 3));
    const distance = editDistance(typed, name);
    const shorter = Math.min(typed.length, name.length);
    const prefix = shorter >= MIN_PREFIX && (name.startsWith(typed) || typed.startsWith(name));
    if (distance > limit && !prefix) continue;
    // A prefix match ranks after every match within the distance limit.
    const rank = distance <= limit ? distance : MAX_COMPARED + distance;
    if (best === undefined || rank < best.distance) best = { key: candidate, distance: rank };
  }
  return best?.key;
}

/** Optimal string alignment distance: Levenshtein plus the swap of two neighbouring characters. */
export function editDistance(a: string, b: string): number {
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    rows.push([i]);
    for (let j = 1; j <= b.length; j++) {
      if (i === 0) {
        rows[i].push(j);
        continue;
      }
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) value = Math.min(value, rows[i - 2][j - 2] + 1);
      rows[i].push(value);
    }
  }
  return rows[a.length][b.length];
}
