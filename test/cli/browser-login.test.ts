import { ChildProcess, spawn } from 'child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { delimiter, dirname, join } from 'path';
import { Page, Request } from 'playwright-core';
import { OidcTestProvider, startOidcTestProvider } from './support/oidc-test-provider';
import { browserLogin } from '../../src/cli/browser-login';
import { EXIT } from '../../src/cli/exit-codes';
import { LOCAL_GITHUB_USER } from '../../src/local/local-github-sign-in';
import { TestBrowser, launchBrowser } from '../dashboard/support/browser';
import { cleanUp, noteDescendants } from '../local/support/process-cleanup';
import { TrellisProcess, bundleTrellis } from '../local/support/trellis-process';
import { eventually } from '../support/eventually';

/**
 * `trellis login` as a person goes through it, in a real headless Chromium: the bundled command
 * against a real `trellis local` whose GitHub stand-in has the App (made from the setup page),
 * the printed URL opened in the browser, the stand-in's authorize page, and the command's own
 * loopback page at the end; the stored sign-in then used by another command. The system's
 * browser is a stand-in `xdg-open` that notes its arguments. Then OIDC's authorization code
 * flow: Chromium follows the provider's redirect to the `localhost` loopback listener.
 */

/** A stand-in user no role mapping covers (local mode maps only trellis-local's members). */
const UNMAPPED = { id: 9000, login: 'eve', organizations: ['elsewhere'], teams: ['elsewhere/platform'] };

let cli: string | undefined;
let scratch: string;
let trellis: TrellisProcess;
let browser: TestBrowser | undefined;
let page: Page;
const started: TrellisProcess[] = [];
const commands = new Map<number, string>();
/** Every URL Chromium requested, redirects included. */
const requested: string[] = [];
/** The PATH the commands run with: the fake xdg-open first. */
let path: string;
const opened = () => join(scratch, 'xdg-open-arguments');

beforeAll(async () => {
  cli = bundleTrellis();
  scratch = mkdtempSync(join(tmpdir(), 'trellis-browser-login-'));
  const dataDir = join(scratch, 'data');
  // The stand-in reads its users back from its state file: one more, beside trellis-developer (added at start).
  mkdirSync(join(dataDir, 'github'), { recursive: true });
  writeFileSync(join(dataDir, 'github', 'state.json'), JSON.stringify({ nextId: UNMAPPED.id + 1, users: [UNMAPPED] }), { mode: 0o600 });
  // "The system's browser": writes the number of its arguments, then each, one a line.
  const bin = join(scratch, 'bin');
  mkdirSync(bin);
  writeFileSync(join(bin, 'xdg-open'), `#!/bin/sh\nprintf '%s\\n' "$#" "$@" > '${opened()}'\n`);
  chmodSync(join(bin, 'xdg-open'), 0o755);
  path = [bin, process.env.PATH].join(delimiter);

  trellis = await TrellisProcess.start(cli, { dataDir });
  started.push(trellis);
  browser = await launchBrowser({ width: 1000, height: 700 });
  page = await browser.context.newPage();
  page.on('request', (request: Request) => requested.push(request.url()));

  // The App, made from the setup page as an admin makes it: sign in with GitHub works from then on.
  const { url } = trellis.info;
  await page.goto(`${url}/#/setup`);
  await page.getByTestId('sign-in-user').fill('admin');
  await page.getByTestId('sign-in-password').fill(trellis.adminPassword);
  await page.getByTestId('sign-in-submit').click();
  await page.getByTestId('create-app').click();
  await page.waitForURL(target => target.toString().startsWith(`${trellis.info.github!.url}/settings/apps/new?state=`));
  await page.getByRole('button', { name: 'Create GitHub App' }).click();
  await page.getByTestId('setup-connected').waitFor();
}, 150_000);

afterAll(async () => {
  await browser?.close().catch(() => undefined);
  await cleanUp(started, commands, [scratch, cli && dirname(dirname(cli))]);
}, 60_000);

