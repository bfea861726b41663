import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { TopicPublisher } from '../core/ports';

/** SNS behind core's TopicPublisher: the message as given, each attribute a String message attribute. */
export class SnsTopicPublisher implements TopicPublisher {
  constructor(private readonly client = new SNSClient({})) {}

  async publish(topicArn: string, message: string, attributes: Readonly<Record<string, string>>): Promise<void> {
    await this.client.send(new PublishCommand({
      TopicArn: topicArn,
      Message: message,
      MessageAttributes: Object.fromEntries(Object.entries(attributes).map(([name, value]) => [name, { DataType: 'String', StringValue: value }])),
    }));
  }
}
