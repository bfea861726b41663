import { Aws, Duration, Fn, RemovalPolicy, Token } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';
import { acknowledge } from './acknowledge';
import { BoundIdentity, IdentityContext } from './bound-identity';
import { cognitoDomainPrefixProblem } from './dashboard-web';
import { TERMINAL_SIGN_IN_CALLBACK } from '../../contract/terminal-sign-in';
import type { CognitoIdentityOptions } from '../dashboard-identity';

/** Groups a created user pool has; the control API and the live log socket read them from the ID token. */
const GROUPS = [
  { name: 'admin', description: 'Everything, in every environment, including settings' },
  { name: 'deployer', description: 'Deploy, promote, roll back, tear down and cancel in environments that are not protected' },
  { name: 'viewer', description: 'Read applications, deployments and logs' },
];

/** The scopes the dashboard asks a Cognito user pool for. */
export const COGNITO_SCOPES = [cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL, cognito.OAuthScope.PROFILE];

/** The user pool the dashboard creates, with its groups, hosted UI domain and app client. */
export function bindCognito(scope: Construct, context: IdentityContext, options: CognitoIdentityOptions): BoundIdentity {
  const removalPolicy = options.removalPolicy ?? RemovalPolicy.RETAIN;
  const pool = new cognito.UserPool(scope, 'UserPool', {
    userPoolName: `trellis-${context.installationName}`,
    // Users are created by an administrator (console or `aws cognito-idp admin-create-user`).
    selfSignUpEnabled: false,
    signInAliases: { email: true },
    autoVerify: { email: true },
    standardAttributes: { email: { required: true, mutable: true } },
    // No dashboard URL here: the distribution's security headers name this pool's domain.
    userInvitation: {
      emailSubject: 'Your Trellis dashboard account',
      emailBody: 'Your Trellis dashboard account is {username}, with the temporary password {####}. '
        + 'Sign in on the Trellis dashboard (the DashboardUrl output of the Trellis stack) and choose a new password.',
    },
    passwordPolicy: {
      minLength: 12,
      requireLowercase: true,
      requireUppercase: true,
      requireDigits: true,
      requireSymbols: true,
      tempPasswordValidity: Duration.days(3),
    },
    mfa: options.mfaRequired ? cognito.Mfa.REQUIRED : cognito.Mfa.OPTIONAL,
    mfaSecondFactor: { otp: true, sms: false },
    accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
    featurePlan: options.threatProtection ? cognito.FeaturePlan.PLUS : cognito.FeaturePlan.ESSENTIALS,
    standardThreatProtectionMode: options.threatProtection ? cognito.StandardThreatProtectionMode.FULL_FUNCTION : undefined,
    deletionProtection: removalPolicy === RemovalPolicy.RETAIN,
    removalPolicy,
  });
  acknowledge(pool, {
    ...(options.mfaRequired ? {} : {
      COG2: 'MFA is optional by default so a team can start without enrolling authenticators; set mfaRequired to enforce it',
    }),
    ...(options.threatProtection ? {} : {
      COG8: 'threat protection needs the Plus feature plan, billed per monthly active user; set threatProtection to turn it on',
    }),
  });
  GROUPS.forEach((group, precedence) => pool.addGroup(`${group.name}Group`, { groupName: group.name, description: group.description, precedence }));

  const domain = pool.addDomain('Domain', { cognitoDomain: { domainPrefix: options.domainPrefix ?? derivedDomainPrefix(context) } });
  // The dashboard sends the browser back to its root (it routes with the URL's hash).
  const redirects = [`${context.url}/`, ...context.callbackUrls];
  const client = pool.addClient('DashboardClient', {
    userPoolClientName: 'trellis-dashboard',
    generateSecret: false, // a browser cannot keep a secret: PKCE protects the code instead
    authFlows: { userSrp: true },
    oAuth: {
      flows: { authorizationCodeGrant: true },
      scopes: COGNITO_SCOPES,
      // `trellis login` signs in through the browser too, back to its loopback listener.
      callbackUrls: [...redirects, TERMINAL_SIGN_IN_CALLBACK],
      logoutUrls: redirects,
    },
    supportedIdentityProviders: [cognito.UserPoolClientIdentityProvider.COGNITO],
    preventUserExistenceErrors: true,
    idTokenValidity: Duration.hours(1),
    accessTokenValidity: Duration.hours(1),
    refreshTokenValidity: Duration.hours(12),
    enableTokenRevocation: true,
  });
  return {
    ...cognitoEndpoints(domain.baseUrl()),
    issuer: pool.userPoolProviderUrl,
    audiences: [client.userPoolClientId],
    clientId: client.userPoolClientId,
    scopes: COGNITO_SCOPES.map(oauthScope => oauthScope.scopeName),
    userPool: pool,
    userPoolClient: client,
  };
}

/** The OAuth endpoints of a Cognito hosted UI at `baseUrl`. */
export function cognitoEndpoints(baseUrl: string): Pick<BoundIdentity, 'authorizeUrl' | 'tokenUrl' | 'logoutUrl'> {
  return { authorizeUrl: `${baseUrl}/oauth2/authorize`, tokenUrl: `${baseUrl}/oauth2/token`, logoutUrl: `${baseUrl}/logout` };
}

/**
 * The hosted UI's base URL of a domain. An imported domain is a custom domain when its name
 * has a dot, a Cognito prefix domain in the pool's region otherwise.
 */
export function domainBaseUrl(domain: cognito.IUserPoolDomain, userPool: cognito.IUserPool): string {
  if (domain instanceof cognito.UserPoolDomain) return domain.baseUrl();
  const name = domain.domainName;
  if (!Token.isUnresolved(name) && name.includes('.')) return `https://${name}`;
  return `https://${name}.auth.${userPool.env.region}.amazoncognito.com`;
}

/**
 * `trellis-<installation>-<8 hex characters of the stack id>`: prefix domains are unique per
 * region across all accounts, and the stack id's random part keeps two installations of the
 * same name apart without showing the account id.
 */
export function derivedDomainPrefix(context: IdentityContext): string {
  const base = `trellis-${context.installationName}`;
  const problem = Token.isUnresolved(base) ? undefined : cognitoDomainPrefixProblem(`${base}-0`);
  if (problem) {
    context.fail([{
      path: 'identity',
      message: `the hosted UI domain prefix derived from installationName, '${base}-...', is refused: ${problem.replace(/^'[^']*' /, '')}; `
        + 'give DashboardIdentity.cognito({ domainPrefix })',
    }]);
  }
  const stackUuid = Fn.select(2, Fn.split('/', Aws.STACK_ID));
  return `${base}-${Fn.select(0, Fn.split('-', stackUuid))}`;
}
