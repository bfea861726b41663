import { SQSClient, SendMessageCommand } from '@aws-sdk/client-sqs';
import { LaunchMessage, LaunchQueue } from '../core/ports';

/** The launch queue on SQS (with a dead-letter queue, see the WebhookIngest construct). */
export class SqsLaunchQueue implements LaunchQueue {
  constructor(private readonly queueUrl: string, private readonly client = new SQSClient({})) {}

  async send(message: LaunchMessage): Promise<void> {
    const { delaySeconds, ...body } = message;
    await this.client.send(new SendMessageCommand({
      QueueUrl: this.queueUrl,
      MessageBody: JSON.stringify(body),
      ...delaySeconds && { DelaySeconds: delaySeconds },
    }));
  }
}
