import { basename } from 'path';
import { Masker } from './masking';
import { cutText } from './output';
import { CommandResult, displayCommand } from './process-runner';

/** The longest cause (its line and hint together) a failed command's reason gets. */
export const MAX_CAUSE_LENGTH = 300;
/** The longest hint; hints are ours, so this only guards against a long tool or host name. */
const MAX_HINT_LENGTH = 160;

/** Why a command failed, from its last lines of output. */
export interface FailureCause {
  /** The line that says why, as a person reads it: no colour codes, log prefixes or runs of spaces. */
  readonly line?: string;
  /** What to do, for a cause this module knows. */
  readonly hint?: string;
}

/**
 * A failed command's reason: what failed and how (`cdk deploy exited with code 1`), then the
 * cause from its last lines and a hint (`: Unable to resolve AWS account to use (hint: ...)`).
 * Each line is masked by the build's masker (the one every log line passes) before it is read,
 * and the cause again after it is cleaned, then cut to MAX_CAUSE_LENGTH: nothing reaches the
 * reason that the log would have masked, and no secret is cut in two.
 */
export function failureReason(argv: readonly string[], result: CommandResult, masker: Masker): string {
  const command = displayCommand(argv);
  const what = result.error ? `${command}: ${result.error}`
    : `${command} ${result.signal ? `was killed by ${result.signal}` : `exited with code ${result.code}`}`;
  // A command that did not start, or was stopped (cancelled), printed nothing that explains it.
  const stopped = result.error !== undefined || result.signal === 'SIGTERM' || result.signal === 'SIGINT';
  const lines = stopped ? [] : result.output.map(line => masker.mask(visibleText(masker.mask(line))));
  const cause = failureCause(argv, lines, result.error);
  const hint = cause.hint ? ` (hint: ${cut(masker.mask(cause.hint), MAX_HINT_LENGTH)})` : '';
  const line = cause.line ? `: ${cut(masker.mask(cause.line), MAX_CAUSE_LENGTH - hint.length - 2)}` : '';
  return `${what}${line}${hint}`;
}

/**
 * The cause in a failed command's last lines of output (oldest first), as
 * the tools serverless apps build with print it:
 * 1. a known cause, with its hint: missing or refused AWS credentials, a missing permission, an
 *    unbootstrapped CDK environment, a CDK CLI older than the library, the wrong Node (npm's
 *    EBADENGINE, yarn's and pnpm's engine checks), a command not found, the network, a full disk,
 *    memory, a package the registry does not have;
 * 2. a tool's own error line: TypeScript's `error TS…` (the first), esbuild's `[ERROR]`, npm's
 *    `Missing script`, `ERESOLVE` and lockfile lines, pnpm's `ERR_PNPM_…`, yarn's `error …` and
 *    Berry's error codes, a test runner's summary (jest, vitest, mocha, pytest, node --test) with
 *    the first failing test, the message under Serverless' `Error:` header;
 * 3. the last line that reads as an error (`Error`, `error:`, `ERR!`, `fatal`, `failed`, CDK's `❌`,
 *    Serverless' `✖`, SST's `✕`, ...: SAM's and pip's errors are found here);
 * 4. else the last line printed.
 * Never a warning, a stack frame, a blank line, npm's `A complete log of this run...` and
 * `code`/`path`/`command` lines, a package manager's "command failed with exit code" or CDK's
 * `Subprocess exited with error` (they repeat the exit code), or anything after CDK's NOTICES.
 * `startError`: why the command did not start (its hint is the cause: which tool is missing).
 */
