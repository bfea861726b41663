import { ECSClient, RunTaskCommand, RunTaskCommandInput } from '@aws-sdk/client-ecs';
import { taskArn } from './fake-task-runner';
import { BUILD_INGEST_TOKEN, BUILD_PARAMETERS } from '../../src/contract/build-environment';
import { EcsTaskRunner } from '../../src/runtime/aws/ecs-task-runner';
import { DeploymentScheduler, Store } from '../../src/runtime/core';
import { ingestTokenHash } from '../../src/runtime/core/ingest-token';
import { launchQueued, taskRequest } from '../../src/runtime/deployments/launch';
import { ingestLive } from '../../src/runtime/logs/ingest-bound';
import { FaultyStore } from '../reliability/support/faulty-store';
import { GatedTaskRunner } from '../reliability/support/gated-task-runner';
import { appConfig, envConfig, steppingClock } from '../store/fixtures';
import { record } from '../store/log-records';
import { freshStore } from '../support/test-table';

/**
 * The launcher issues each deployment an ingest token, gives it to the task only, and records
 * the SHA-256 of the token the task really has (a repeated RunTask answers with the first
 * request's task) with the task. DynamoDB Local; ECS is the recording fake.
 */

const COMMIT = (n: number) => n.toString(16).padStart(40, '0');

