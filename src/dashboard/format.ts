import { ALL_APPLICATIONS } from './roles';
import { duration } from '../runtime/core/durations';
import { LOCAL_OWNER } from '../runtime/core/names';
import { isTerminal } from '../runtime/core/state-machine';
import { Deployment, FrameworkConfig, TriggerKind } from '../runtime/core/types';

export function isActive(deployment: Deployment | undefined): boolean {
  return deployment !== undefined && !isTerminal(deployment.status);
}

/** How a rollback or promotion got what it deployed, from its fetch-artifact phase: the stored artifact, or a rebuild and why. */
export interface DeploySource {
  readonly label: 'from artifact' | 'rebuild';
  readonly detail?: string;
}

export function deploySource(deployment: Deployment): DeploySource | undefined {
  if (deployment.action !== 'rollback' && deployment.action !== 'promote') return undefined;
  const phase = deployment.phases?.find(candidate => candidate.phase === 'fetch-artifact');
  if (phase?.outcome === 'succeeded') return { label: 'from artifact', detail: phase.detail };
  if (phase?.outcome === 'skipped') return { label: 'rebuild', detail: phase.detail };
  return undefined;
}

/** A grant's or token's application in words. */
export function applicationScope(application: string): string {
  return application === ALL_APPLICATIONS ? 'all applications' : application;
}

export function shortSha(commit: string): string {
  return /^[0-9a-f]{40}$/i.test(commit) ? commit.slice(0, 7) : commit;
}

/** GitHub's page of a commit, when the repository is `owner/repo` on GitHub. */
export function commitUrl(repository: string | undefined, commit: string): string | undefined {
  if (!repository || !/^[\w.-]+\/[\w.-]+$/.test(repository) || !/^[0-9a-f]{7,40}$/i.test(commit)) return undefined;
  if (repository.startsWith(`${LOCAL_OWNER}/`)) return undefined;
  return `https://github.com/${repository}/commit/${commit}`;
}

export function between(from: string | undefined, to: string | number | undefined): number | undefined {
  if (!from || to === undefined) return undefined;
  const end = typeof to === 'number' ? to : Date.parse(to);
  return end - Date.parse(from);
}

/** Time waited for the environment lock and the executor. */
export function queuedFor(deployment: Deployment, now: number): number | undefined {
  return between(deployment.createdAt, deployment.startedAt ?? (deployment.status === 'queued' ? now : deployment.finishedAt));
}

/** Time the build ran (so far, while it runs). */
export function ranFor(deployment: Deployment, now: number): number | undefined {
  return between(deployment.startedAt, deployment.finishedAt ?? (isTerminal(deployment.status) ? undefined : now));
}

const UNITS: Array<[Intl.RelativeTimeFormatUnit, number]> = [['day', 86_400_000], ['hour', 3_600_000], ['minute', 60_000]];
const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });

export function ago(iso: string | undefined, now = Date.now()): string {
  if (!iso) return '–';
  const delta = Date.parse(iso) - now;
  for (const [unit, ms] of UNITS) {
    if (Math.abs(delta) >= ms) return relative.format(Math.round(delta / ms), unit);
  }
  return 'just now';
}

export function dateTime(iso: string | undefined): string {
  return iso ? new Date(iso).toLocaleString() : '';
}

/** Every kind named (a new kind does not compile until it has a label); `by` = whether the actor is worth saying. */
const TRIGGERS: Readonly<Record<TriggerKind, { readonly label: string; readonly by: boolean }>> = {
  'push': { label: 'push', by: true },
  'manual': { label: 'manual', by: true },
  'promotion': { label: 'promotion', by: true },
  'rollback': { label: 'rollback', by: true },
  // After a failed health check, by Trellis itself.
  'auto-rollback': { label: 'automatic rollback', by: false },
  'pull_request': { label: 'pull request', by: true },
};

export function triggerText(deployment: Deployment): string {
  const known = Object.prototype.hasOwnProperty.call(TRIGGERS, deployment.trigger.kind) ? TRIGGERS[deployment.trigger.kind] : undefined;
  const kind = known?.label ?? deployment.trigger.kind;
  return deployment.trigger.actor && known?.by !== false ? `${kind} by ${deployment.trigger.actor}` : kind;
}

/** Argument vector as one editable line: words split on spaces, quotes keep spaces inside one word. */
export function argvToText(argv: readonly string[]): string {
  return argv.map(arg => (arg === '' || /[\s"']/.test(arg) ? JSON.stringify(arg) : arg)).join(' ');
}

export function textToArgv(text: string): string[] {
  const args: string[] = [];
  const pattern = /"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g;
  for (let match = pattern.exec(text); match; match = pattern.exec(text)) {
    if (match[1] !== undefined) args.push(match[1].replace(/\\(.)/g, '$1'));
    else args.push(match[2] ?? match[3]);
  }
  return args;
}

/** What a shell would act on; a command here runs without one, so each would reach it as a word. */
const SHELL_SYNTAX = /^(?:&&|\|\||\||;|&|\d?>>?|<|\d?>&\d)$|;$|^\$\(|`/;

/** Why a command typed as a line cannot mean what it looks like (no shell runs it), or undefined. */
export function commandLineProblem(label: string, text: string): string | undefined {
  const unquoted = text.replace(/"(?:[^"\\]|\\.)*"|'[^']*'/g, ' ');
  if (/["']/.test(unquoted)) return `${label}: a quote is not closed`;
  const syntax = unquoted.split(/\s+/).find(word => SHELL_SYNTAX.test(word));
  if (!syntax) return undefined;
  return `${label} runs without a shell, so '${syntax}' would reach the command as an argument: `
    + 'put the line in a script (a package.json script, a Makefile target) and give that';
}

/** Custom deploy (and remove) commands, split as the test command is; undefined without a deploy command. */
export function customCommands(deploy: string, remove: string): FrameworkConfig | undefined {
  if (deploy.trim() === '') return undefined;
  return { kind: 'custom', deploy: textToArgv(deploy), ...remove.trim() !== '' && { remove: textToArgv(remove) } };
}

// Shared with the terminal client: the pages take them from here with the other formats.
export { duration, isTerminal };