export function failureCause(argv: readonly string[], output: readonly string[], startError?: string): FailureCause {
  if (startError !== undefined) return { hint: startHint(argv[0] ?? '', startError) };
  const lines = readLines(output);
  const candidates = lines.filter(line => !line.warning && !line.noise);

  for (const known of KNOWN_CAUSES) {
    const found = findLast(candidates, line => known.pattern.test(line.text));
    if (found) return { line: found.text, hint: known.hint(found.text, lines.map(line => line.text)) };
  }
  // A warning can say why a later error happened (npm's EBADENGINE, pip's retries on the network).
  const warned = WARNED_CAUSES.find(known => lines.some(line => line.warning && known.pattern.test(line.text)));
  const hint = warned?.hint(findLast(lines, line => line.warning && warned.pattern.test(line.text))!.text, lines.map(line => line.text));
  for (const rule of TOOL_RULES) {
    const line = rule(candidates);
    if (line) return { line, hint };
  }
  const generic = findLast(candidates, line => ERROR_WORDS.test(line.text) || DECORATED_ERROR.test(line.shown));
  const fallback = generic ?? candidates[candidates.length - 1];
  return { line: fallback?.text, hint };
}

/** A line as the terminal shows it: without colour and cursor codes, only what the last carriage return left. */
export function visibleText(line: string): string {
  const pieces = line.replace(ANSI, '').split('\r').filter(piece => piece.trim() !== '');
  return pieces[pieces.length - 1] ?? '';
}

interface Line {
  /** Trimmed, with runs of spaces collapsed and a log prefix (`npm error`, a symbol) removed. */
  readonly text: string;
  /** Trimmed only. */
  readonly shown: string;
  readonly warning: boolean;
  readonly noise: boolean;
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)|\u001b[@-Z\\-_]/g;

const NPM_PREFIX = /^npm (ERR!|error|WARN|warn|notice|verb|info|http|timing)(?: |$)/;
/** Symbols and box drawing tools put before a message (CDK's ❌, Serverless' ✖, SST's |, pip's ╰─>). */
const DECORATION = /^(?:[❌✖✘✕×⨯✗│┃|╰─>└┌├·➤ℹ]+\s*)+/u;
const DECORATED_ERROR = /^[❌✖✘✕×⨯✗]/u;

const WARNING = /^(?:WARN(?:ING)?|warn(?:ing)?|⚠|DeprecationWarning)\b|^\(node:\d+\) \w*Warning:|\[WARNING\]|^YN0000:|^YN00(?:02|13|32|60|61|86):/;

