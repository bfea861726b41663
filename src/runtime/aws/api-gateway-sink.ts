import { ApiGatewayManagementApiClient, GoneException, PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import { LogSink } from '../core/ports';

/** How long one post may take: a slow client must not hold the function (or the others) long. */
const POST_TIMEOUT_MS = 3000;

/** Posts to API Gateway WebSocket connections; 410 Gone means the client left. */
export class ApiGatewaySink implements LogSink {
  private readonly client: ApiGatewayManagementApiClient;

  constructor(endpoint: string, client?: ApiGatewayManagementApiClient) {
    this.client = client ?? new ApiGatewayManagementApiClient({ endpoint, maxAttempts: 2 });
  }

  async send(connectionId: string, message: unknown): Promise<'sent' | 'gone'> {
    try {
      await this.client.send(
        new PostToConnectionCommand({ ConnectionId: connectionId, Data: Buffer.from(JSON.stringify(message)) }),
        { abortSignal: AbortSignal.timeout(POST_TIMEOUT_MS) },
      );
      return 'sent';
    } catch (error) {
      if (error instanceof GoneException || (error as { name?: string }).name === 'GoneException') return 'gone';
      throw error;
    }
  }
}
