/** Why a POST did not succeed, in words that hold nothing of the URL (a Slack URL is a secret). */
export class PostFailed extends Error {}

/**
 * POST `body` to `url` within `timeoutMs`. A 2xx answer is success; anything else throws
 * PostFailed: another status, a redirect (never followed: a receiver cannot send a signed body
 * elsewhere), no answer in time, or no connection. The answer's body is not read.
 */
export async function postJson(url: string, body: string, headers: Readonly<Record<string, string>>, timeoutMs: number): Promise<void> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      body,
      headers: { 'Content-Type': 'application/json', 'User-Agent': 'Trellis-Notifications', ...headers },
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    throw new PostFailed(fetchProblem(error, timeoutMs));
  }
  await response.body?.cancel().catch(() => undefined);
  if (response.status >= 300 && response.status < 400) throw new PostFailed(`redirect (${response.status}) not followed`);
  if (response.status < 200 || response.status >= 300) throw new PostFailed(`HTTP ${response.status}`);
}

function fetchProblem(error: unknown, timeoutMs: number): string {
  const name = (error as { name?: string }).name;
  if (name === 'TimeoutError' || name === 'AbortError') return `timed out after ${timeoutMs / 1000} s`;
  const code = ((error as { cause?: { code?: unknown } }).cause)?.code;
  return typeof code === 'string' ? `connection failed (${code})` : 'connection failed';
}
