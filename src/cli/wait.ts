import { ApiClient, ApiUnreachableError } from './api-client';
import { deploymentLabel, followingLost } from './deployment-outcome';
import { phaseEndLine, phaseStartLine } from './log-lines';
import { isTerminal } from '../runtime/core/state-machine';
import { Deployment } from '../runtime/core/types';

/**
 * `--wait`: follow a deployment by asking the API for it (GET /api/deployments/{id}) until it is
 * final, printing one line when it leaves the queue and one per phase as it starts and as it ends.
 */

export interface WaitOptions {
  /** The first interval between two polls; it grows to `maxIntervalMs`. @default 500 */
  readonly firstIntervalMs?: number;
  /** @default 3000 */
  readonly maxIntervalMs?: number;
  /** Polls that fail in a row (network down, server gone) before giving up. @default 20 */
  readonly maxFailedPolls?: number;
}

export async function waitForDeployment(
  client: ApiClient, started: Deployment, report: (line: string) => void, options: WaitOptions = {},
): Promise<Deployment> {
  const maxIntervalMs = options.maxIntervalMs ?? 3000;
  const maxFailedPolls = options.maxFailedPolls ?? 20;
  let interval = options.firstIntervalMs ?? 500;
  let failedPolls = 0;
  const progress = new Progress(report);
  let deployment = started;
  progress.show(deployment);
  while (!isTerminal(deployment.status)) {
    await new Promise(resolve => setTimeout(resolve, interval));
    interval = Math.min(maxIntervalMs, Math.round(interval * 1.5));
    try {
      deployment = await client.deployment(started.id);
      failedPolls = 0;
    } catch (error) {
      // A refusal (signed out, deleted) will not change; a network error may.
      if (!(error instanceof ApiUnreachableError)) throw error;
      if (++failedPolls >= maxFailedPolls) throw followingLost(error, started.id, started);
      continue;
    }
    progress.show(deployment);
  }
  return deployment;
}

/** What has been said so far, so each change is said once. */
class Progress {
  private running = false;
  private readonly started = new Set<string>();
  private readonly ended = new Set<string>();

  constructor(private readonly report: (line: string) => void) {}

  show(deployment: Deployment): void {
    if (!this.running && deployment.status === 'running') {
      this.running = true;
      this.report(`${deploymentLabel(deployment)} running`);
    }
    for (const phase of deployment.phases ?? []) {
      if (!this.started.has(phase.phase)) {
        this.started.add(phase.phase);
        this.report(phaseStartLine(phase.phase));
      }
      if (phase.outcome !== 'running' && !this.ended.has(phase.phase)) {
        this.ended.add(phase.phase);
        this.report(phaseEndLine(phase.phase, phase.outcome, phase.durationMs, phase.detail));
      }
    }
  }
}
