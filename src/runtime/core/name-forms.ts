/**
 * How each jsii language spells a prop, so a synth-time validation error names the prop the way
 * the user wrote it: `auto_deploy` in Python, `autoDeploy` in TypeScript and Java builders,
 * `AutoDeploy` in C# and Go. Runtime messages (the local config file, the API) name JSON fields
 * and do not use this.
 *
 * - `camel`: the TypeScript name as it is (JavaScript, TypeScript, Java).
 * - `snake`: Python, by jsii's own rule (see `snakeCase`).
 * - `pascal`: C# and Go: the first letter upper case.
 * - `both`: the language is not known: `autoDeploy (auto_deploy)` when the two differ.
 */
export type NameForm = 'camel' | 'snake' | 'pascal' | 'both';

/**
 * The name form of the language whose jsii runtime started this Node process, from the
 * `JSII_AGENT` variable each jsii host sets for the Node process it starts: `Python/3.12.3`,
 * `Java/17.0.13`, `DotNet/8.0.11/...`, `go1.22.5/linux/amd64`. Without it the library was
 * loaded by Node itself (JavaScript or TypeScript). Any other value: `both`.
 */
export function nameFormOfAgent(agent: string | undefined): NameForm {
  if (agent === undefined || agent === '') return 'camel';
  if (/^Python\//.test(agent)) return 'snake';
  if (/^Java\//.test(agent)) return 'camel';
  if (/^DotNet\//.test(agent) || /^go\d/.test(agent)) return 'pascal';
  return 'both';
}

/**
 * Props whose value is a map: the segment after one is a key the user chose (a variable's
 * name), data rather than a prop name, and keeps its spelling in every language.
 */
const MAP_PROPS: ReadonlySet<string> = new Set(['variables']);

/**
 * `path` (`applications[0].environments[1].rootDirectory`) with each prop name in `form`;
 * indexes, map keys and anything that is not a plain name stay as they are.
 */
export function propPathAs(path: string, form: NameForm): string {
  if (form === 'camel') return path;
  if (form === 'both') {
    const snake = propPathAs(path, 'snake');
    return snake === path ? path : `${path} (${snake})`;
  }
  const rename = form === 'snake' ? snakeCase : pascalCase;
  const segments = path.split('.');
  let keyFrom = segments.length;
  const renamed = segments.map((segment, index) => {
    if (index > keyFrom) return segment;
    // A name, then any number of [index] (`environments[1]`, `stacks[0]`).
    const match = /^([A-Za-z][A-Za-z0-9]*)((?:\[\d+\])*)$/.exec(segment);
    if (!match) return segment;
    if (MAP_PROPS.has(match[1]) && match[2] === '') keyFrom = index;
    return rename(match[1]) + match[2];
  });
  return renamed.join('.');
}

/** KiB, MiB and GiB are one word to jsii (`memoryLimitMiB` → `memory_limit_mib`). */
const ABBREVIATIONS = /(^|[^A-Z])(KiB|MiB|GiB)($|[^a-z])/g;

/** Python's keywords: jsii adds `_` to a name that is one (`from` → `from_`). */
const PYTHON_KEYWORDS: ReadonlySet<string> = new Set([
  'and', 'as', 'assert', 'async', 'await', 'break', 'class', 'continue', 'def', 'del', 'elif', 'else', 'except',
  'finally', 'for', 'from', 'global', 'if', 'import', 'in', 'is', 'lambda', 'nonlocal', 'not', 'or', 'pass',
  'raise', 'return', 'try', 'while', 'with', 'yield',
]);

/**
 * A camelCase name as jsii spells it in Python: a word starts at an upper-case letter after a
 * lower-case letter or digit, and at the last capital of a run followed by lower case
 * (`webSocketUrl` → `web_socket_url`, `s3Bucket` → `s3_bucket`, `jwksURL` → `jwks_url`,
 * `URLPrefix` → `url_prefix`), then all lower case; a Python keyword gets a trailing `_`.
 */
export function snakeCase(name: string): string {
  const snake = name
    .replace(ABBREVIATIONS, (_, before: string, unit: string, after: string) => `${before}${unit[0]}${unit.slice(1).toLowerCase()}${after}`)
    .replace(/([a-z\d])([A-Z])/g, '$1_$2')
    .replace(/([A-Z])([A-Z][a-z]+)/g, '$1_$2')
    .toLowerCase();
  return PYTHON_KEYWORDS.has(snake) ? `${snake}_` : snake;
}

/** A camelCase name as jsii spells it in C# and Go: the first letter upper case. */
export function pascalCase(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}
