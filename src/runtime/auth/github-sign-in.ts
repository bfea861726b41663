import { randomBytes } from 'crypto';
import { signJwt } from './jwt-signer';
import { SessionSigningKey } from './session-signing-key';
import { GITHUB_SIGN_IN_AUDIENCE, gitHubSignInIssuer } from '../../contract/github-sign-in';
import { ConflictError, UnauthorizedError, ValidationError, ValidationIssue } from '../core/errors';
import { GitHubConnection } from '../core/github';
import { GitHubRoleMapping, describeMapping, groupsOf, rolesFromGitHub } from '../core/github-role-mapping';
import { printable } from '../core/names';
import { isPkceChallenge, pkceVerifies } from '../core/pkce';
import { Clock, OneUseStore } from '../core/ports';
import { GitHubTokenBody, SignInToken } from '../core/terminal-sign-in';

const STATE_PURPOSE = 'github-sign-in';
const STATE_TTL_SECONDS = 10 * 60;
const TOKEN_TTL_SECONDS = 60 * 60;
/** 24 random bytes, base64url. */
const STATE_FORM = /^[\w-]{32}$/;
const CODE_PURPOSE = 'github-sign-in-code';
/** The terminal redeems its code at once. */
const CODE_TTL_SECONDS = 2 * 60;
/** 32 random bytes, base64url. */
const CODE_FORM = /^[\w-]{43}$/;
/** Where the terminal listens (RFC 8252 §7.3): an IP literal, so no name resolves elsewhere. */
const LOOPBACK_HOSTS = ['127.0.0.1', '[::1]'];

/** What an installation configures: who gets which role, and the key tokens are signed with. */
export interface GitHubSignInSettings {
  readonly roles: readonly GitHubRoleMapping[];
  readonly signingKey: SessionSigningKey;
  /** Origins a sign-in may send the browser back to besides the dashboard's own. @default none */
  readonly returnOrigins?: readonly string[];
  /** The tokens' `iss`, exactly as the control API's and the log socket's verifiers expect it. @default `<control API URL>/auth/github` */
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

/**
 * How a callback ended: back to the dashboard with a token (or to the terminal with a one-use
 * code), refused with a reason for the person, or refused back to the terminal (the reason in
 * its query, so the command can say it).
 */
export type SignInResult =
  | { readonly kind: 'signed-in'; readonly location: string }
  | { readonly kind: 'refused'; readonly status: number; readonly reason: string; readonly returnTo?: string }
  | { readonly kind: 'refused-to-terminal'; readonly location: string };

/** What the sign-in page's query asks for PKCE (the terminal's sign-in; RFC 7636). */
export interface PkceRequest {
  readonly code_challenge?: string;
  readonly code_challenge_method?: string;
}

/** Who signed in, kept with a terminal's one-use code until it is redeemed. */
interface SignedInUser {
  readonly subject: string;
  readonly name: string;
  readonly groups: readonly string[];
}

/**
 * Sign in with GitHub: GitHub's OAuth web flow through the App's user authorization, then a
 * Trellis token (RS256, 1 hour) whose groups are the roles the user's organizations and teams
 * map to. The same JwtAuthenticator as for any issuer verifies it, from the key set served here.
 *
 * The dashboard gets the token in its URL's fragment. The terminal (`trellis login`) never gets
 * it in a URL: its sign-in names a loopback return (`http://127.0.0.1:<port>/...`) and a PKCE
 * challenge, gets a one-use code there, and redeems it with the verifier (`exchange`).
 */
export class GitHubSignIn {
  readonly issuer: string;
  /** Where this API serves the sign-in's routes. */
  private readonly routes: string;

  constructor(private readonly options: GitHubSignInOptions) {
    this.routes = gitHubSignInIssuer(options.apiUrl);
    this.issuer = options.issuer ?? this.routes;
  }

