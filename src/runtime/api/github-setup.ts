import { createHash, randomBytes } from 'crypto';
import { ApiCall, ApiDeps, InstallationUrls } from './api-call';
import { appManifest, dashboardPage, installUrl, manifestFormAction } from './github-manifest';
import { requireInstallationAdmin } from './permissions';
import { bodyFields } from './request-body';
import { secretNames } from '../../contract/secret-names';
import { ALL_APPLICATIONS, hasRole } from '../core/access';
import { GitHubManifestForm, GitHubSetupView } from '../core/api-types';
import { ConflictError, ValidationError, ValidationIssue, errorMessage } from '../core/errors';
import { GitHubConnection } from '../core/github';
import { HttpResponse, json } from '../core/http';
import { printable } from '../core/names';

/**
 * The setup page's routes: whether a GitHub App connects this installation, and making one with
 * GitHub's app-manifest flow (the page posts a form to GitHub; GitHub sends the browser back to
 * APP_CREATED_PATH with a one-time code that converts into the App's credentials, stored as secrets).
 */

/** How long a manifest form may wait on GitHub's page before its `state` is refused. */
const STATE_TTL_SECONDS = 10 * 60;
/** GitHub's codes last an hour: a used one is remembered that long (by hash: it is a credential). */
const CODE_MEMORY_SECONDS = 60 * 60;
const STATE_PURPOSE = 'github-manifest';
const USED_CODE_PURPOSE = 'github-manifest-code';
/** GitHub's limit for an App's name. */
const MAX_APP_NAME = 34;
const GITHUB_LOGIN = /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$/;
const STATE_FORMAT = /^[A-Za-z0-9_-]{43}$/;
const CODE_FORMAT = /^[A-Za-z0-9_.-]{1,200}$/;

/** Anyone signed in learns whether GitHub is connected; only admins see the repositories it reaches. */
export async function getGitHubSetup({ principal, deps }: ApiCall): Promise<HttpResponse> {
  const github = deps.github;
  const info = await github?.appInfo();
  const admin = hasRole(principal, ALL_APPLICATIONS, 'admin');
  const body: GitHubSetupView = {
    configured: info !== undefined,
    canCreate: github !== undefined && deps.urls !== undefined && deps.githubAppGiven !== true,
    ...deps.githubOrganization !== undefined && { organization: deps.githubOrganization },
    ...github && info && {
      app: { slug: info.slug, htmlUrl: info.htmlUrl ?? `${github.endpoints.webUrl}/apps/${info.slug}`, installUrl: installUrl(github.endpoints, info.slug) },
      ...admin && { repositories: await (await github.app())?.installedRepositories() ?? [] },
    },
  };
  return json(200, body);
}

/** The form the setup page posts to GitHub, with a one-use `state` bound to the admin who asked. */
export async function createManifest({ principal, body, deps }: ApiCall): Promise<HttpResponse> {
  requireInstallationAdmin(principal, 'creating the GitHub App');
  const fields = bodyFields(body, ['name', 'organization', 'replace']);
  const issues: ValidationIssue[] = [];
  const name = optionalText(fields, 'name', issues) ?? defaultAppName(deps.installation);
  if (name.length > MAX_APP_NAME) issues.push({ path: 'name', message: `must be at most ${MAX_APP_NAME} characters (GitHub's limit)` });
  const organization = optionalText(fields, 'organization', issues) ?? deps.githubOrganization;
  if (organization !== undefined && !GITHUB_LOGIN.test(organization)) issues.push({ path: 'organization', message: 'is not a GitHub organization name' });
  if (fields.replace !== undefined && typeof fields.replace !== 'boolean') issues.push({ path: 'replace', message: 'must be true or false' });
  if (issues.length > 0) throw new ValidationError(issues);
  const replace = fields.replace === true;

  const { github, urls } = connected(deps);
  const existing = await github.appInfo();
  if (existing && !replace) throw appExists(existing.slug);

  const state = randomBytes(32).toString('base64url');
  const expiresAt = Math.floor(deps.clock.now().getTime() / 1000) + STATE_TTL_SECONDS;
  await deps.store.oneUse.put(STATE_PURPOSE, state, { subject: principal.subject, name: principal.name, replace: String(replace) }, expiresAt);
  deps.log({ message: 'github app manifest issued', subject: principal.subject, organization, replace });
  const form: GitHubManifestForm = { action: manifestFormAction(github.endpoints, state, organization), manifest: { ...appManifest(name, urls) } };
  return json(200, form);
}

