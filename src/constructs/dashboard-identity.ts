import { RemovalPolicy, Token } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';
import { BoundIdentity, IdentityBinder, IdentityContext } from './private/bound-identity';
import { COGNITO_SCOPES, bindCognito, cognitoEndpoints, derivedDomainPrefix, domainBaseUrl } from './private/cognito-identity';
import { cognitoDomainPrefixProblem, urlProblem } from './private/dashboard-web';
import { bindGitHubSignIn, gitHubRoleMappingsOf } from './private/github-sign-in-identity';
import { optionsError } from './private/prop-issues';
import { ValidationIssue } from '../runtime/core/errors';

/** Settings of the Cognito user pool the dashboard creates. */
export interface CognitoIdentityOptions {
  /**
   * Prefix of the hosted sign-in domain, `https://<prefix>.auth.<region>.amazoncognito.com`:
   * 1-63 lowercase letters, digits or hyphens, unique in the region, without `aws`, `amazon`
   * or `cognito`.
   * @default - `trellis-<installationName>-<first 8 characters of the stack's id>`
   */
  readonly domainPrefix?: string;

  /**
   * Require every user to sign in with a second factor (an authenticator app).
   * @default false - MFA is optional: each user may add an authenticator app
   */
  readonly mfaRequired?: boolean;

  /**
   * Cognito threat protection (the Plus feature plan, billed per monthly active user): blocks
   * sign-ins with leaked credentials and adapts to risky sign-ins.
   * @default false - the Essentials plan
   */
  readonly threatProtection?: boolean;

  /**
   * What happens to the user pool when it leaves the stack.
   * @default RemovalPolicy.RETAIN - users and their authenticators are kept, with deletion protection on
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** An OpenID Connect identity provider the dashboard signs in with (authorization code flow with PKCE). */
export interface OidcIdentityOptions {
  /**
   * The token issuer (`iss`), an https URL without query or fragment. API Gateway reads its
   * discovery document (`<issuer>/.well-known/openid-configuration`).
   */
  readonly issuer: string;

  /**
   * The dashboard's client id at the provider: a public client (no secret) allowed the dashboard URL
   * as redirect URI, and `http://localhost:53682/callback` for `trellis login`.
   */
  readonly clientId: string;

  /** The provider's authorization endpoint (https). */
  readonly authorizeUrl: string;

  /** The provider's token endpoint (https); the browser posts the authorization code here. */
  readonly tokenUrl: string;

  /**
   * Scopes to ask for. The ID token must carry the user's groups (`groups` or `cognito:groups`).
   * @default ['openid', 'profile', 'email']
   */
  readonly scopes?: string[];

  /**
   * The provider's sign-out endpoint (https).
   * @default - none: signing out forgets the token in the browser only
   */
  readonly logoutUrl?: string;

  /**
   * Accepted audiences: the token's `aud` or `client_id`.
   * @default - the client id
   */
  readonly audiences?: string[];

  /**
   * Where the issuer publishes its signing keys (read by the live log socket; API Gateway uses the discovery document).
   * @default - `<issuer>/.well-known/jwks.json`
   */
  readonly jwksUrl?: string;
}

/** Who gets which role when signing in with GitHub: the members of an organization, or of one of its teams. */
export interface GitHubRoleMapping {
  /** The organization's login, e.g. `acme` (compared case-insensitively, as GitHub does). */
  readonly organization: string;

  /**
   * A team's slug in the organization, e.g. `platform` (not `acme/platform`): only its members.
   * @default - every member of the organization
   */
  readonly team?: string;

  /** `viewer` (read), `deployer` (deploy, promote, roll back, cancel in unprotected environments) or `admin` (everything). */
  readonly role: string;

  /**
   * The role on this application only.
   * @default - every application
   */
  readonly application?: string;
}

/** Sign in with GitHub: who gets which role. */
export interface GitHubIdentityOptions {
  /** Role mappings; a user gets every role a mapping gives them, and one no mapping matches cannot sign in. */
  readonly roles: GitHubRoleMapping[];
}

/**
 * Who signs in to the dashboard: a user pool it creates (the default), a user pool of
 * yours, any OpenID Connect provider, or GitHub accounts. The control API and the live log
 * socket accept the same tokens.
 *
 * @example
 * new TrellisPipeline(stack, 'Trellis', {
 *   dashboard: { identity: DashboardIdentity.cognito({ domainPrefix: 'acme-deploys' }) },
 * });
 */
export class DashboardIdentity {
  /**
   * A new Cognito user pool for this installation: no self sign-up (an administrator creates
   * users), a strong password policy, optional MFA, groups `admin`, `deployer` and `viewer`
   * (and `<role>:<application>` groups you add), the hosted sign-in UI and a public app client
   * (authorization code with PKCE) for the dashboard URL.
   *
   * @example
   * const identity = DashboardIdentity.cognito({ domainPrefix: 'acme-deploys', mfaRequired: true });
   */
  public static cognito(options: CognitoIdentityOptions = {}): DashboardIdentity {
    const prefixProblem = options.domainPrefix === undefined ? undefined : cognitoDomainPrefixProblem(options.domainPrefix);
    if (prefixProblem) throw optionsError('DashboardIdentity.cognito', [{ path: 'domainPrefix', message: prefixProblem }]);
    return new DashboardIdentity((scope, context) => bindCognito(scope, context, options));
  }

