import { RunTaskCommand } from '@aws-sdk/client-ecs';
import { EcsTaskRunner } from '../../src/runtime/aws/ecs-task-runner';
import { TaskRequest } from '../../src/runtime/core/ports';

/** Each build runs with its environment's role, passed as RunTask's override; never the task definition's own. */

const CONFIG = { cluster: 'cluster', taskDefinition: 'builds:1', containerName: 'builder', subnets: ['subnet-1'], securityGroups: ['sg-1'], assignPublicIp: true };
const REQUEST: TaskRequest = {
  deploymentId: '20260301T120000000Z-0000000a',
  action: 'deploy',
  application: 'shop',
  environment: 'dev',
  commit: 'a'.repeat(40),
  ingestToken: 'token',
};

function recordingClient() {
  const sent: RunTaskCommand[] = [];
  const client = {
    send: async (command: RunTaskCommand) => {
      sent.push(command);
      return { tasks: [{ taskArn: 'arn:aws:ecs:eu-west-1:111122223333:task/cluster/abc', overrides: command.input.overrides }], failures: [] };
    },
  };
  return { sent, client: client as never };
}

test('RunTask overrides the task role with the environment\'s build role', async () => {
  const { sent, client } = recordingClient();
  const roleArn = 'arn:aws:iam::111122223333:role/Trellis-shop-dev-build';
  await new EcsTaskRunner(CONFIG, client).run({ ...REQUEST, taskRoleArn: roleArn });
  expect(sent).toHaveLength(1);
  expect(sent[0].input.overrides?.taskRoleArn).toBe(roleArn);
});

test('a request without a build role starts no task: a build never runs with another identity', async () => {
  const { sent, client } = recordingClient();
  await expect(new EcsTaskRunner(CONFIG, client).run(REQUEST)).rejects.toThrow('no build role for shop/dev');
  expect(sent).toEqual([]);
});
