import { createApp, install } from './apps';
import { StandInContext } from './context';
import { Refusal, USER_TOKEN_MS, newToken, randomText } from './credentials';
import { Answer, Route, StandInRequest, escapeHtml, hidden, json, page, redirect } from './http-answers';

/** An OAuth code may be exchanged within 10 minutes, once, as on GitHub. */
const OAUTH_CODE_MS = 10 * 60_000;

/**
 * GitHub's web side, as plain HTML forms (no scripts): the app-manifest form, the App's install
 * page, the OAuth authorize page, and the OAuth token exchange.
 */
export function webRoutes(context: StandInContext): Route[] {
  const state = () => context.file.state;
  const save = () => context.file.save(context.now());

  const manifestForm = (request: StandInRequest, owner: string) => {
    const manifest = field(request, 'manifest');
    let parsed: { name?: unknown };
    try {
      parsed = JSON.parse(manifest ?? '');
    } catch {
      return page(422, 'Invalid manifest', '<p>The form\'s <code>manifest</code> field must be the App\'s manifest as JSON.</p>');
    }
    const name = typeof parsed?.name === 'string' ? parsed.name : '';
    return page(200, 'Create GitHub App', `<form method="post" action="/settings/apps/create">
${hidden('manifest', manifest ?? '')}${hidden('state', request.query.get('state') ?? '')}${hidden('owner', owner)}
<p>Create the GitHub App <strong>${escapeHtml(name)}</strong> owned by <strong>${escapeHtml(owner)}</strong>.</p>
<pre>${escapeHtml(JSON.stringify(parsed, null, 2))}</pre>
<button type="submit">Create GitHub App</button>
</form>`);
  };

  return [
    ['GET', /^\/$/, () => {
      const app = state().app;
      const repositories = Object.keys(state().repositories).sort().map(name => `<li>${escapeHtml(name)}</li>`).join('');
      const appLine = app ? `<p>GitHub App: <a href="/apps/${escapeHtml(app.slug)}">${escapeHtml(app.name)}</a></p>` : '<p>No GitHub App yet.</p>';
      return page(200, 'GitHub stand-in', `${appLine}<h2>Repositories</h2><ul>${repositories}</ul>`);
    }],

    ['POST', /^\/settings\/apps\/new$/, request => manifestForm(request, defaultOwner(context))],
    ['POST', /^\/organizations\/([^/]+)\/settings\/apps\/new$/, request => manifestForm(request, request.params[0])],

    ['POST', /^\/settings\/apps\/create$/, request => {
      let manifest: unknown;
      try {
        manifest = JSON.parse(field(request, 'manifest') ?? '');
      } catch {
        return page(422, 'Invalid manifest', '<p>The manifest is not JSON.</p>');
      }
      const created = createAppPage(() => createApp(context, manifest, field(request, 'owner') || defaultOwner(context)));
      if ('status' in created) return created;
      const app = state().app!;
      if (!app.redirectUrl) {
        return page(200, 'GitHub App created', `<p>The App ${escapeHtml(app.name)} exists. Its manifest had no redirect_url: convert the code ${escapeHtml(created.code)}.</p>`);
      }
      const target = new URL(app.redirectUrl);
      target.searchParams.set('code', created.code);
      const stateParameter = field(request, 'state');
      if (stateParameter) target.searchParams.set('state', stateParameter);
      return redirect(target.toString());
    }],

    ['GET', /^\/apps\/([^/]+)$/, request => {
      const app = appNamed(request.params[0]);
      return page(200, app.name, `<p>App id ${app.id}, owned by ${escapeHtml(app.owner)}.</p>
<p><a href="/apps/${escapeHtml(app.slug)}/installations/new">Install</a></p>`);
    }],

    ['GET', /^\/apps\/([^/]+)\/installations\/new$/, request => {
      const app = appNamed(request.params[0]);
      const installed = new Set(state().installations.flatMap(installation => installation.repositories));
      const boxes = Object.keys(state().repositories).sort().map(name => `<li><label><input type="checkbox" name="repositories" value="${escapeHtml(name)}"`
        + `${installed.has(name) ? ' checked' : ''}> ${escapeHtml(name)}</label></li>`).join('\n');
      return page(200, `Install ${app.name}`, `<form method="post" action="/apps/${escapeHtml(app.slug)}/installations">
<p>Repositories the App may access:</p><ul>${boxes}</ul>
<button type="submit">Install</button>
</form>`);
    }],

    ['POST', /^\/apps\/([^/]+)\/installations$/, request => {
      const app = appNamed(request.params[0]);
      const selected = request.body.repositories;
      const repositories = (Array.isArray(selected) ? selected : [selected]).filter((name): name is string => typeof name === 'string');
      let id: number;
      try {
        id = install(context, repositories, true);
      } catch (error) {
        if (error instanceof Refusal) return page(error.status, 'Not installed', `<p>${escapeHtml(error.message)}</p>`);
        throw error;
      }
      if (!app.setupUrl) return redirect(`/apps/${app.slug}`);
      const target = new URL(app.setupUrl);
      target.searchParams.set('installation_id', String(id));
      target.searchParams.set('setup_action', 'install');
      return redirect(target.toString());
    }],

    ['GET', /^\/login\/oauth\/authorize$/, request => {
      const checked = authorization(request.query.get('client_id'), request.query.get('redirect_uri'));
      if ('status' in checked) return checked;
      const forward = `${hidden('client_id', checked.clientId)}${hidden('redirect_uri', checked.redirectUri)}${hidden('state', request.query.get('state') ?? '')}`;
      const buttons = state().users.map(user => `<form method="post" action="/login/oauth/authorize">${forward}${hidden('login', user.login)}`
        + `<button type="submit">Sign in as ${escapeHtml(user.login)}</button></form>`).join('\n');
      return page(200, `Authorize ${state().app!.name}`, state().users.length > 0 ? buttons : '<p>The stand-in has no users.</p>');
    }],

    ['POST', /^\/login\/oauth\/authorize$/, request => {
      const checked = authorization(field(request, 'client_id'), field(request, 'redirect_uri'));
      if ('status' in checked) return checked;
      const login = field(request, 'login');
      if (!state().users.some(user => user.login === login)) return page(404, 'No such user', '<p>The stand-in has no such user.</p>');
      const code = randomText(20);
      state().oauthCodes.push({
        code,
        login: login!,
        clientId: checked.clientId,
        redirectUri: checked.redirectUri,
        expiresAt: new Date(context.now().getTime() + OAUTH_CODE_MS).toISOString(),
      });
      save();
      const target = new URL(checked.redirectUri);
      target.searchParams.set('code', code);
      const stateParameter = field(request, 'state');
      if (stateParameter) target.searchParams.set('state', stateParameter);
      return redirect(target.toString());
    }],

    ['POST', /^\/login\/oauth\/access_token$/, request => {
      const app = state().app;
      const [clientId, clientSecret, code, redirectUri] = ['client_id', 'client_secret', 'code', 'redirect_uri'].map(name => field(request, name));
      // A refusal is a 200 with an `error`, as on GitHub.
      const answerWith = (fields: Record<string, string>) => oauthAnswer(request.headers.accept, fields);
      const error = (kind: string, description: string) => answerWith({ error: kind, error_description: description, error_uri: 'https://docs.github.com/apps' });
      if (!app || clientId !== app.clientId || clientSecret !== app.clientSecret) return error('incorrect_client_credentials', 'The client_id and/or client_secret passed are incorrect.');
      const now = context.now().getTime();
      const found = state().oauthCodes.find(candidate => candidate.code === code && candidate.clientId === clientId
        && Date.parse(candidate.expiresAt) > now);
      if (!found) return error('bad_verification_code', 'The code passed is incorrect or expired.');
      if (redirectUri !== undefined && redirectUri !== found.redirectUri) return error('redirect_uri_mismatch', 'The redirect_uri MUST match the registered callback URL for this application.');
      state().oauthCodes = state().oauthCodes.filter(candidate => candidate !== found);
      const token = newToken('ghu');
      state().userTokens.push({ token, login: found.login, expiresAt: new Date(now + USER_TOKEN_MS).toISOString() });
      save();
      return answerWith({ access_token: token, token_type: 'bearer', scope: '', expires_in: String(USER_TOKEN_MS / 1000) });
    }],
  ];

  function appNamed(slug: string) {
    const app = state().app;
    if (!app || app.slug !== slug) throw new Refusal(404, 'Not Found');
    return app;
  }

  /** The App's client, and a redirect URI among its callback URLs (GitHub refuses any other: no redirect to a stranger). */
  function authorization(clientId: string | null | undefined, redirectUri: string | null | undefined) {
    const app = state().app;
    if (!app || clientId !== app.clientId) return page(404, 'Not Found', '<p>No application with this client_id.</p>');
    const chosen = redirectUri || app.callbackUrls[0];
    // A GitHub App's redirect_uri must be exactly one of its callback URLs.
    if (!chosen || !app.callbackUrls.includes(chosen)) {
      return page(400, 'Redirect URI mismatch', '<p>Be careful! The redirect_uri is not associated with this application.</p>');
    }
    return { clientId: app.clientId, redirectUri: chosen };
  }
}

/** Whoever signs in first owns an App made from the personal form; the stand-in has no sessions. */
function defaultOwner(context: StandInContext): string {
  return context.file.state.users[0]?.login ?? 'local';
}

/** GitHub's OAuth endpoint answers JSON only to `Accept: application/json` (not to the REST API's type), else a form body. */
function oauthAnswer(accept: string | undefined, fields: Record<string, string>): Answer {
  if (/(^|[\s,])application\/json\b/.test(accept ?? '')) return json(200, fields);
  return { status: 200, headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' }, body: new URLSearchParams(fields).toString() };
}

function field(request: StandInRequest, name: string): string | undefined {
  const value = request.body[name];
  return typeof value === 'string' ? value : undefined;
}

/** A refusal while making the App, as a page. */
function createAppPage<T>(make: () => T): T | ReturnType<typeof page> {
  try {
    return make();
  } catch (error) {
    if (error instanceof Refusal) return page(error.status, 'The App was not created', `<p>${escapeHtml(error.message)}</p>`);
    throw error;
  }
}
