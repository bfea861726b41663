import { eventually } from './eventually';

/** The one polling helper: what it returns, and what its errors say. */

test('returns the first truthy answer, asking again after each falsy one', async () => {
  const answers = [undefined, false, 0, 'ready'];
  let asked = 0;
  await expect(eventually('the fourth answer', async () => answers[asked++], 1000, 1)).resolves.toBe('ready');
  expect(asked).toBe(4);
});

test('takes a synchronous probe', async () => {
  let calls = 0;
  await expect(eventually('a counter at 3', () => ++calls >= 3 && calls, 1000, 1)).resolves.toBe(3);
});

test('after the deadline it fails naming what it waited for and the last answer', async () => {
  const answers = [undefined, 0, false];
  let asked = 0;
  const started = Date.now();
  const error = await eventually('the queue to be empty', async () => answers[Math.min(asked++, 2)], 50, 5).catch((e: Error) => e);
  expect(String(error)).toMatch(/^Error: timed out after 50 ms \(\d+ attempts\) waiting for the queue to be empty; the last answer was false$/);
  expect(Date.now() - started).toBeGreaterThanOrEqual(50);
  expect(asked).toBeGreaterThan(3);
});

test('a probe that throws fails at once, naming what was awaited and keeping the cause', async () => {
  const cause = new Error('deployment d-1 ended failed, not succeeded');
  let asked = 0;
  const started = Date.now();
  const error = await eventually('deployment d-1 to succeed', async () => {
    asked++;
    if (asked === 2) throw cause;
    return undefined;
  }, 10_000, 1).catch((e: Error) => e);
  expect(error).toBeInstanceOf(Error);
  expect((error as Error).message).toBe('while waiting for deployment d-1 to succeed (attempt 2): deployment d-1 ended failed, not succeeded');
  expect((error as Error).cause).toBe(cause);
  expect(Date.now() - started).toBeLessThan(5000);
});

test('a `what` given as a function is read when the error is made (state as it is then)', async () => {
  let output = 'starting';
  const error = await eventually(() => `the server to listen (output: ${output})`, async () => {
    output = 'port 8080 in use';
    return false;
  }, 20, 5).catch((e: Error) => e);
  expect(String(error)).toContain('waiting for the server to listen (output: port 8080 in use); the last answer was false');
});