/**
 * GitHub sends the browser here once the App is made: the state must be one this installation
 * issued and not used; the code converts (once) into the App's credentials, stored as the two
 * secrets; then back to the setup page. Answers a small page naming the problem otherwise.
 */
export async function appCreated({ query, deps }: ApiCall): Promise<HttpResponse> {
  const { github, urls } = connected(deps);
  const state = query.state ?? '';
  const code = query.code ?? '';
  if (!STATE_FORMAT.test(state) || !CODE_FORMAT.test(code)) {
    return page(400, 'This link is not from GitHub\'s app-manifest flow', 'It lacks a valid code or state.', urls);
  }
  const asked = await deps.store.oneUse.take(STATE_PURPOSE, state);
  if (!asked) {
    deps.log({ message: 'github app callback refused', reason: 'unknown, used or expired state' });
    return page(400, 'This link has expired or was used already', 'Start again from the setup page: its form is good for 10 minutes, once.', urls);
  }
  const now = Math.floor(deps.clock.now().getTime() / 1000);
  if (!await deps.store.oneUse.put(USED_CODE_PURPOSE, sha256(code), { used: 'true' }, now + CODE_MEMORY_SECONDS)) {
    deps.log({ message: 'github app callback refused', reason: 'code used already', subject: asked.subject });
    return page(400, 'This code was used already', 'Start again from the setup page.', urls);
  }
  const existing = await github.appInfo();
  if (existing && asked.replace !== 'true') {
    deps.log({ message: 'github app callback refused', reason: 'an app exists', slug: existing.slug, subject: asked.subject });
    return page(409, 'A GitHub App is connected already', `${existing.slug} stays connected. To replace it, ask for a new App on the setup page with "replace".`, urls);
  }

  let created;
  try {
    created = await github.manifest.convert(code);
  } catch (error) {
    deps.log({ message: 'github app conversion failed', subject: asked.subject, error: errorMessage(error) });
    return page(502, 'GitHub did not hand over the new App', 'The code may have expired (GitHub gives an hour). Start again from the setup page.', urls);
  }
  const { webhookSecret, htmlUrl, ...credentials } = created;
  await deps.secrets.update(secretNames.githubApp(deps.installation), { ...credentials, htmlUrl: htmlUrl ?? null });
  await deps.secrets.update(secretNames.githubAppWebhook(deps.installation), { secret: webhookSecret });
  deps.log({ message: 'github app created', appId: credentials.appId, slug: credentials.slug, subject: asked.subject, replaced: existing?.slug });
  return { statusCode: 302, headers: { 'location': dashboardPage(urls, '/setup', '?created=1'), 'cache-control': 'no-store' }, body: '' };
}

function connected(deps: ApiDeps): { github: GitHubConnection; urls: InstallationUrls } {
  if (!deps.github || !deps.urls) {
    throw new ConflictError('this installation has no GitHub App connection: give TrellisPipeline `github: GitHubApp.fromSetupPage()` first');
  }
  if (deps.githubAppGiven) {
    throw new ConflictError('the GitHub App is given by your own secrets (GitHubApp.fromSecrets): to use another App, change those secrets');
  }
  return { github: deps.github, urls: deps.urls };
}

function appExists(slug: string): ConflictError {
  return new ConflictError(`the GitHub App ${slug} is connected already: ask with "replace": true to make a new one in its place`);
}

function defaultAppName(installation: string): string {
  return `Trellis (${installation})`.slice(0, MAX_APP_NAME);
}

function optionalText(fields: Record<string, unknown>, name: string, issues: ValidationIssue[]): string | undefined {
  const value = fields[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.trim() === '' || value !== printable(value)) {
    issues.push({ path: name, message: 'must be a non-empty string of printable characters' });
    return undefined;
  }
  return value;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** A small HTML page for the browser GitHub sent here; nothing of the request is echoed. */
function page(statusCode: number, title: string, detail: string, urls: InstallationUrls): HttpResponse {
  const back = dashboardPage(urls, '/setup');
  const body = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>`
    + `<body><h1>${escapeHtml(title)}</h1><p>${escapeHtml(detail)}</p><p><a href="${escapeHtml(back)}">Back to the setup page</a></p></body></html>`;
  return {
    statusCode,
    headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'content-security-policy': "default-src 'none'" },
    body,
  };
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, char => `&#${char.charCodeAt(0)};`);
}
