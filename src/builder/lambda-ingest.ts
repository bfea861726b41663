import { InvokeCommand, InvokeCommandOutput } from '@aws-sdk/client-lambda';
import { SendAgainError, SendLiveBatch } from './live-log';
import { LOG_BINDING_PENDING } from '../runtime/core/log-lines';

/** The one call of LambdaClient the live path makes (a fake in tests). */
export interface LambdaInvoker {
  send(command: InvokeCommand): Promise<InvokeCommandOutput>;
}

/**
 * Live batches as synchronous invocations of the log-ingest function: the send ends when
 * the records are stored (or not), which keeps one batch in flight. An error the function
 * reports (FunctionError, with HTTP 200) is a failed send like any other, except the one that
 * asks for the batch again (LOG_BINDING_PENDING).
 */
export function lambdaIngest(lambda: LambdaInvoker, functionName: string): SendLiveBatch {
  return async batch => {
    const result = await lambda.send(new InvokeCommand({
      FunctionName: functionName,
      InvocationType: 'RequestResponse',
      Payload: Buffer.from(JSON.stringify(batch)),
    }));
    if (result.FunctionError) {
      const payload = result.Payload ? Buffer.from(result.Payload).toString('utf8') : '';
      const detail = payload.slice(0, 200);
      const message = `${functionName} failed (${result.FunctionError})${detail ? `: ${detail}` : ''}`;
      throw errorType(payload) === LOG_BINDING_PENDING ? new SendAgainError(message) : new Error(message);
    }
  };
}

/** The errorType of a Lambda function error payload (`{"errorType": ..., "errorMessage": ...}`). */
function errorType(payload: string): string | undefined {
  try {
    const value = JSON.parse(payload) as { errorType?: unknown };
    return typeof value?.errorType === 'string' ? value.errorType : undefined;
  } catch {
    return undefined;
  }
}
