import { errorMessage } from '../runtime/core/errors';

/**
 * How long local mode keeps retrying a write that failed: long enough to ride out DynamoDB
 * Local being restarted (its Java needs a few seconds, more on a busy machine).
 */
export const RETRY_WINDOW_MS = 45_000;
const MAX_BACKOFF_MS = 2_000;

/**
 * Run `action` until it succeeds or `windowMs` has passed since the first try (backing off
 * 200 ms, 400 ms, ... up to 2 s between tries). Each failure is reported to `onFailure` with
 * whether it was the last; the last one is not thrown: the caller already said what to do.
 * Only for idempotent actions.
 */
export async function retryWithin(
  action: () => Promise<unknown>,
  onFailure: (failure: { attempt: number; error: string; last: boolean }) => void,
  windowMs = RETRY_WINDOW_MS,
): Promise<boolean> {
  const deadline = Date.now() + windowMs;
  for (let attempt = 1; ; attempt++) {
    try {
      await action();
      return true;
    } catch (error) {
      const wait = Math.min(MAX_BACKOFF_MS, 100 * 2 ** attempt);
      const last = Date.now() + wait > deadline;
      onFailure({ attempt, error: errorMessage(error), last });
      if (last) return false;
      await new Promise(resolve => setTimeout(resolve, wait));
    }
  }
}
