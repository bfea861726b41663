import { printable } from './names';

/**
 * What a Node version request (`18`, `v18.20.4`, `lts/hydrogen`, `>=18 <21`, `^20.11`, `20.x`)
 * means to the builder: one major to run, and which versions of it will do. Pure: the builder
 * reads the request from the checkout (node-version.ts), the configuration validates the
 * `nodeVersion` setting with the same rules. Only release versions (no pre-releases).
 */

/** A version as three numbers; the upper bound of an open range is [Infinity, 0, 0]. */
export type Version = readonly [number, number, number];

/** The versions from `low` (included) to `high` (excluded). */
export interface VersionInterval {
  readonly low: Version;
  readonly high: Version;
}

export interface NodeVersionSpec {
  /** The major the builder runs. */
  readonly major: number;
  /** The versions of that major that will do (a union of intervals inside it). */
  readonly intervals: readonly VersionInterval[];
  /** Set when exactly one version was asked for, as `18.20.4`. */
  readonly exact?: string;
}

export type NodeVersionParse = { readonly spec: NodeVersionSpec } | { readonly problem: string };

/** The oldest major the builder runs (npm 6 and the registry's Linux binaries go back to it). */
export const MIN_NODE_MAJOR = 14;
export const MAX_NODE_VERSION_LENGTH = 64;

/** Node's LTS lines by codename (`lts/<name>`), oldest first; `lts/*` is the last one. */
export const LTS_CODENAMES: Readonly<Record<string, number>> = {
  argon: 4, boron: 6, carbon: 8, dubnium: 10, erbium: 12, fermium: 14, gallium: 16, hydrogen: 18, iron: 20, jod: 22, krypton: 24,
};
const NEWEST_LTS = Math.max(...Object.values(LTS_CODENAMES));

/** nvm's names for "whatever Node there is": the builder's own. */
const OWN_ALIASES = ['node', 'stable', 'latest', 'current', 'system'];

const INFINITE: Version = [Infinity, 0, 0];
const ZERO: Version = [0, 0, 0];
const ALLOWED = /^[0-9A-Za-z.*^~<>=|\s/-]+$/;
const PARTIAL = /^v?(\d{1,6}|[x*])(?:\.(\d{1,6}|[x*]))?(?:\.(\d{1,6}|[x*]))?$/;
const COMPARATOR = /^(>=|<=|>|<|=|~>|~|\^)?(.*)$/;

/**
 * Parse `value`; `own` is the builder's own Node version (`22.12.0`): it is chosen when the
 * request allows it, and is what `node`/`system` mean.
 */
export function parseNodeVersion(value: string, own: string): NodeVersionParse {
  const shown = `'${printable(value, MAX_NODE_VERSION_LENGTH)}'`;
  const text = value.trim().toLowerCase();
  if (value.length > MAX_NODE_VERSION_LENGTH) return { problem: `${shown} is longer than ${MAX_NODE_VERSION_LENGTH} characters` };
  if (text === '') return { problem: 'is empty: it must name a Node version such as 18 or 20.11.1' };
  if (!ALLOWED.test(text)) return { problem: `${shown} is not a Node version (such as 18, v18.20.4, lts/hydrogen, ^20.11 or >=18 <21)` };
  const ownMajor = Number(own.split('.')[0]);

  if (OWN_ALIASES.includes(text)) return { spec: wholeMajor(ownMajor) };
  if (text.startsWith('lts/')) {
    const major = ltsMajor(text.slice(4));
    if (major === undefined) return { problem: `${shown} names no LTS line the builder knows (lts/*, lts/-1, or one of ${Object.keys(LTS_CODENAMES).join(', ')})` };
    return checkMinimum(wholeMajor(major), shown);
  }

  const intervals: VersionInterval[] = [];
  for (const set of text.split('||')) {
    const interval = parseSet(set.trim());
    if (interval === undefined) return { problem: `${shown} is not a Node version or range (such as 18, v18.20.4, lts/hydrogen, ^20.11 or >=18 <21)` };
    if (compare(interval.low, interval.high) < 0) intervals.push(interval);
  }
  if (intervals.length === 0) return { problem: `${shown} allows no version of Node` };

  const allowed = (major: number) => intervals.some(interval => overlaps(interval, majorInterval(major)));
  // Up to the newest major the request names (or the newest LTS line when it is open above).
  const cap = Math.max(ownMajor, NEWEST_LTS, ...intervals.map(i => (i.high[0] === Infinity ? i.low[0] : i.high[0])));
  let major: number | undefined = allowed(ownMajor) ? ownMajor : undefined;
  for (let candidate = cap; major === undefined && candidate >= MIN_NODE_MAJOR; candidate--) {
    if (allowed(candidate)) major = candidate;
  }
  if (major === undefined) {
    const oldest = Math.min(...intervals.map(interval => interval.low[0]));
    return { problem: `${shown} asks for Node ${oldest}; the builder runs Node ${MIN_NODE_MAJOR} or later` };
  }
  const within = intervals.map(interval => intersect(interval, majorInterval(major!))).filter(i => compare(i.low, i.high) < 0);
  const single = within.length === 1 && compare(within[0].high, nextPatch(within[0].low)) === 0;
  return { spec: { major, intervals: within, exact: single ? versionText(within[0].low) : undefined } };
}

/** The rule the configuration applies to `nodeVersion` (undefined: understood). */
export function nodeVersionProblem(value: string): string | undefined {
  const parsed = parseNodeVersion(value, process.versions.node);
  return 'problem' in parsed ? parsed.problem : undefined;
}

