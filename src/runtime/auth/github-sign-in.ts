import { randomBytes } from 'crypto';
import { signJwt } from './jwt-signer';
import { SessionSigningKey } from './session-signing-key';
import { GITHUB_SIGN_IN_AUDIENCE, gitHubSignInIssuer } from '../../contract/github-sign-in';
import { ConflictError, UnauthorizedError, ValidationError } from '../core/errors';
import { GitHubConnection } from '../core/github';
import { GitHubRoleMapping, describeMapping, groupsOf, rolesFromGitHub } from '../core/github-role-mapping';
import { printable } from '../core/names';
import { Clock, OneUseStore } from '../core/ports';

const STATE_PURPOSE = 'github-sign-in';
const STATE_TTL_SECONDS = 10 * 60;
const TOKEN_TTL_SECONDS = 60 * 60;
/** 24 random bytes, base64url. */
const STATE_FORM = /^[\w-]{32}$/;

/** What an installation configures: who gets which role, and the key tokens are signed with. */
export interface GitHubSignInSettings {
  readonly roles: readonly GitHubRoleMapping[];
  readonly signingKey: SessionSigningKey;
  /** Origins a sign-in may send the browser back to besides the dashboard's own. @default none */
  readonly returnOrigins?: readonly string[];
  /** The tokens' `iss`, exactly as API Gateway's JWT authorizer expects it. @default `<control API URL>/auth/github` */
  readonly issuer?: string;
}

export interface GitHubSignInOptions extends GitHubSignInSettings {
  /** The control API's base URL: GitHub sends the browser back to `<apiUrl>/auth/github/callback`. */
  readonly apiUrl: string;
  /** The dashboard's URL: a sign-in returns only to its origin (or `returnOrigins`). */
  readonly dashboardUrl: string;
  readonly github: GitHubConnection;
  readonly states: OneUseStore;
  readonly clock: Clock;
  /** Never given a token or a code. */
  readonly log: (entry: Record<string, unknown>) => void;
}

/** How a callback ended: back to the dashboard with a token, or refused with a reason for the person. */
export type SignInResult =
  | { readonly kind: 'signed-in'; readonly location: string }
  | { readonly kind: 'refused'; readonly status: number; readonly reason: string; readonly returnTo?: string };

/**
 * Sign in with GitHub: GitHub's OAuth web flow through the App's user authorization, then a
 * Trellis token (RS256, 1 hour) whose groups are the roles the user's organizations and teams
 * map to. The same JwtAuthenticator as for any issuer verifies it, from the key set served here.
 */
export class GitHubSignIn {
  readonly issuer: string;
  /** Where this API serves the sign-in's routes. */
  private readonly routes: string;

  constructor(private readonly options: GitHubSignInOptions) {
    this.routes = gitHubSignInIssuer(options.apiUrl);
    this.issuer = options.issuer ?? this.routes;
  }

  /** GitHub's authorize page for a new one-use `state` that remembers `returnTo`. */
  async start(returnTo: string | undefined): Promise<string> {
    const back = this.checkedReturn(returnTo);
    const authorization = await this.options.github.userAuthorization();
    if (!authorization) throw new ConflictError('sign in with GitHub needs the GitHub App: an admin creates it on the setup page first');
    const state = randomBytes(24).toString('base64url');
    const expiresAt = this.nowSeconds() + STATE_TTL_SECONDS;
    if (!await this.options.states.put(STATE_PURPOSE, state, { returnTo: back }, expiresAt)) throw new Error('a fresh random state was taken already');
    return authorization.authorizeUrl(state, this.callbackUrl());
  }

