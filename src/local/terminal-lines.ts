import { oneLine } from '../runtime/core/terminal-text';
import { Deployment } from '../runtime/core/types';

/**
 * What a person reads in the terminal per deployment state change, one line each. The commit
 * message, actor and reason are others' text: cleaned of escape sequences and line breaks.
 */
export function deploymentLine(deployment: Deployment, dashboardUrl: string): string {
  const time = deployment.updatedAt.slice(11, 19);
  const target = `${deployment.application}/${deployment.environment}`.padEnd(24);
  const status = deployment.status.padEnd(10);
  const what = `${deployment.action} ${deployment.commit.slice(0, 7)}`;
  return `${time}  ${target} ${status} ${what}  ${oneLine(detailOf(deployment, dashboardUrl))}`.trimEnd();
}

function detailOf(deployment: Deployment, dashboardUrl: string): string {
  switch (deployment.status) {
    case 'queued': {
      const by = deployment.trigger.actor ? ` by ${deployment.trigger.actor}` : '';
      const message = deployment.commitMessage ? ` "${deployment.commitMessage.slice(0, 60)}"` : '';
      return `${deployment.trigger.kind}${by}${message}`;
    }
    case 'running':
      return `${dashboardUrl}/#/deployments/${encodeURIComponent(deployment.id)}`;
    case 'succeeded':
      return durationOf(deployment);
    default:
      return deployment.reason ?? '';
  }
}

function durationOf(deployment: Deployment): string {
  if (!deployment.startedAt || !deployment.finishedAt) return '';
  const seconds = (Date.parse(deployment.finishedAt) - Date.parse(deployment.startedAt)) / 1000;
  return `in ${seconds.toFixed(1)} s`;
}

export interface BannerDetails {
  readonly url: string;
  readonly webhookUrl: string;
  readonly webSocketUrl: string;
  readonly user: string;
  readonly password: string;
  readonly dataDir: string;
  readonly applications: readonly string[];
  /** How this user runs the command (`npx trellis`, or `npm run trellis --` in this repository). */
  readonly command: string;
  /** The data directory was chosen with --data-dir: `trellis push` needs it too. */
  readonly customDataDir?: boolean;
  /** Local mode's GitHub stand-in. @default no line */
  readonly githubUrl?: string;
}

/**
 * How the person runs the command, for the lines that say what to run next: an npm script of
 * this repository (`npm run local`; its own bin is not linked) means `npm run trellis --`;
 * everywhere else it is `npx trellis`, a project's own `local` script included (that project
 * has no `trellis` script).
 */
export function commandHint(env: NodeJS.ProcessEnv): string {
  const thisRepository = env.npm_package_name === 'trellis-cdk';
  const fromScript = env.npm_lifecycle_event !== undefined && env.npm_lifecycle_event !== 'npx';
  return thisRepository && fromScript ? 'npm run trellis --' : 'npx trellis';
}

/** The banner printed once the server answers. */
export function startBanner(details: BannerDetails): string {
  return [
    '',
    'Trellis is running locally.',
    '',
    `  Dashboard   ${details.url}/`,
    `  Sign in     ${details.user} / ${details.password}`,
    `  Webhook     ${details.webhookUrl}`,
    `  Live logs   ${details.webSocketUrl}`,
    ...details.githubUrl ? [`  GitHub      ${details.githubUrl}/ (local stand-in)`] : [],
    `  Data        ${details.dataDir}`,
    `  Apps        ${details.applications.join(', ')}`,
    '',
    `Push a commit:  ${details.command} push ${details.applications[0] ?? '<app>'} main${details.customDataDir ? ` --data-dir ${shellWord(details.dataDir)}` : ''}`,
    'Stop:           Ctrl-C',
    '',
  ].join('\n');
}

/** A path as one word to paste into a shell (quoted when it has anything but safe characters). */
function shellWord(text: string): string {
  return /^[A-Za-z0-9_./:@%+=,-]+$/.test(text) ? text : `'${text.replace(/'/g, "'\\''")}'`;
}
