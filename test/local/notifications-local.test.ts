import { mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { dirname, join } from 'path';
import { cleanUp, noteDescendants } from './support/process-cleanup';
import { HEALTH_GATED_DEV, breakSampleHealth, sampleRepository } from './support/sample-app';
import { TrellisProcess, bundleTrellis } from './support/trellis-process';
import { Deployment } from '../../src/runtime/core';
import { NotificationFailureView } from '../../src/runtime/core/api-types';
import { TestReceiver } from '../notifications/support/receiver';
import { LocalApi, pushed } from '../reliability/support/local-trellis';
import { eventually } from '../support/eventually';

/**
 * End to end: `trellis local` as a real process with two notification destinations on the
 * sample app, real HTTP receivers on 127.0.0.1. One verifies every signature, as the README
 * tells a receiver to, and sees dev's events numbered in the order they happened across a
 * deploy, a deployment that fails its health check and the automatic rollback. The other answers
 * 500 to everything: the deployments do not wait for it, and its failures show in the API.
 */

const APP = 'sample-app';
const SECRET = 'local-receiver-key-7f3a9c';
const BROKEN_SECRET = 'broken-receiver-key-41d2';

let cli: string | undefined;
let work: string | undefined;
let trellis: TrellisProcess;
let receiver: TestReceiver;
let broken: TestReceiver;
const started: TrellisProcess[] = [];
const commands = new Map<number, string>();
const api = new LocalApi(() => trellis);


async function ended(id: string): Promise<Deployment> {
  const done = await api.terminal(id, 150_000);
  noteDescendants(trellis, commands);
  return done;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap(name => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

async function failures(): Promise<NotificationFailureView[]> {
  return (await api.call('GET', `/api/apps/${APP}/notifications/failures`)).items;
}

beforeAll(async () => {
  receiver = await TestReceiver.start(SECRET);
  broken = await TestReceiver.start(BROKEN_SECRET, () => ({ status: 500 }));
  cli = bundleTrellis();
  work = mkdtempSync(join(tmpdir(), 'trellis-notify-e2e-'));
  sampleRepository(work);
  const config = join(work, 'trellis.json');
  writeFileSync(config, JSON.stringify({
    applications: [{
      name: APP,
      repository: './sample-app',
      environments: [HEALTH_GATED_DEV],
      notifications: [
        { kind: 'webhook', url: receiver.url, secret: SECRET },
        { kind: 'webhook', url: broken.url, secret: BROKEN_SECRET, environments: ['dev'] },
      ],
    }],
  }, null, 2));
  trellis = await TrellisProcess.start(cli, { dataDir: join(work, 'data'), config });
  started.push(trellis);
  noteDescendants(trellis, commands);
}, 240_000);

afterAll(async () => {
  if (process.env.TRELLIS_E2E_OUTPUT) writeFileSync(process.env.TRELLIS_E2E_OUTPUT, started.map(proc => proc.output).join('\n=====\n'));
  await cleanUp(started, commands, [work, cli && dirname(dirname(cli))].filter((path): path is string => path !== undefined));
  await receiver?.close();
  await broken?.close();
}, 60_000);

describe('trellis local: signed notifications', () => {
  let v1: Deployment;

  test('a deploy: queued and succeeded reach the receiver signed; the 500 receiver does not hold the deployment up', async () => {
    const id = await pushed(trellis, APP, 'v1: healthy');
    v1 = await ended(id);
    expect(v1.status).toBe('succeeded');
    // The deployment has succeeded while the broken receiver is still being retried for it (3 attempts, 1 s then 2 s apart).
    const listed = await failures();
    expect(listed.filter(failure => failure.event === 'deployment.succeeded')).toEqual([]);
    const succeededTries = () => broken.requests.filter(request => request.body?.event === 'deployment.succeeded' && request.body.deployment.id === id).length;
    expect(succeededTries()).toBeLessThan(3);

    await eventually('the receiver to have v1\'s success', () => receiver.requests.some(request => request.body.event === 'deployment.succeeded'), 30_000);
    expect(receiver.requests.map(request => [request.body.sequence, request.body.event, request.body.deployment.id])).toEqual([
      [1, 'deployment.queued', id], [2, 'deployment.succeeded', id],
    ]);
    expect(receiver.requests[1].body.deployment).toMatchObject({
      action: 'deploy',
      status: 'succeeded',
      commit: v1.commit,
      branch: 'main',
      trigger: { kind: 'push' },
      url: `${trellis.info.url}/#/deployments/${encodeURIComponent(id)}`,
    });

    // Then it fails for good: three attempts, recorded with the reason, shown by the API.
    const failed = await eventually('the failed success notification to be listed', async () =>
      (await failures()).find(failure => failure.event === 'deployment.succeeded'), 60_000);
    expect(failed).toMatchObject({ environment: 'dev', kind: 'webhook', destination: expect.stringContaining(new URL(broken.url).origin), attempts: 3, error: 'HTTP 500', deploymentId: id });
    expect(succeededTries()).toBe(3);
  }, 300_000);

  test('a failed health check and the automatic rollback: every event signed, numbered in order', async () => {
    const repo = trellis.info.applications[APP].path;
    breakSampleHealth(repo);

    const v2Id = await pushed(trellis, APP, 'v2: /health answers 500');
    expect((await ended(v2Id)).status).toBe('failed');
    const rollback = await eventually('the automatic rollback', async () =>
      (await api.history(APP, 'dev')).find(item => item.trigger.kind === 'auto-rollback'), 30_000);
    expect((await ended(rollback.id)).status).toBe('succeeded');

    await eventually('the receiver to have the rollback', () => receiver.requests.some(request => request.body.event === 'deployment.rolled_back'), 30_000);
    expect(receiver.requests.every(request => request.signatureValid)).toBe(true);
    // Delivered in order, and numbered 1, 2, 3, ... in the order the events happened.
    expect(receiver.requests.map(request => [request.body.sequence, request.body.event, request.body.deployment.id])).toEqual([
      [1, 'deployment.queued', v1.id],
      [2, 'deployment.succeeded', v1.id],
      [3, 'deployment.queued', v2Id],
      [4, 'deployment.failed', v2Id],
      [5, 'deployment.queued', rollback.id],
      [6, 'deployment.rolled_back', rollback.id],
    ]);
    const failedEvent = receiver.requests[3];
    expect(failedEvent.body.deployment.reason).toContain('health check failed');
    expect(receiver.requests[5].body.deployment.trigger).toEqual({ kind: 'auto-rollback', actor: 'trellis' });
    for (const request of receiver.requests) {
      expect(request.headers).toMatchObject({
        'x-trellis-event': request.body.event,
        'x-trellis-delivery': request.body.id,
        'x-trellis-sequence': String(request.body.sequence),
        'x-trellis-timestamp': request.body.timestamp,
      });
    }
    // Every delivery has its own id; the timestamps follow the numbers.
    expect(new Set(receiver.requests.map(request => request.body.id)).size).toBe(6);
    const times = receiver.requests.map(request => Date.parse(request.body.timestamp));
    expect([...times].sort((a, b) => a - b)).toEqual(times);

    // The broken receiver got each event three times, signed with its own key; every one is listed as failed, and no secret is.
    const listed = await eventually('every broken delivery to be listed', async () => {
      const all = await failures();
      return all.length === 6 ? all : undefined;
    }, 90_000);
    expect(listed.map(failure => failure.sequence).sort()).toEqual([1, 2, 3, 4, 5, 6]);
    expect(broken.requests.every(request => request.signatureValid)).toBe(true);
    expect(JSON.stringify(listed)).not.toContain(BROKEN_SECRET);
    // The keys stay in the process: not in the server log, nor in the table (DynamoDB Local's files).
    expect(readFileSync(join(trellis.dataDir, 'server.log'), 'utf8')).not.toContain(SECRET);
    const tableFiles = filesUnder(join(trellis.dataDir, 'dynamodb')).map(file => readFileSync(file));
    expect(tableFiles.some(bytes => bytes.includes(receiver.url))).toBe(true); // the destination is there, by URL
    expect(tableFiles.filter(bytes => bytes.includes(SECRET) || bytes.includes(BROKEN_SECRET))).toHaveLength(0);
  }, 400_000);
});