/** Lines that never explain a failure, after the prefix is removed. */
const NOISE: readonly RegExp[] = [
  /^at (?:async )?\S.*(?::\d+(?::\d+)?\)?|\((?:native|<anonymous>|index \d+)\))$/, // a stack frame
  /^File ".*", line \d+/,
  /^Traceback \(most recent call last\):$/,
  /^[\^~]+$/,
  /^> /, // npm's script banner
  /^A complete log of this run can be found in/i,
  /^Log files were not written/,
  /ERR_PNPM_RECURSIVE_(?:RUN|EXEC)_FIRST_FAIL(?!.*not found)/,
  /^Exit status \d+$/,
  /^error Command failed with exit code \d+\.?$/,
  /^info\b/,
  /^(?:Error: )?Subprocess exited with error \d+$/,
  /\bELIFECYCLE\b/,
  /^(?:Environment|Credentials|Docs|Support|Bugs|Learn more about \S+):? /,
  /^note: This error originates from a subprocess/,
  /^hint: See above for/,
  /^\[notice\]/,
  /^Run (?:"|`)?\w+ --help(?:"|`)? for/,
];

/** npm's own lines (after `npm error`) that only repeat the exit code or point elsewhere. */
const NPM_NOISE: readonly RegExp[] = [
  /^(?:code|errno|syscall|path|command|signal|workspace|location|cwd|argv|os|node|npm|Verbose \w+)(?: |$)/,
  /^Lifecycle script `.*` failed/,
  /^Failed at the \S+ \S+ script/,
  /^This is probably not a problem with npm/,
  /^If you are behind a proxy/,
  /^For a full report see:/,
  /^Run "npm help \w+" for more info/,
  /^To see a list of scripts, run:/,
  /^npm run$/,
  /^Did you mean (?:this|one of these)\?/,
  /^404(?: Note that you can also install from a| tarball, folder, http url, or git url\.)?$/,
  /^(?:Usage|Options|aliases):/,
  /^\[--/,
  /^[{}]$/,
  /^You can rerun the command with/,
];

/** A line that reads as an error, for the generic rule. */
const ERROR_WORDS = /\b(?:error|ERR!|exception|fatal|failed|failure|cannot|can't|could ?not|couldn't|unable to|not found|denied|refused|invalid)\b|\w(?:Error|Exception)\b/i;

function readLines(output: readonly string[]): Line[] {
  const lines: Line[] = [];
  for (const raw of output) {
    const shown = visibleText(raw).trim();
    // CDK prints its notices after the failure; nothing there is about this build.
    if (/^NOTICES\b/.test(shown)) break;
    const npm = NPM_PREFIX.exec(shown);
    const afterNpm = npm ? shown.slice(npm[0].length) : shown;
    const text = afterNpm.replace(DECORATION, '').replace(/\s+/g, ' ').trim()
      .replace(/^(YN\d{4}:) [│·└┌├] ?/u, '$1 ') // yarn Berry's tree
      .replace(/^=+ (.*?) =+$/, '$1') // pytest's banners
      .replace(/^(?:notsup|engine|network) /, ''); // npm's message titles
    const warning = (npm !== null && /^(?:WARN|warn)$/.test(npm[1])) || WARNING.test(text);
    const npmNoise = npm !== null && (NPM_NOISE.some(pattern => pattern.test(text)) || /^\s+\w+: .*,?$/.test(afterNpm) || !/^(?:ERR!|error)$/.test(npm[1]));
    const noise = text === '' || npmNoise || NOISE.some(pattern => pattern.test(text));
    lines.push({ text, shown, warning, noise });
  }
  return lines;
}

interface KnownCause {
  readonly pattern: RegExp;
  /** The hint, from the matching line and every line (for what they say about versions or hosts). */
  readonly hint: (line: string, lines: readonly string[]) => string;
}

const NODE_ENGINE = /EBADENGINE|Unsupported engine|Not compatible with your version of node|The engine "node" is incompatible|ERR_PNPM_UNSUPPORTED_ENGINE|Your Node version is incompatible|requires Node(?:\.js)? (?:version )?v?\d/i;

const NETWORK = /getaddrinfo (?:ENOTFOUND|EAI_AGAIN)|\b(?:ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH)\b|Temporary failure in name resolution|Failed to establish a new connection|Could not resolve host|socket hang up|ERR_PNPM_META_FETCH_FAIL/;

const KNOWN_CAUSES: readonly KnownCause[] = [
  {
    pattern: /Unable to resolve AWS account to use|Unable to locate credentials|no credentials have been configured|Could not load credentials from any providers|AWS provider credentials not found|credentials (?:are )?(?:missing|not (?:found|configured))|NoCredentialProviders|Missing credentials in config|Unable to load AWS credentials|No valid credential sources found/i,
    hint: () => "no AWS credentials reached the command: check the environment's deploy role (deployRoleArn; locally, your AWS profile or AWS_* variables)",
  },
  {
    pattern: /ExpiredToken|security token included in the request is (?:invalid|expired)|InvalidClientTokenId|The provided token has expired|SignatureDoesNotMatch|UnrecognizedClientException/i,
    hint: () => "AWS refused the credentials: check the environment's deploy role (deployRoleArn; locally, refresh your AWS session)",
  },
  {
    pattern: /is not authorized to perform|\bAccessDenied(?:Exception)?\b/,
    hint: () => "the AWS role lacks a permission: grant it to the environment's deploy role (deployRoleArn)",
  },
  {
    pattern: /been bootstrapped|\/cdk-bootstrap\/|requires bootstrap stack version|Please run 'cdk bootstrap'/i,
    hint: () => 'bootstrap the target account and region once: cdk bootstrap aws://<account>/<region>',
  },
  {
    pattern: /This CDK CLI is not compatible with the CDK library|Cloud assembly schema version mismatch/i,
    hint: () => "the app's aws-cdk CLI is older than its aws-cdk-lib: upgrade aws-cdk in its devDependencies",
  },
  { pattern: NODE_ENGINE, hint: (_, lines) => nodeHint(lines) },
  {
    pattern: /(?:^|: )(\S+): (?:command )?not found$|^env: '?[^':]+'?: No such file or directory$|(?:^|\s)Command "[^"]+" not found|spawn \S+ ENOENT|could not determine executable to run/,
    hint: line => notInstalled(missingTool(line)),
  },
  {
    pattern: NETWORK,
    hint: line => {
      const host = /(?:ENOTFOUND|EAI_AGAIN) ([\w.-]+)|Could not resolve host:? '?([\w.-]+)|host='([\w.-]+)'|https?:\/\/([\w.-]+)/.exec(line);
      const name = host?.slice(1).find(Boolean);
      return `the build could not reach ${name ?? 'the network'}: check the builder's network (a NAT gateway or proxy) and the registry's address`;
    },
  },
  {
    pattern: /\bE404\b|\b404 Not Found\b|is not in (?:this|the npm) registry|ERR_PNPM_FETCH_404|^YN0035:|Couldn't find package|No matching version found for|An unexpected error occurred: ".*: Not found"/,
    hint: () => 'the registry has no such package or version; a private one needs a token in .npmrc (e.g. ${NPM_TOKEN} from a secret)',
  },
  {
    pattern: /JavaScript heap out of memory|\bENOMEM\b|MemoryError\b/,
    hint: () => 'the command ran out of memory: give the builder more memory, or Node more heap (NODE_OPTIONS=--max-old-space-size=...)',
  },
  {
    pattern: /externally-managed-environment/,
    hint: () => 'pip may not install into the system Python: install into a virtual environment (python3 -m venv .venv)',
  },
  {
    pattern: /\bENOSPC\b|No space left on device/,
    hint: () => "the builder's disk is full: give the build task more ephemeral storage",
  },
];

/** Known causes a warning names (then the error that follows is the line): the wrong Node, the network. */
const WARNED_CAUSES = KNOWN_CAUSES.filter(known => known.pattern === NODE_ENGINE || known.pattern === NETWORK);

/** Tools the builder image provides (or not): they cannot come from the app's node_modules. */
const IMAGE_TOOLS = new Set(['node', 'npm', 'npx', 'pnpm', 'yarn', 'corepack', 'python', 'python3', 'pip', 'pip3', 'uv', 'pipenv', 'poetry', 'sam',
  'aws', 'git', 'docker', 'go', 'java', 'mvn', 'gradle', 'cargo', 'dotnet', 'make', 'zip', 'bash']);

function notInstalled(tool: string | undefined): string {
  if (!tool) return "a command the build ran is not installed: add it to the app's devDependencies or use a builder image that has it";
  if (IMAGE_TOOLS.has(tool)) return `'${tool}' is not in the builder image: use a builder image that has it`;
  return `'${tool}' is not installed: add it to the app's devDependencies (node_modules/.bin) or use a builder image that has it`;
}

