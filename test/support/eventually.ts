/**
 * Poll `probe` until it answers something truthy and return that; fail naming `what` after
 * `timeoutMs`. The one way tests wait for another process, server or timer: a condition with a
 * deadline, never a fixed sleep before an assertion.
 */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 30_000, intervalMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise(resolve => setTimeout(resolve, intervalMs));
  }
}