  /**
   * A Cognito user pool and app client of yours. The client must be public (no secret), allow
   * the authorization code grant with the `openid`, `email` and `profile` scopes, and list the dashboard URL
   * (`TrellisDashboard.url` + `/`) as callback and sign-out URL, and `http://localhost:53682/callback`
   * as callback for `trellis login`. The ID token's `cognito:groups` decide what a user may do.
   *
   * @param userPool the user pool
   * @param client the dashboard's app client
   * @param domain the pool's hosted UI domain; a Cognito prefix domain is added to the pool when absent
   *
   * @example
   * const pool = cognito.UserPool.fromUserPoolId(stack, 'Pool', 'eu-west-1_AbCdEf123');
   * const client = cognito.UserPoolClient.fromUserPoolClientId(stack, 'Client', 'trellis-dashboard');
   * const identity = DashboardIdentity.userPool(pool, client);
   */
  public static userPool(userPool: cognito.IUserPool, client: cognito.IUserPoolClient, domain?: cognito.IUserPoolDomain): DashboardIdentity {
    return new DashboardIdentity((_scope, context) => {
      const baseUrl = domain ? domainBaseUrl(domain, userPool) : userPool.addDomain('DashboardDomain', {
        cognitoDomain: { domainPrefix: derivedDomainPrefix(context) },
      }).baseUrl();
      return {
        ...cognitoEndpoints(baseUrl),
        issuer: `https://${userPool.userPoolProviderName}`,
        audiences: [client.userPoolClientId],
        clientId: client.userPoolClientId,
        scopes: COGNITO_SCOPES.map(oauthScope => oauthScope.scopeName),
      };
    });
  }

  /**
   * Any OpenID Connect provider (Entra ID, Okta, Auth0, Google Workspace...). Its ID tokens
   * must carry the user's groups in `groups` or `cognito:groups`. Throws, naming the option,
   * if an option breaks a rule.
   *
   * @example
   * const identity = DashboardIdentity.oidc({
   *   issuer: 'https://acme.okta.com/oauth2/default',
   *   clientId: 'trellis-dashboard',
   *   authorizeUrl: 'https://acme.okta.com/oauth2/default/v1/authorize',
   *   tokenUrl: 'https://acme.okta.com/oauth2/default/v1/token',
   * });
   */
  public static oidc(options: OidcIdentityOptions): DashboardIdentity {
    const issues: ValidationIssue[] = [];
    for (const key of ['issuer', 'authorizeUrl', 'tokenUrl', 'logoutUrl', 'jwksUrl'] as const) {
      const value = options[key];
      const problem = value === undefined ? undefined : urlProblem(value);
      if (problem) issues.push({ path: key, message: problem });
    }
    if (!Token.isUnresolved(options.clientId) && options.clientId.trim() === '') issues.push({ path: 'clientId', message: 'must not be empty' });
    if (options.audiences !== undefined && options.audiences.length === 0) issues.push({ path: 'audiences', message: 'give at least one accepted audience, or leave it out to accept the client id' });
    options.audiences?.forEach((audience, index) => {
      // The live log socket receives them comma-separated.
      if (!Token.isUnresolved(audience) && (audience.trim() === '' || audience.includes(','))) issues.push({ path: `audiences[${index}]`, message: `'${audience}' must be a non-empty value without commas` });
    });
    if (options.scopes !== undefined && !options.scopes.includes('openid')) issues.push({ path: 'scopes', message: "must include 'openid' (the dashboard signs in with the ID token)" });
    options.scopes?.forEach((scope, index) => {
      if (!Token.isUnresolved(scope) && !/^[\x21\x23-\x5b\x5d-\x7e]+$/.test(scope)) issues.push({ path: `scopes[${index}]`, message: `'${scope}' is not a valid scope` });
    });
    if (issues.length > 0) throw optionsError('DashboardIdentity.oidc', issues);
    return new DashboardIdentity(() => ({
      issuer: options.issuer,
      audiences: [...(options.audiences ?? [options.clientId])],
      jwksUrl: options.jwksUrl,
      clientId: options.clientId,
      authorizeUrl: options.authorizeUrl,
      tokenUrl: options.tokenUrl,
      logoutUrl: options.logoutUrl,
      scopes: [...(options.scopes ?? ['openid', 'profile', 'email'])],
    }));
  }

  /**
   * Sign in with GitHub, through the pipeline's GitHub App (`TrellisPipelineProps.github`): the
   * control API runs GitHub's OAuth web flow and issues its own tokens (RS256, one hour, signed
   * with a key it keeps as `trellis/<installationName>/session-signing-key`), with the roles that
   * the user's organizations and teams map to. Throws, naming the mapping, if one breaks a rule.
   *
   * @example
   * const identity = DashboardIdentity.gitHub({
   *   roles: [
   *     { organization: 'acme', role: 'viewer' },
   *     { organization: 'acme', team: 'platform', role: 'admin' },
   *     { organization: 'acme', team: 'shop-team', role: 'deployer', application: 'shop' },
   *   ],
   * });
   */
  public static gitHub(options: GitHubIdentityOptions): DashboardIdentity {
    const roles = gitHubRoleMappingsOf(options);
    return new DashboardIdentity((_scope, context) => bindGitHubSignIn(context, roles));
  }

  private readonly binder: IdentityBinder;

  private constructor(binder: IdentityBinder) {
    this.binder = binder;
  }

  /** @internal creates what the identity needs for one dashboard */
  public _bind(scope: Construct, context: IdentityContext): BoundIdentity {
    return this.binder(scope, context);
  }
}