interface Running {
  readonly child: ChildProcess;
  readonly stdout: () => string;
  readonly stderr: () => string;
  readonly exited: Promise<number | null>;
}

/** `trellis <args>` as its own process: a config directory of its own, no TRELLIS_* of the test's, the fake xdg-open on PATH. */
function start(args: readonly string[], configDir: string): Running {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('TRELLIS_')));
  const child = spawn(process.execPath, [cli!, ...args], { env: { ...inherited, PATH: path, TRELLIS_CONFIG_DIR: configDir }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', chunk => { stdout += chunk; });
  child.stderr!.on('data', chunk => { stderr += chunk; });
  const exited = new Promise<number | null>(resolve => child.once('exit', code => {
    noteDescendants(trellis, commands);
    resolve(code);
  }));
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

/** The exit code, or a failure with the output when it does not end in time. */
async function exitOf(running: Running, timeoutMs = 20_000): Promise<number | null> {
  const timer = new Promise<never>((_, reject) => setTimeout(() => {
    running.child.kill('SIGKILL');
    reject(new Error(`trellis did not end:\n${running.stdout()}\n${running.stderr()}`));
  }, timeoutMs).unref());
  return Promise.race([running.exited, timer]);
}

/** `trellis login --url <local>`: the sign-in URL it prints for the person (and hands to xdg-open). */
async function loginPrintsUrl(configDir: string): Promise<{ running: Running; signInUrl: string }> {
  const running = start(['login', '--url', trellis.info.url], configDir);
  const signInUrl = await eventually(() => `trellis login to print the URL (stderr:\n${running.stderr()})`,
    () => /^ {2}(http\S+)$/m.exec(running.stderr())?.[1], 20_000);
  return { running, signInUrl };
}

/** In Chromium: the printed URL, then "Sign in as `login`" on the stand-in's authorize page; resolves on the loopback page. */
async function signInInBrowserAs(signInUrl: string, login: string): Promise<{ status: number; title: string; reason: string; html: string }> {
  await page.goto(signInUrl);
  await page.waitForURL(target => target.toString().startsWith(`${trellis.info.github!.url}/login/oauth/authorize?`));
  const [loopback] = await Promise.all([
    page.waitForResponse(response => /^http:\/\/127\.0\.0\.1:\d+\/callback\?/.test(response.url())),
    page.getByRole('button', { name: `Sign in as ${login}` }).click(),
  ]);
  await page.waitForURL(target => target.toString() === loopback.url());
  return { status: loopback.status(), ...await loopbackPage(), html: await page.content() };
}

/** What the command's loopback page tells the person. */
async function loopbackPage(): Promise<{ title: string; reason: string }> {
  return { title: (await page.locator('h1').innerText()).trim(), reason: (await page.locator('#reason').innerText()).trim() };
}

const credentialsFile = (configDir: string) => join(configDir, 'trellis', 'credentials.json');

test('trellis login signs in with GitHub in the browser: the loopback page sends the person back to the terminal, the sign-in is kept 0600 and used by the next command', async () => {
  const { url } = trellis.info;
  const configDir = join(scratch, 'config');
  const { running, signInUrl } = await loginPrintsUrl(configDir);
  expect(signInUrl.startsWith(`${url}/auth/github/sign-in?`)).toBe(true);
  // The system's browser was asked to open exactly that URL, as one argument (no shell split it at `&`).
  expect(await eventually('xdg-open to be run', () => existsSync(opened()) && readFileSync(opened(), 'utf8'))).toBe(`1\n${signInUrl}\n`);

  const landed = await signInInBrowserAs(signInUrl, LOCAL_GITHUB_USER.login);
  expect(landed).toMatchObject({ status: 200, title: 'Signed in', reason: 'You can close this tab and go back to the terminal.' });
  expect(await exitOf(running)).toBe(0);
  expect(running.stdout()).toMatch(new RegExp(`^Signed in to ${url} as ${LOCAL_GITHUB_USER.login} until \\S+\\.\\n$`));

  const file = credentialsFile(configDir);
  expect((statSync(file).mode % 0o1000).toString(8)).toBe('600');
  const stored = JSON.parse(readFileSync(file, 'utf8'));
  const { token } = stored.installations[url];
  expect({ current: stored.current, user: stored.installations[url].user, token }).toEqual({
    current: url, user: LOCAL_GITHUB_USER.login, token: expect.stringMatching(/^ey[\w-]+\.[\w-]+\.[\w-]+$/),
  });
  // The token travelled in no URL the browser saw, nor in any page, nor in what the command printed.
  expect(requested.join('\n')).not.toContain(token);
  expect(landed.html).not.toContain(token);
  expect(`${running.stdout()}${running.stderr()}`).not.toContain(token);

  const apps = start(['apps', '--json'], configDir);
  expect(await exitOf(apps)).toBe(0);
  expect(JSON.parse(apps.stdout())).toEqual((await trellis.api('GET', '/api/apps')).body);
}, 60_000);

test('a GitHub user no role mapping covers is refused in the terminal (exit 3) with the reason, and nothing is stored', async () => {
  const configDir = join(scratch, 'refused');
  const { running, signInUrl } = await loginPrintsUrl(configDir);
  const landed = await signInInBrowserAs(signInUrl, UNMAPPED.login);
  expect(landed).toMatchObject({ status: 401, title: 'Not signed in', reason: expect.stringContaining('eve is in none of the GitHub organizations or teams') });
  expect(await exitOf(running)).toBe(EXIT.auth);
  expect(running.stderr()).toContain('the sign-in was refused: eve is in none of the GitHub organizations or teams');
  expect(running.stdout()).toBe('');
  expect(existsSync(credentialsFile(configDir))).toBe(false);
}, 60_000);

describe('OIDC in the browser', () => {
  let provider: OidcTestProvider;

  beforeAll(async () => {
    provider = await startOidcTestProvider({ user: 'ada@example.com' });
  });

  afterAll(() => provider?.close());

  test('Chromium follows the authorize redirect back to the loopback listener at http://localhost:<port>/callback; the code is redeemed for the ID token', async () => {
    const printed: string[] = [];
    let authorizeUrl: string | undefined;
    const signingIn = browserLogin({
      apiUrl: 'http://127.0.0.1:9/api-unused',
      webSocketUrl: 'ws://127.0.0.1:9/unused',
      auth: { kind: 'oidc', authorizeUrl: provider.authorizeUrl, tokenUrl: provider.tokenUrl, clientId: provider.clientId, scopes: ['openid', 'email'] },
    }, { dashboardUrl: 'https://trellis.example.com', print: line => printed.push(line), open: url => authorizeUrl = url, port: 0 });
    await eventually('browserLogin to hand over the authorize URL', () => authorizeUrl);
    expect(printed).toContain(`  ${authorizeUrl}`);

    const answer = await page.goto(authorizeUrl!);
    expect(page.url()).toMatch(/^http:\/\/localhost:\d+\/callback\?code=\w+&state=[\w-]+$/);
    expect(answer?.status()).toBe(200);
    expect(await loopbackPage()).toEqual({ title: 'Signed in', reason: 'You can close this tab and go back to the terminal.' });

    const signedIn = await signingIn;
    expect(signedIn).toEqual({ token: provider.issued.at(-1), refreshToken: expect.stringMatching(/^refresh-/), expiresAt: expect.any(String), user: 'ada@example.com' });
    expect(provider.seen.tokenForms.at(-1)!.get('redirect_uri')).toBe(new URL(page.url()).origin + '/callback');
    expect(requested.join('\n')).not.toContain(signedIn.token);
  }, 30_000);
});
