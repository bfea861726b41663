import { printable } from './names';
import { ApplicationConfig, EnvironmentConfig, EnvironmentState } from './types';

/** What the webhook handler extracts from a GitHub push event. */
export interface PushEvent {
  /** `owner/repo` (GitHub's `repository.full_name`). */
  readonly repository: string;
  /** `refs/heads/<branch>` or `refs/tags/<tag>`. */
  readonly ref: string;
  readonly deleted: boolean;
  /** The pushed head commit (`after`); absent or all zeros when nothing was pushed. */
  readonly headCommit?: string;
}

export interface PushTarget {
  readonly application: string;
  readonly environment: string;
  readonly branch: string;
  readonly commit: string;
}

export interface PushRouting {
  readonly targets: readonly PushTarget[];
  /** Why each skipped application or environment was skipped, for the webhook response. */
  readonly ignored: readonly string[];
  /** No application uses the pushed repository (counted as a webhook rejection). */
  readonly unknownRepository?: true;
}

/** An application as configured, its environments with the stored mark of one being deleted (which no push deploys to). */
export type RoutableApplication = Omit<ApplicationConfig, 'environments'> & {
  readonly environments: ReadonlyArray<EnvironmentConfig & Pick<EnvironmentState, 'deleting'>>;
};

const BRANCH_PREFIX = 'refs/heads/';
const NO_COMMIT = /^0+$/;

/**
 * Which environments does a push start? Every auto-deploy environment that tracks the
 * pushed branch, in each application of the pushed repository. Production never.
 */
export function routePush(apps: readonly RoutableApplication[], push: PushEvent): PushRouting {
  if (!push.ref.startsWith(BRANCH_PREFIX)) {
    const what = push.ref.startsWith('refs/tags/') ? 'tag push' : 'not a branch';
    return ignore(`${what} (${printable(push.ref)}) starts no deployment`);
  }
  const branch = push.ref.slice(BRANCH_PREFIX.length);
  if (push.deleted) return ignore(`branch '${printable(branch)}' was deleted`);
  if (!push.headCommit || NO_COMMIT.test(push.headCommit)) return ignore(`push to '${printable(branch)}' has no head commit`);

  const repository = push.repository.toLowerCase();
  const matching = apps.filter(app => app.repository.toLowerCase() === repository);
  if (matching.length === 0) return { ...ignore(`no application uses repository '${printable(push.repository)}'`), unknownRepository: true };

  const targets: PushTarget[] = [];
  const ignored: string[] = [];
  for (const app of matching) {
    const tracking = app.environments.filter(env => env.branch === branch);
    for (const env of tracking) {
      if (env.deleting) {
        ignored.push(`${app.name}/${env.name}: is being deleted`);
      } else if (env.kind === 'production') {
        ignored.push(`${app.name}/${env.name}: production never deploys on push; promote to it`);
      } else if (!env.autoDeploy) {
        ignored.push(`${app.name}/${env.name}: autoDeploy is off`);
      } else {
        targets.push({ application: app.name, environment: env.name, branch, commit: push.headCommit });
      }
    }
    if (tracking.length === 0) ignored.push(`${app.name}: no environment tracks branch '${printable(branch)}'`);
  }
  return { targets, ignored };
}

function ignore(reason: string): PushRouting {
  return { targets: [], ignored: [reason] };
}
