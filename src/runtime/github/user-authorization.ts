import { GitHubRest, GitHubRestOptions, withoutSecrets } from './github-rest';
import { UnauthorizedError } from '../core/errors';
import { GitHubEndpoints, GitHubTeam, GitHubUser, GitHubUserAuthorization } from '../core/github';

interface AccessTokenAnswer { readonly access_token?: unknown; readonly error?: unknown; readonly error_description?: unknown }

/**
 * Sign in with GitHub through the App's user authorization (the OAuth web flow): the authorize
 * page on GitHub's web host, the code exchanged there, then who the user is and their
 * organizations and teams from the REST API with the user's token.
 */
export class UserAuthorizationClient implements GitHubUserAuthorization {
  private readonly api: GitHubRest;
  private readonly web: GitHubRest;

  constructor(
    private readonly endpoints: GitHubEndpoints,
    private readonly client: { readonly clientId: string; readonly clientSecret: string },
    options: GitHubRestOptions = {},
  ) {
    this.api = new GitHubRest(endpoints.apiUrl, options);
    this.web = new GitHubRest(endpoints.webUrl, options);
  }

  authorizeUrl(state: string, redirectUri: string): string {
    const query = new URLSearchParams({ client_id: this.client.clientId, redirect_uri: redirectUri, state });
    return `${this.endpoints.webUrl.replace(/\/+$/, '')}/login/oauth/authorize?${query}`;
  }

  async exchangeCode(code: string, redirectUri: string): Promise<string> {
    // GitHub answers 200 with `error` for a bad code: both are checked.
    const answer = await this.web.json<AccessTokenAnswer>({
      method: 'POST',
      path: '/login/oauth/access_token',
      accept: 'application/json',
      body: { client_id: this.client.clientId, client_secret: this.client.clientSecret, code, redirect_uri: redirectUri },
      secrets: [code, this.client.clientSecret],
    });
    if (typeof answer?.access_token === 'string' && answer.access_token !== '') return answer.access_token;
    const why = typeof answer?.error_description === 'string' ? answer.error_description : typeof answer?.error === 'string' ? answer.error : 'no token';
    throw new UnauthorizedError(withoutSecrets(`GitHub did not accept the sign-in code: ${why.slice(0, 200)}`, code, this.client.clientSecret));
  }

  async user(userToken: string): Promise<GitHubUser> {
    const user = await this.api.json<{ id?: unknown; login?: unknown; name?: unknown }>({ path: '/user', token: userToken });
    if (typeof user?.id !== 'number' || typeof user.login !== 'string') throw new Error('GitHub answered GET /user without an id and login');
    return { id: user.id, login: user.login, ...typeof user.name === 'string' && user.name !== '' && { name: user.name } };
  }

  async organizations(userToken: string): Promise<string[]> {
    const orgs = await this.api.pages<{ login?: unknown }>({ path: '/user/orgs', token: userToken }, arrayOf);
    return orgs.flatMap(org => (typeof org.login === 'string' ? [org.login.toLowerCase()] : []));
  }

  async teams(userToken: string): Promise<GitHubTeam[]> {
    const teams = await this.api.pages<{ slug?: unknown; organization?: { login?: unknown } }>({ path: '/user/teams', token: userToken }, arrayOf);
    return teams.flatMap(team => (typeof team.slug === 'string' && typeof team.organization?.login === 'string'
      ? [{ organization: team.organization.login.toLowerCase(), slug: team.slug.toLowerCase() }]
      : []));
  }
}

function arrayOf<T>(body: unknown): T[] {
  return Array.isArray(body) ? body as T[] : [];
}