  /** GitHub's authorize page for a new one-use `state` that remembers `returnTo` (and the terminal's PKCE challenge). */
  async start(returnTo: string | undefined, pkce: PkceRequest = {}): Promise<string> {
    const back = this.checkedReturn(returnTo, pkce);
    const authorization = await this.options.github.userAuthorization();
    if (!authorization) throw new ConflictError('sign in with GitHub needs the GitHub App: an admin creates it on the setup page first');
    const state = randomBytes(24).toString('base64url');
    const expiresAt = this.nowSeconds() + STATE_TTL_SECONDS;
    if (!await this.options.states.put(STATE_PURPOSE, state, back, expiresAt)) throw new Error('a fresh random state was taken already');
    return authorization.authorizeUrl(state, this.callbackUrl());
  }

  /** GitHub's answer (`?code&state`, or `?error&state`): the state taken once, then the user's roles. */
  async callback(query: Readonly<Record<string, string | undefined>>): Promise<SignInResult> {
    // Only what start() makes is looked up: anything else (a huge value, say) never reaches the table.
    const kept = STATE_FORM.test(query.state ?? '') ? await this.options.states.take(STATE_PURPOSE, query.state!) : undefined;
    if (!kept) {
      return refused(400, 'This sign-in answer does not match a sign-in started here, or it was used already or is older than 10 minutes. Sign in again.');
    }
    const { returnTo, challenge } = kept;
    const user = await this.signedInUser(query);
    if ('reason' in user) {
      if (challenge === undefined) return refused(user.status, user.reason, returnTo);
      return { kind: 'refused-to-terminal', location: withQuery(returnTo, { error: 'access_denied', error_description: user.reason }) };
    }
    if (challenge !== undefined) return { kind: 'signed-in', location: withQuery(returnTo, { code: await this.codeFor(user, challenge) }) };
    const { token } = await this.issue(user);
    // In the fragment: browsers never send it to a server, so no log or Referer holds it.
    return { kind: 'signed-in', location: `${returnTo}#token=${token}` };
  }

  /**
   * `POST /auth/github/token { code, code_verifier }`: the terminal's one-use code, taken once
   * (a wrong verifier spends it too), for the token of the user who signed in.
   */
  async exchange(body: Partial<GitHubTokenBody>): Promise<SignInToken> {
    const issues: ValidationIssue[] = [];
    if (typeof body.code !== 'string' || body.code === '') issues.push({ path: 'code', message: 'is required: the code the sign-in sent to the terminal' });
    if (typeof body.code_verifier !== 'string' || body.code_verifier === '') issues.push({ path: 'code_verifier', message: 'is required: the PKCE verifier of the sign-in' });
    if (issues.length > 0) throw new ValidationError(issues);
    const kept = CODE_FORM.test(body.code!) ? await this.options.states.take(CODE_PURPOSE, body.code!) : undefined;
    if (!kept) throw new UnauthorizedError('this sign-in code is unknown, used already or older than 2 minutes: sign in again');
    if (!pkceVerifies(body.code_verifier!, kept.challenge)) {
      this.options.log({ message: 'github sign-in code refused', subject: kept.subject, reason: 'code_verifier does not match the challenge' });
      throw new UnauthorizedError('code_verifier does not match the sign-in\'s code challenge: sign in again');
    }
    return this.issue({ subject: kept.subject, name: kept.name, groups: JSON.parse(kept.groups) as string[] });
  }

  /** The key set tokens verify against (JwtAuthenticator fetches it, in the control API and the log socket). */
  async jwks(): Promise<{ keys: unknown[] }> {
    return this.options.signingKey.jwks();
  }

  /** The issuer's OpenID discovery document (`<issuer>/.well-known/openid-configuration`), for any OIDC client. */
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