  /** GitHub's answer (`?code&state`, or `?error&state`): the state taken once, then the user's roles. */
  async callback(query: Readonly<Record<string, string | undefined>>): Promise<SignInResult> {
    // Only what start() makes is looked up: anything else (a huge value, say) never reaches the table.
    const kept = STATE_FORM.test(query.state ?? '') ? await this.options.states.take(STATE_PURPOSE, query.state!) : undefined;
    if (!kept) {
      return refused(400, 'This sign-in answer does not match a sign-in started here, or it was used already or is older than 10 minutes. Sign in again.');
    }
    const returnTo = kept.returnTo;
    if (query.error) return refused(401, `GitHub did not sign you in: ${printable(query.error_description ?? query.error, 200)}.`, returnTo);
    if (!query.code) return refused(400, 'GitHub sent no code back. Sign in again.', returnTo);
    const authorization = await this.options.github.userAuthorization();
    if (!authorization) return refused(409, 'Sign in with GitHub needs the GitHub App, and there is none now.', returnTo);
    let userToken: string;
    try {
      userToken = await authorization.exchangeCode(query.code, this.callbackUrl());
    } catch (error) {
      if (error instanceof UnauthorizedError) return refused(401, `${error.message}. Sign in again.`, returnTo);
      throw error;
    }
    const [user, organizations, teams] = await Promise.all([
      authorization.user(userToken), authorization.organizations(userToken), authorization.teams(userToken),
    ]);
    const groups = groupsOf(rolesFromGitHub(this.options.roles, organizations, teams));
    const subject = `github:${user.id}`;
    if (groups.length === 0) {
      this.options.log({
        message: 'github sign-in refused', subject, login: user.login, organizations, teams: teams.length, mapped: this.options.roles.map(describeMapping),
      });
      return refused(403, this.noRoleReason(user.login), returnTo);
    }
    this.options.log({ message: 'github sign-in', subject, login: user.login, groups });
    const now = this.nowSeconds();
    const claims = { iss: this.issuer, aud: GITHUB_SIGN_IN_AUDIENCE, sub: subject, name: user.login, groups, iat: now, exp: now + TOKEN_TTL_SECONDS };
    const token = signJwt(claims, await this.options.signingKey.get());
    // In the fragment: browsers never send it to a server, so no log or Referer holds it.
    return { kind: 'signed-in', location: `${returnTo}#token=${token}` };
  }

  /** The key set tokens verify against (API Gateway's JWT authorizer and JwtAuthenticator fetch it). */
  async jwks(): Promise<{ keys: unknown[] }> {
    return this.options.signingKey.jwks();
  }

  /** The discovery document API Gateway's JWT authorizer reads (`<issuer>/.well-known/openid-configuration`). */
  openIdConfiguration(): Record<string, unknown> {
    return {
      issuer: this.issuer,
      jwks_uri: `${this.routes}/.well-known/jwks.json`,
      authorization_endpoint: `${this.routes}/sign-in`,
      response_types_supported: ['id_token'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256'],
    };
  }

  /** `returnTo` without its fragment, when it is a page of the dashboard's origin; anything else is refused (no open redirect). */
  private checkedReturn(returnTo: string | undefined): string {
    const allowed = [this.options.dashboardUrl, ...this.options.returnOrigins ?? []].map(origin => new URL(origin).origin);
    let url: URL | undefined;
    try {
      url = returnTo ? new URL(returnTo) : undefined;
    } catch {
      url = undefined;
    }
    if (!url || !['http:', 'https:'].includes(url.protocol) || url.username !== '' || url.password !== '' || !allowed.includes(url.origin)) {
      throw new ValidationError([{ path: 'return', message: `must be a page of the dashboard (${allowed.join(', ')}); '${printable(returnTo ?? '')}' is not` }]);
    }
    url.hash = '';
    return url.toString();
  }

  /** Anyone with a GitHub account sees this page: it names no organization or team (the log names them for the admin). */
  private noRoleReason(login: string): string {
    return `${printable(login, 40)} is in none of the GitHub organizations or teams this Trellis gives a role to.`
      + ' Ask an admin of this Trellis to add you to one of them (the GitHub App must be installed on the organization for its teams to count).';
  }

  private callbackUrl(): string {
    return `${this.routes}/callback`;
  }

  private nowSeconds(): number {
    return Math.floor(this.options.clock.now().getTime() / 1000);
  }
}

function refused(status: number, reason: string, returnTo?: string): SignInResult {
  return { kind: 'refused', status, reason, ...returnTo === undefined ? {} : { returnTo } };
}
