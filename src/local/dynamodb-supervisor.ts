import { DynamoDbLocal, startDynamoDbLocal } from './dynamodb-local';
import { errorMessage } from '../runtime/core/errors';

/** Restarts allowed within RESTART_PERIOD_MS before local mode gives up. */
const MAX_RESTARTS = 3;
const RESTART_PERIOD_MS = 5 * 60_000;
/** Tries to start the replacement (the old port may take a moment to be free). */
const START_ATTEMPTS = 3;

export interface SupervisorOptions {
  readonly dbPath: string;
  /** The installation's database among those in dbPath (startDynamoDbLocal's accessKeyId). */
  readonly accessKeyId: string;
  /** Lines a person reads (the terminal). */
  readonly print: (line: string) => void;
  readonly log: (entry: Record<string, unknown>) => void;
  /**
   * A replacement runs (its Java process id), e.g. to update server.json; `stoppedAt` is when the
   * old one was seen to stop (writes it acknowledged shortly before may be lost).
   */
  readonly onRestarted: (pid: number | undefined, stoppedAt: number) => void;
  /** DynamoDB Local could not be kept running: local mode must stop. */
  readonly onGiveUp: (error: Error) => void;
  /** Each Java process started (the first and replacements), as soon as it was spawned. */
  readonly onSpawned?: (pid: number) => void;
  /** Stop the first start (a Ctrl-C while local mode starts): it stops the process and throws. */
  readonly signal?: AbortSignal;
}

/**
 * DynamoDB Local that comes back when it dies (killed, out of memory): the replacement runs on
 * the same port with the same database files, so clients keep their endpoint and nothing
 * written before is lost. Writes that failed meanwhile are retried by their callers. After
 * MAX_RESTARTS in RESTART_PERIOD_MS it gives up and says so.
 */
export async function superviseDynamoDbLocal(options: SupervisorOptions): Promise<DynamoDbLocal> {
  const start = (port?: number, signal?: AbortSignal) => startDynamoDbLocal({
    dbPath: options.dbPath, accessKeyId: options.accessKeyId, port, onExit: exited, onSpawned: options.onSpawned, signal,
  });
  let current = await start(undefined, options.signal);
  const port = Number(new URL(current.endpoint).port);
  options.log({ message: 'DynamoDB Local started on 127.0.0.1 only', pid: current.pid, port, notAnsweringOn: current.refusedOn });
  let stopping = false;
  let restarting: Promise<void> | undefined;
  const restarts: number[] = [];

  function exited(detail: string): void {
    if (stopping) return;
    restarting = restart(detail).finally(() => { restarting = undefined; });
  }

  async function restart(detail: string): Promise<void> {
    const now = Date.now();
    restarts.push(now);
    while (restarts.length > 0 && restarts[0] < now - RESTART_PERIOD_MS) restarts.shift();
    options.log({ message: 'DynamoDB Local stopped', detail, restarts: restarts.length });
    if (restarts.length > MAX_RESTARTS) {
      return options.onGiveUp(new Error(`DynamoDB Local stopped ${restarts.length} times within ${RESTART_PERIOD_MS / 60_000} minutes (last: ${detail})`));
    }
    options.print(`DynamoDB Local stopped (${detail}); restarting it on port ${port} with the same data...`);
    let lastError: unknown;
    for (let attempt = 1; attempt <= START_ATTEMPTS && !stopping; attempt++) {
      try {
        current = await start(port);
        if (stopping) return void await current.stop();
        // Recorded (server.json) before it is announced: whoever reads the announcement finds the new pid.
        options.onRestarted(current.pid, now);
        options.print(`DynamoDB Local is running again (pid ${current.pid}); unfinished writes are retried.`);
        options.log({ message: 'DynamoDB Local restarted on 127.0.0.1 only', pid: current.pid, attempt, notAnsweringOn: current.refusedOn });
        return;
      } catch (error) {
        lastError = error;
        options.log({ message: 'DynamoDB Local did not restart', attempt, error: errorMessage(error) });
        await new Promise(resolve => setTimeout(resolve, 1000 * attempt));
      }
    }
    if (!stopping) options.onGiveUp(new Error(`DynamoDB Local stopped (${detail}) and could not be restarted: ${errorMessage(lastError)}`));
  }

  return {
    endpoint: current.endpoint,
    clientConfig: current.clientConfig,
    get pid() { return current.pid; },
    get refusedOn() { return current.refusedOn; },
    stop: async () => {
      stopping = true;
      await restarting;
      await current.stop();
    },
  };
}
