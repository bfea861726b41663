import { errorMessage } from '../core/errors';
import { logMessages } from '../core/live-messages';
import { LogSink, Store } from '../core/ports';
import { LogRecord } from '../core/types';

export interface FanOutDeps {
  readonly store: Store;
  readonly sink: LogSink;
  readonly log: (entry: Record<string, unknown>) => void;
}

export interface FanOutResult {
  readonly subscribers: number;
  readonly gone: number;
  readonly failed: number;
}

/**
 * Send stored records to every subscriber of the deployment, all at once: a slow or dead
 * client delays only itself. A gone connection is removed; any other failure is logged and
 * the client catches up from its last seq when it resubscribes.
 */
export async function fanOut(deploymentId: string, records: readonly LogRecord[], deps: FanOutDeps): Promise<FanOutResult> {
  const connections = await deps.store.connections.subscribers(deploymentId);
  if (connections.length === 0 || records.length === 0) return { subscribers: connections.length, gone: 0, failed: 0 };
  const messages = logMessages(deploymentId, records);
  let gone = 0;
  let failed = 0;
  await Promise.all(connections.map(async connectionId => {
    try {
      for (const message of messages) {
        if (await deps.sink.send(connectionId, message) === 'gone') {
          gone++;
          await deps.store.connections.remove(connectionId);
          return;
        }
      }
    } catch (error) {
      failed++;
      deps.log({ message: 'fan-out failed', connection: connectionId, deployment: deploymentId, error: errorMessage(error) });
    }
  }));
  return { subscribers: connections.length, gone, failed };
}
