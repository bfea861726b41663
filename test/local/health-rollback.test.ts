import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { dirname, join } from 'path';
import { cleanUp, noteDescendants } from './support/process-cleanup';
import { HEALTH_GATED_DEV, breakSampleHealth, sampleRepository } from './support/sample-app';
import { TrellisProcess, bundleTrellis } from './support/trellis-process';
import { Deployment } from '../../src/runtime/core';
import { LocalApi, pushed } from '../reliability/support/local-trellis';
import { eventually } from '../support/eventually';

/**
 * End to end: `trellis local` as a real process, with a config file whose dev
 * environment is health-checked on the local server's `/apps/dev/health` (the deployed sample
 * app). v1 deploys and passes; v2 answers 500 there, so its deployment fails with the health
 * check's reason and Trellis rolls dev back to v1 by itself: the automatic rollback deploys
 * v1's stored artifact (items 2 and 3 together), passes, and is in the history beside the
 * failed one.
 */

const APP = 'sample-app';

let cli: string | undefined;
let dataDir: string | undefined;
let work: string | undefined;
let trellis: TrellisProcess;
const started: TrellisProcess[] = [];
const commands = new Map<number, string>();
const api = new LocalApi(() => trellis);


/** `<dataDir>/deployed/dev/version.json`, or undefined. */
function deployedDev(): { commit: string } | undefined {
  const file = join(dataDir!, 'deployed', 'dev', 'version.json');
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : undefined;
}

async function ended(id: string): Promise<Deployment> {
  const done = await api.terminal(id, 150_000);
  noteDescendants(trellis, commands);
  return done;
}

beforeAll(async () => {
  cli = bundleTrellis();
  work = mkdtempSync(join(tmpdir(), 'trellis-health-e2e-'));
  dataDir = join(work, 'data');
  sampleRepository(work);
  const config = join(work, 'trellis.json');
  writeFileSync(config, JSON.stringify({
    applications: [{ name: APP, repository: './sample-app', environments: [HEALTH_GATED_DEV] }],
  }, null, 2));
  trellis = await TrellisProcess.start(cli, { dataDir, config });
  started.push(trellis);
  noteDescendants(trellis, commands);
}, 240_000);

afterAll(async () => {
  if (process.env.TRELLIS_E2E_OUTPUT) writeFileSync(process.env.TRELLIS_E2E_OUTPUT, started.map(proc => proc.output).join('\n=====\n'));
  await cleanUp(started, commands, [work, cli && dirname(dirname(cli))].filter((path): path is string => path !== undefined));
}, 60_000);

describe('trellis local: a deployment that fails its health check is rolled back', () => {
  let v1: { commit: string; id: string };

  test('v1 deploys, and the health check on the local server passes', async () => {
    // The URL the builder calls is the server's own, port and all ({serverUrl}).
    const health = await fetch(`${trellis.info.url}/apps/dev/health`);
    expect(health.status).toBe(404); // nothing deployed yet

    const id = await pushed(trellis, APP, 'v1: healthy');
    const done = await ended(id);
    expect(done).toMatchObject({ status: 'succeeded', action: 'deploy', trigger: { kind: 'push' } });
    v1 = { commit: done.commit, id };
    const check = done.phases?.find(phase => phase.phase === 'health');
    expect(check).toMatchObject({ outcome: 'succeeded' });
    expect(check?.detail ?? '').toContain(`${trellis.info.url}/apps/dev/health`);
    expect(deployedDev()).toMatchObject({ commit: v1.commit });
    expect(await (await fetch(`${trellis.info.url}/apps/dev/health`)).json()).toEqual({ status: 'ok', commit: v1.commit });
  }, 240_000);

  test('v2 answers 500 on /health: failed with the health reason, then an automatic rollback to v1 succeeds', async () => {
    const repo = trellis.info.applications[APP].path;
    breakSampleHealth(repo);

    const v2Id = await pushed(trellis, APP, 'v2: /health answers 500');
    const v2 = await ended(v2Id);
    expect(v2.commit).not.toBe(v1.commit);
    expect(v2.status).toBe('failed');
    expect(v2.reason).toContain('health check failed');
    expect(v2.reason).toContain('500');
    expect(v2.reason).toContain(`rolling back to ${v1.id}`);
    expect(v2.phases?.find(phase => phase.phase === 'deploy')).toMatchObject({ outcome: 'succeeded' });
    expect(v2.phases?.find(phase => phase.phase === 'health')).toMatchObject({ outcome: 'failed' });
    // An unhealthy version is never stored as an artifact: nothing could roll back to it anyway.
    expect(v2.phases?.find(phase => phase.phase === 'save-artifact')).toBeUndefined();

    // The automatic rollback: the newest deployment of dev, made by Trellis, of v1's commit.
    const rollback = await eventually('the automatic rollback to appear', async () =>
      (await api.history(APP, 'dev')).find(item => item.trigger.kind === 'auto-rollback'), 30_000);
    expect(rollback).toMatchObject({
      action: 'rollback',
      commit: v1.commit,
      trigger: { kind: 'auto-rollback', actor: 'trellis', sourceDeploymentId: v1.id },
    });
    const restored = await ended(rollback.id);
    expect(restored.status).toBe('succeeded');
    // From v1's stored artifact: no clone, install or tests; then health-checked like any deploy.
    expect(restored.phases?.find(phase => phase.phase === 'fetch-artifact')).toMatchObject({
      outcome: 'succeeded', detail: expect.stringContaining(`from artifact ${v1.id}`),
    });
    expect(restored.phases?.map(phase => phase.phase)).toEqual(['prepare', 'fetch-artifact', 'deploy', 'health', 'save-artifact']);
    expect(restored.phases?.find(phase => phase.phase === 'health')).toMatchObject({ outcome: 'succeeded' });

    // v1 is what runs again, and the current version.
    expect(deployedDev()).toMatchObject({ commit: v1.commit });
    expect(await (await fetch(`${trellis.info.url}/apps/dev/health`)).json()).toEqual({ status: 'ok', commit: v1.commit });
    const app = await api.call('GET', `/api/apps/${APP}`);
    expect(app.environments.find((env: { name: string }) => env.name === 'dev')).toMatchObject({ currentCommit: v1.commit, currentDeploymentId: rollback.id });

    // The history, newest first: the rollback, the failed v2, v1; nothing else.
    const history = await api.history(APP, 'dev');
    expect(history.map(item => [item.id, item.status, item.trigger.kind])).toEqual([
      [rollback.id, 'succeeded', 'auto-rollback'], [v2Id, 'failed', 'push'], [v1.id, 'succeeded', 'push'],
    ]);
    expect(trellis.output).toMatch(/sample-app\/dev\s+failed\s+deploy \w+\s+health check failed/);
  }, 240_000);
});
