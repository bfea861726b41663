import { InvokeCommand, InvokeCommandOutput } from '@aws-sdk/client-lambda';
import { SendLiveBatch } from './live-log';

/** The one call of LambdaClient the live path makes (a fake in tests). */
export interface LambdaInvoker {
  send(command: InvokeCommand): Promise<InvokeCommandOutput>;
}

/**
 * Live batches as synchronous invocations of the log-ingest function: the send ends when
 * the records are stored (or not), which keeps one batch in flight. An error the function
 * reports (FunctionError, with HTTP 200) is a failed send like any other.
 */
export function lambdaIngest(lambda: LambdaInvoker, functionName: string): SendLiveBatch {
  return async batch => {
    const result = await lambda.send(new InvokeCommand({
      FunctionName: functionName,
      InvocationType: 'RequestResponse',
      Payload: Buffer.from(JSON.stringify(batch)),
    }));
    if (result.FunctionError) {
      const detail = result.Payload ? Buffer.from(result.Payload).toString('utf8').slice(0, 200) : '';
      throw new Error(`${functionName} failed (${result.FunctionError})${detail ? `: ${detail}` : ''}`);
    }
  };
}
