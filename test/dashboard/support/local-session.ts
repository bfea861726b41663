import { Page } from 'playwright-core';

/**
 * Signing in to local mode's server, in the browser and as a script would: the pieces the browser
 * tests of the local server share.
 */

export interface LocalCredentials {
  readonly name: string;
  readonly password: string;
}

/** Through the sign-in page, until the signed-in user's name shows. */
export async function signInAs(page: Page, url: string, user: LocalCredentials): Promise<void> {
  await page.goto(`${url}/#/`);
  await page.getByTestId('sign-in-user').fill(user.name);
  await page.getByTestId('sign-in-password').fill(user.password);
  await page.getByTestId('sign-in-submit').click();
  await page.getByTestId('user-name').waitFor();
}

export async function signOutOf(page: Page): Promise<void> {
  await page.getByTestId('sign-out').click();
  await page.getByTestId('sign-in-user').waitFor();
}

/** A bearer token of a local user, as the sign-in page gets one. */
export async function localToken(url: string, user: LocalCredentials): Promise<string> {
  const response = await fetch(`${url}/auth/local/sign-in`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user: user.name, password: user.password }),
  });
  if (response.status !== 200) throw new Error(`signing in as ${user.name} answered ${response.status}`);
  return ((await response.json()) as { token: string }).token;
}

/** A call to the control API as a pipeline would make it, with the token and nothing else. */
export async function callWithToken(
  url: string, token: string, method: string, path: string, body?: unknown,
): Promise<{ status: number; body: any }> {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...body !== undefined && { 'content-type': 'application/json' } },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? undefined : JSON.parse(text) };
}