describe('the ingest token bound at launch', () => {
  let real: Store;
  let faulty: FaultyStore;
  let runner: GatedTaskRunner;
  let clock: ReturnType<typeof steppingClock>;
  let logged: Array<Record<string, unknown>>;
  const deps = () => ({ store: faulty.store, runner, clock, log: (entry: Record<string, unknown>) => { logged.push(entry); } });
  /** A launch as SQS redelivers it, after the stranded bound. */
  const redelivered = () => ({ ...deps(), clock: { now: () => new Date(clock.now().getTime() + 120_000) } });
  const ingestDeps = () => ({
    store: real, sink: { send: async () => 'sent' as const }, clock, retentionDays: 1, log: (entry: Record<string, unknown>) => { logged.push(entry); },
  });

  beforeEach(async () => {
    clock = steppingClock();
    logged = [];
    ({ store: real } = await freshStore(clock));
    faulty = new FaultyStore(real);
    runner = new GatedTaskRunner();
    await real.config.syncApplications([appConfig('shop', [envConfig('dev'), envConfig('prod')])]);
  });

  const queue = (n: number, environment = 'dev') => new DeploymentScheduler(real, clock).create({
    application: 'shop', environment, action: 'deploy', commit: COMMIT(n), branch: 'main', trigger: { kind: 'push' },
  });

  test('each launch gives its task a fresh 32-byte token and records only its hash, never in the Deployment or the log', async () => {
    const a = await queue(1, 'dev');
    const b = await queue(2, 'prod');
    expect(await launchQueued(a.id, deps())).toMatchObject({ outcome: 'started' });
    expect(await launchQueued(b.id, deps())).toMatchObject({ outcome: 'started' });

    const [tokenA, tokenB] = runner.runs.map(r => r.ingestToken);
    expect(tokenA).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(tokenB).not.toBe(tokenA);
    expect(await real.deployments.logBinding(a.id)).toEqual({ status: 'running', taskId: taskArn(a.id), ingestTokenHash: ingestTokenHash(tokenA) });
    expect(await real.deployments.logBinding(b.id)).toMatchObject({ ingestTokenHash: ingestTokenHash(tokenB) });
    const seen = JSON.stringify([await real.deployments.get(a.id), await real.deployments.listByEnvironment('shop', 'dev'), logged]);
    expect(seen).not.toContain(tokenA);
    expect(seen).not.toContain(ingestTokenHash(tokenA));
  });

  test('RunTask started the task but the launcher died before recording it: the redelivery asks with the same token (ECS refuses a repeat with other parameters) and binds it', async () => {
    const a = await queue(1);
    faulty.failNext('attachTask');
    await expect(launchQueued(a.id, deps())).rejects.toThrow(/ECONNREFUSED/);
    const started = runner.runs[0].ingestToken;
    let repeatedWith: string | undefined;
    runner.duringRun = async request => { repeatedWith = request.ingestToken; };

    expect(await launchQueued(a.id, redelivered())).toMatchObject({ outcome: 'started', taskId: taskArn(a.id) });
    expect(runner.repeatedRuns).toEqual([a.id]);
    expect(repeatedWith).toBe(started);
    expect(await real.deployments.logBinding(a.id)).toMatchObject({ taskId: taskArn(a.id), ingestTokenHash: ingestTokenHash(started) });

    // So the build's live batches (sent with the token it was started with) are stored, and another token's are not.
    expect(await ingestLive({ kind: 'trellis-log-batch', deploymentId: a.id, ingestToken: started, records: [record(0)] }, ingestDeps()))
      .toEqual({ stored: 1, next: 1 });
    expect(await ingestLive({ kind: 'trellis-log-batch', deploymentId: a.id, ingestToken: 'another-token', records: [record(1)] }, ingestDeps()))
      .toEqual({ stored: 0, rejected: true });
    expect((await real.logs.read(a.id)).records).toEqual([record(0)]);
  });

  test('the ingest token is kept once per deployment, apart from its item: a second candidate gets the first token', async () => {
    const a = await queue(1);
    expect(await real.deployments.ingestToken(a.id, 'first')).toBe('first');
    expect(await real.deployments.ingestToken(a.id, 'second')).toBe('first');
    expect(JSON.stringify(await real.deployments.get(a.id))).not.toContain('first');
  });

  test('EcsTaskRunner: a repeated RunTask (same client token, same parameters) answers with the first task; other parameters are a conflict', async () => {
    const sent: RunTaskCommandInput[] = [];
    const byClientToken = new Map<string, { taskArn: string; input: string; overrides: RunTaskCommandInput['overrides'] }>();
    // ECS's idempotency: the same clientToken with the same parameters gets the first task back;
    // with other parameters, a ConflictException.
    const client = {
      send: async (command: RunTaskCommand) => {
        sent.push(command.input);
        const token = command.input.clientToken!;
        const input = JSON.stringify(command.input);
        const first = byClientToken.get(token);
        if (first && first.input !== input) throw Object.assign(new Error('The client token was reused with different parameters'), { name: 'ConflictException' });
        if (!first) byClientToken.set(token, { taskArn: `arn:aws:ecs:eu-west-1:111122223333:task/trellis/task${byClientToken.size}`, input, overrides: command.input.overrides });
        const task = byClientToken.get(token)!;
        return { tasks: [{ taskArn: task.taskArn, overrides: task.overrides }], failures: [] };
      },
    } as unknown as ECSClient;
    const ecs = new EcsTaskRunner({
      cluster: 'trellis', taskDefinition: 'trellis-builder', containerName: 'builder', subnets: ['subnet-1'], securityGroups: ['sg-1'], assignPublicIp: false,
    }, client);
    const a = await queue(1);
    const role = 'arn:aws:iam::111122223333:role/trellis-build-shop-dev';

    const request = { ...taskRequest(a, 'the-token'), taskRoleArn: role };
    const first = await ecs.run(request);
    const again = await ecs.run({ ...request });
    expect(first).toEqual({ taskId: 'arn:aws:ecs:eu-west-1:111122223333:task/trellis/task0', ingestToken: 'the-token' });
    expect(again).toEqual(first);
    await expect(ecs.run({ ...request, ingestToken: 'another-token' })).rejects.toThrow('different parameters');
    expect(sent.map(input => input.overrides?.containerOverrides?.[0].environment?.find(v => v.name === BUILD_INGEST_TOKEN)?.value))
      .toEqual(['the-token', 'the-token', 'another-token']);
    // The task gets which deployment and its token, nothing of what it builds: the builder reads that from the record.
    expect(sent[0].overrides?.containerOverrides?.[0].environment).toEqual([
      { name: BUILD_PARAMETERS.deploymentId, value: a.id },
      { name: BUILD_INGEST_TOKEN, value: 'the-token' },
    ]);
  });
});
