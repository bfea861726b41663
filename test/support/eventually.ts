import { inspect } from 'util';

/** An answer that means "not yet": the probe is asked again. */
type NotYet = undefined | null | false | 0 | '';

/**
 * Poll `probe` until it answers something truthy and return that. The one way tests and
 * benchmarks wait for another process, server or timer: a condition with a deadline, never a
 * fixed sleep before an assertion.
 *
 * - After `timeoutMs` it fails naming `what` it waited for and the probe's last answer. `what`
 *   may be a function: it is read when the error is made, so it can show state as it is then
 *   (a process's output so far, what is still open).
 * - A probe that throws fails it at once (a probe throws to say "this will never come", e.g.
 *   the deployment ended otherwise); the error names `what` was awaited and keeps the probe's
 *   error as its cause.
 */
export async function eventually<T>(
  what: string | (() => string),
  probe: () => Promise<T | NotYet> | T | NotYet,
  timeoutMs = 30_000,
  intervalMs = 25,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 1; ; attempt++) {
    let value: T | NotYet;
    try {
      value = await probe();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new Error(`while waiting for ${describe(what)} (attempt ${attempt}): ${message}`, { cause: error });
    }
    if (value) return value as T;
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms (${attempt} attempts) waiting for ${describe(what)}; the last answer was ${inspect(value)}`);
    }
    await new Promise(resolve => setTimeout(resolve, intervalMs));
  }
}

function describe(what: string | (() => string)): string {
  return typeof what === 'function' ? what() : what;
}