  /**
   * What the state remembers. With a PKCE challenge (the terminal): a loopback `returnTo` and the
   * S256 challenge. Without: `returnTo` without its fragment, a page of the dashboard's origin.
   * Anything else is refused (no open redirect, and no code sent off this machine).
   */
  private checkedReturn(returnTo: string | undefined, pkce: PkceRequest): Record<string, string> {
    const allowed = [this.options.dashboardUrl, ...this.options.returnOrigins ?? []].map(origin => new URL(origin).origin);
    let url: URL | undefined;
    try {
      url = returnTo ? new URL(returnTo) : undefined;
    } catch {
      url = undefined;
    }
    const usable = url !== undefined && ['http:', 'https:'].includes(url.protocol) && url.username === '' && url.password === '';
    if (pkce.code_challenge !== undefined || pkce.code_challenge_method !== undefined) {
      if (!usable || url!.protocol !== 'http:' || !LOOPBACK_HOSTS.includes(url!.hostname)) {
        throw new ValidationError([{
          path: 'return',
          message: `must be the terminal's http://127.0.0.1:<port>/... for a sign-in with a code challenge; '${printable(returnTo ?? '')}' is not`,
        }]);
      }
      url!.hash = '';
      return { returnTo: url!.toString(), challenge: terminalChallenge(pkce) };
    }
    if (!usable || !allowed.includes(url!.origin)) {
      throw new ValidationError([{ path: 'return', message: `must be a page of the dashboard (${allowed.join(', ')}); '${printable(returnTo ?? '')}' is not` }]);
    }
    url!.hash = '';
    return { returnTo: url!.toString() };
  }

  /** The user GitHub signed in and the roles they get, or why not. */
  private async signedInUser(query: Readonly<Record<string, string | undefined>>): Promise<SignedInUser | { status: number; reason: string }> {
    if (query.error) return { status: 401, reason: `GitHub did not sign you in: ${printable(query.error_description ?? query.error, 200)}.` };
    if (!query.code) return { status: 400, reason: 'GitHub sent no code back. Sign in again.' };
    const authorization = await this.options.github.userAuthorization();
    if (!authorization) return { status: 409, reason: 'Sign in with GitHub needs the GitHub App, and there is none now.' };
    let userToken: string;
    try {
      userToken = await authorization.exchangeCode(query.code, this.callbackUrl());
    } catch (error) {
      if (error instanceof UnauthorizedError) return { status: 401, reason: `${error.message}. Sign in again.` };
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
      return { status: 403, reason: this.noRoleReason(user.login) };
    }
    this.options.log({ message: 'github sign-in', subject, login: user.login, groups });
    return { subject, name: user.login, groups };
  }

  /** A one-use code for the terminal, bound to its challenge: it holds who signed in, never a token. */
  private async codeFor(user: SignedInUser, challenge: string): Promise<string> {
    const code = randomBytes(32).toString('base64url');
    const value = { challenge, subject: user.subject, name: user.name, groups: JSON.stringify(user.groups) };
    if (!await this.options.states.put(CODE_PURPOSE, code, value, this.nowSeconds() + CODE_TTL_SECONDS)) throw new Error('a fresh random code was taken already');
    return code;
  }

  /** Trellis' own token for a signed-in user. */
  private async issue(user: SignedInUser): Promise<SignInToken> {
    const now = this.nowSeconds();
    const claims = {
      iss: this.issuer, aud: GITHUB_SIGN_IN_AUDIENCE, sub: user.subject, name: user.name, groups: user.groups, iat: now, exp: now + TOKEN_TTL_SECONDS,
    };
    const token = signJwt(claims, await this.options.signingKey.get());
    return { token, expiresAt: new Date(claims.exp * 1000).toISOString(), user: user.name };
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

/** The terminal's PKCE challenge: required, S256 only (a plain challenge would be the verifier itself). */
function terminalChallenge(pkce: PkceRequest): string {
  if (pkce.code_challenge_method !== 'S256') {
    throw new ValidationError([{ path: 'code_challenge_method', message: 'must be S256 for a sign-in from the terminal' }]);
  }
  if (!isPkceChallenge(pkce.code_challenge ?? '')) {
    throw new ValidationError([{ path: 'code_challenge', message: 'is required for a sign-in from the terminal: the base64url SHA-256 of the verifier (43 characters)' }]);
  }
  return pkce.code_challenge!;
}

/** `url` with `params` added to its query. */
function withQuery(url: string, params: Record<string, string>): string {
  const result = new URL(url);
  for (const [name, value] of Object.entries(params)) result.searchParams.set(name, value);
  return result.toString();
}

function refused(status: number, reason: string, returnTo?: string): SignInResult {
  return { kind: 'refused', status, reason, ...returnTo === undefined ? {} : { returnTo } };
}