function missingTool(line: string): string | undefined {
  const match = /(?:^|: )(\S+): (?:command )?not found$|^env: '?([^':]+)'?:|Command "([^"\s]+)[^"]*" not found|spawn (\S+) ENOENT/.exec(line);
  const name = match?.slice(1).find(Boolean);
  return name ? basename(name) : undefined;
}

function startHint(program: string, error: string): string | undefined {
  if (/was not found$/.test(error)) return notInstalled(basename(program));
  if (/is not executable$/.test(error)) return 'commit the file with its executable bit (git update-index --chmod=+x <file>)';
  return undefined;
}

/** The Node the app asks for and the one that ran, as npm, yarn and pnpm print them. */
function nodeHint(lines: readonly string[]): string {
  const all = lines.join('\n');
  const wanted = /(?:required|wanted)\W*\{\s*["']?node["']?\s*:\s*["']([^"']+)["']|Expected version:? "([^"]+)"|Expected version: (\S+)|requires Node(?:\.js)? (?:version )?(v?[\d.x^~>=<| ]*\d[\d.x+]*)/i.exec(all);
  const current = /(?:actual|current)\W*\{[^}\n]*?["']?node["']?\s*:\s*["']v?([^"']+)["']|Got:? "?v?([\d.]+)"?/i.exec(all);
  const want = wanted?.slice(1).find(Boolean)?.trim();
  const ran = current?.slice(1).find(Boolean);
  const choose = 'choose it with .nvmrc, .node-version, engines.node or the nodeVersion setting';
  if (want && ran) return `the app wants Node ${want} and the build ran ${ran}: ${choose}`;
  if (want) return `the app wants Node ${want}, not the one the build ran: ${choose}`;
  if (ran) return `the build ran Node ${ran}, which the app does not support: ${choose}`;
  return `the app does not support the Node the build ran: ${choose}`;
}

type ToolRule = (lines: readonly Line[]) => string | undefined;

/** The first line matching, its text. */
function first(pattern: RegExp): ToolRule {
  return lines => lines.find(line => pattern.test(line.text))?.text;
}

function last(pattern: RegExp): ToolRule {
  return lines => findLast(lines, line => pattern.test(line.text))?.text;
}

/** A test runner's summary of failures, with the first failing test when the output still has it. */
const testSummary: ToolRule = lines => {
  const summary = findLast(lines, line => /^Tests:? +\d+ failed\b|^\d+ failed\b.*\bin [\d.]+m?s\b|^\d+ failing$|^(?:# )?fail [1-9]\d*$|^\d+ tests? failed\b/.test(line.text));
  if (!summary) return undefined;
  // node --test ends with one count a line (`ℹ fail 2`, `# pass 6` in TAP).
  const count = (name: string) => findLast(lines, line => new RegExp(`^(?:# )?${name} \\d+$`).test(line.text))?.text.split(' ').pop();
  const text = /fail \d+$/.test(summary.text) ? `${count('fail')} failed${count('pass') ? `, ${count('pass')} passed` : ''}` : summary.text;
  const firstFailure = lines.map(line => /^●\s+(?!Console\b)(.+)$|^FAILED (.+)$|^FAIL\s+(\S+ > .+)$|^\d+\) (.+)$|^✖ (.+) \([\d.]+m?s\)$|^not ok \d+ - (.+)$/u.exec(line.shown))
    .find(match => match !== null)?.slice(1).find(Boolean);
  return firstFailure ? `${text}; first: ${firstFailure.replace(/\s+/g, ' ')}` : text;
};

/** Serverless' headers (`Error:`, `Serverless Error ---`): the message is on the next lines (two at most). */
const underHeader: ToolRule = lines => {
  for (let at = lines.length - 2; at >= 0; at--) {
    if (/^(?:Error|Serverless Error\s*-*|-+\s*Serverless Error\s*-*)\s*:?$/.test(lines[at].text)) {
      return lines.slice(at + 1, at + 3).map(line => line.text).join(' ');
    }
  }
  return undefined;
};

/** The tools' own ways of saying what went wrong, most specific first. */
const TOOL_RULES: readonly ToolRule[] = [
  first(/\berror TS\d+:/), // tsc, ts-node (cdk synth), ts-jest: the first error is the cause
  first(/\[ERROR\]/), // esbuild (SST v2)
  last(/^Missing script:|ERESOLVE (?:unable to|could not) resolve|can only install packages when your package\.json and package-lock\.json|^Invalid: lock file's/),
  last(/ERR_PNPM_\w+/),
  last(/^YN00(?:01|09|16|18|20|27|28|41|46|71|82|83):|^Usage Error:/), // yarn Berry's errors
  last(/^error (?!Command failed with exit code|Found incompatible module)/), // yarn 1
  testSummary,
  underHeader,
];

function findLast<T>(items: readonly T[], test: (item: T) => boolean): T | undefined {
  for (let at = items.length - 1; at >= 0; at--) if (test(items[at])) return items[at];
  return undefined;
}

function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${cutText(text, Math.max(max - 1, 1))[0]}…`;
}
