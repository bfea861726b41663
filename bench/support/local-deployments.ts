import { Deployment, PhaseRecord, isTerminal } from '../../src/runtime/core';
import { TrellisProcess } from '../../test/local/support/trellis-process';
import { eventually } from '../../test/support/eventually';

/** What the benches on `trellis local` read back: deployments as the API records them, their phases' durations. */

export const seconds = (millis: number) => `${(millis / 1000).toFixed(2)} s`;

/** Start a deployment of `app`'s dev environment and wait for it to end; it must succeed. */
export async function settled(trellis: TrellisProcess, app: string, label: string, start: () => Promise<unknown>): Promise<Deployment> {
  const before = new Set((await history(trellis, app)).map(deployment => deployment.id));
  await start();
  const fresh = await eventually(`${label}: a finished deployment`, async () => {
    const found = (await history(trellis, app)).find(deployment => !before.has(deployment.id));
    return found && isTerminal(found.status) && found;
  }, 15 * 60_000, 500);
  if (fresh.status !== 'succeeded') throw new Error(`${label}: ${fresh.status}: ${fresh.reason ?? ''}`);
  const { body } = await trellis.api('GET', `/api/deployments/${fresh.id}`);
  return body as Deployment;
}

async function history(trellis: TrellisProcess, app: string): Promise<Deployment[]> {
  const { status, body } = await trellis.api('GET', `/api/apps/${app}/environments/dev/deployments`);
  if (status !== 200) throw new Error(`history: ${status} ${JSON.stringify(body)}`);
  return body.items as Deployment[];
}

function record(deployment: Deployment, name: string): PhaseRecord | undefined {
  return deployment.phases?.find(candidate => candidate.phase === name);
}

/** A phase's duration in ms; 0 when it did not run. */
export function phase(deployment: Deployment, name: string): number {
  return record(deployment, name)?.durationMs ?? 0;
}

export function detail(deployment: Deployment, name: string): string {
  const found = record(deployment, name);
  return found ? `${found.outcome}${found.detail ? `: ${found.detail}` : ''}` : 'not run';
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** The whole deployment, launch to finish. */
export function total(deployment: Deployment): number {
  return deployment.startedAt && deployment.finishedAt ? Date.parse(deployment.finishedAt) - Date.parse(deployment.startedAt) : NaN;
}