/** Whether `version` (`18.20.4`) is one the spec accepts. */
export function satisfies(spec: NodeVersionSpec, version: string): boolean {
  const parsed = releaseVersion(version);
  return parsed !== undefined && spec.intervals.some(interval => compare(interval.low, parsed) <= 0 && compare(parsed, interval.high) < 0);
}

/** The spec as an npm range (`>=18.2.0 <18.3.0 || ...`), or the exact version. */
export function npmRange(spec: NodeVersionSpec): string {
  if (spec.exact) return spec.exact;
  return spec.intervals.map(interval => `>=${versionText(interval.low)} <${versionText(interval.high)}`).join(' || ');
}

/** `18.20.4` or `v18.20.4` as three numbers; undefined for anything else. */
export function releaseVersion(text: string): Version | undefined {
  const match = /^v?(\d{1,6})\.(\d{1,6})\.(\d{1,6})$/.exec(text.trim());
  return match ? [Number(match[1]), Number(match[2]), Number(match[3])] : undefined;
}

export function versionText(version: Version): string {
  return version.join('.');
}

export function compare(a: Version, b: Version): number {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  return 0;
}

function wholeMajor(major: number): NodeVersionSpec {
  return { major, intervals: [majorInterval(major)] };
}

function checkMinimum(spec: NodeVersionSpec, shown: string): NodeVersionParse {
  return spec.major < MIN_NODE_MAJOR ? { problem: `${shown} asks for Node ${spec.major}; the builder runs Node ${MIN_NODE_MAJOR} or later` } : { spec };
}

/** `*` (the newest), `-1` (the one before), or a codename. */
function ltsMajor(name: string): number | undefined {
  const lines = Object.values(LTS_CODENAMES);
  if (name === '*') return NEWEST_LTS;
  const back = /^-(\d{1,2})$/.exec(name);
  if (back) return lines[lines.length - 1 - Number(back[1])];
  return Object.prototype.hasOwnProperty.call(LTS_CODENAMES, name) ? LTS_CODENAMES[name] : undefined;
}

/** One comparator set (`>=18 <21`, `18 - 20`, `^20.11`), all of its comparators at once. */
function parseSet(set: string): VersionInterval | undefined {
  if (set === '') return { low: ZERO, high: INFINITE };
  const hyphen = /^(\S+)\s+-\s+(\S+)$/.exec(set);
  if (hyphen) {
    const [from, to] = [partial(hyphen[1]), partial(hyphen[2])];
    return from && to ? { low: from.low, high: to.high } : undefined;
  }
  // `>= 18` is `>=18`.
  const comparators = set.replace(/(>=|<=|~>|>|<|=|~|\^)\s+/g, '$1').split(/\s+/);
  let result: VersionInterval = { low: ZERO, high: INFINITE };
  for (const comparator of comparators) {
    const interval = parseComparator(comparator);
    if (!interval) return undefined;
    result = intersect(result, interval);
  }
  return result;
}

function parseComparator(comparator: string): VersionInterval | undefined {
  const [, operator = '', rest] = COMPARATOR.exec(comparator)!;
  const range = partial(rest);
  if (!range) return undefined;
  const { low, high, given } = range;
  switch (operator) {
    case '': case '=': return { low, high };
    case '>=': return { low, high: INFINITE };
    case '>': return { low: given === 0 ? INFINITE : high, high: INFINITE };
    case '<': return { low: ZERO, high: low };
    case '<=': return { low: ZERO, high };
    case '~': case '~>': return { low, high: given <= 1 ? high : [low[0], low[1] + 1, 0] };
    case '^': return { low, high: caretHigh(low, given) };
    default: return undefined;
  }
}

function caretHigh(low: Version, given: number): Version {
  if (low[0] > 0 || given <= 1) return [low[0] + 1, 0, 0];
  if (low[1] > 0 || given === 2) return [0, low[1] + 1, 0];
  return [0, 0, low[2] + 1];
}

/** An x-range (`18`, `18.x`, `18.2`, `v18.2.3`, `*`): the versions it covers and how many numbers it gave. */
function partial(text: string): { low: Version; high: Version; given: number } | undefined {
  const match = PARTIAL.exec(text);
  if (!match) return undefined;
  const numbers: number[] = [];
  for (const part of match.slice(1)) {
    if (part === undefined || part === 'x' || part === '*') break;
    numbers.push(Number(part));
  }
  const [major = 0, minor = 0, patch = 0] = numbers;
  const low: Version = [major, minor, patch];
  switch (numbers.length) {
    case 0: return { low: ZERO, high: INFINITE, given: 0 };
    case 1: return { low, high: [major + 1, 0, 0], given: 1 };
    case 2: return { low, high: [major, minor + 1, 0], given: 2 };
    default: return { low, high: nextPatch(low), given: 3 };
  }
}

function nextPatch(version: Version): Version {
  return [version[0], version[1], version[2] + 1];
}

function majorInterval(major: number): VersionInterval {
  return { low: [major, 0, 0], high: [major + 1, 0, 0] };
}

function intersect(a: VersionInterval, b: VersionInterval): VersionInterval {
  return { low: compare(a.low, b.low) >= 0 ? a.low : b.low, high: compare(a.high, b.high) <= 0 ? a.high : b.high };
}

function overlaps(a: VersionInterval, b: VersionInterval): boolean {
  const both = intersect(a, b);
  return compare(both.low, both.high) < 0;
}
