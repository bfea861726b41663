import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { acknowledge } from './acknowledge';
import { BoundGitHubApp, actingAsAppEnvironment } from './bound-github-app';
import { secretArn } from './secret-arn';
import { GITHUB_ENV, GITHUB_SIGN_IN_ENV } from '../../contract/function-environment';
import { secretPolicyNames } from '../../contract/secret-names';
import { GitHubRoleMapping } from '../../runtime/core/github-role-mapping';

/**
 * The control API acting as the GitHub App: the setup page (creating the App from a manifest,
 * its installed repositories, missed deliveries) and new applications' repositories. It reads the
 * credentials; when the setup page creates the App, it also stores both of its secrets. The
 * manifest names the API's own URL (`apiUrl`) for GitHub's redirect.
 */
export function controlApiActsAsApp(fn: lambda.Function, app: BoundGitHubApp, apiUrl: string): void {
  const environment: Record<string, string> = {
    ...actingAsAppEnvironment(app),
    [GITHUB_ENV.controlApiUrl]: apiUrl,
    // The setup page's callback stores it; the App's deliveries are signed with it.
    [GITHUB_ENV.appWebhookSecret]: app.webhookSecret,
    ...app.organization === undefined ? {} : { [GITHUB_ENV.organization]: app.organization },
    ...app.createdBySetupPage ? {} : { [GITHUB_ENV.appOrigin]: 'given' },
  };
  for (const [name, value] of Object.entries(environment)) fn.addEnvironment(name, value);
  app.grantControlApi(fn);
}

/**
 * The control API issuing its own tokens after a GitHub sign-in: the issuer its verifier
 * expects, the role mappings, and the signing key's secret (read, or created on first use; never
 * rewritten: a new key would void every token).
 */
export function controlApiSignsInWithGitHub(fn: lambda.Function, installationName: string, issuer: string,
  roles: readonly GitHubRoleMapping[]): void {
  fn.addEnvironment(GITHUB_SIGN_IN_ENV.issuer, issuer);
  fn.addEnvironment(GITHUB_SIGN_IN_ENV.roles, JSON.stringify(roles));
  fn.addToRolePolicy(new iam.PolicyStatement({
    actions: ['secretsmanager:GetSecretValue', 'secretsmanager:CreateSecret'],
    resources: [secretArn(fn, secretPolicyNames.sessionSigningKey(installationName))],
  }));
}

/** Which public GitHub routes the control API has. */
export interface GitHubRoutes {
  /** `GET /auth/github/{proxy+}`: sign-in, GitHub's callback, the OpenID configuration and key set; `POST /auth/github/token`: the terminal's code. */
  readonly signIn: boolean;
  /** `GET /github/app-created`: where GitHub sends the admin back after creating the App from the manifest. */
  readonly appCreated: boolean;
}

/**
 * Public routes: the browser reaches them before it has a token (or GitHub sends it there).
 * Each is guarded by the function: a one-use `state` it issued, checked before anything else;
 * the key set and OpenID configuration are public by nature.
 */
export function addGitHubRoutes(api: apigwv2.HttpApi, integration: apigwv2.HttpRouteIntegration, routes: GitHubRoutes): void {
  if (routes.signIn) {
    const [signIn] = api.addRoutes({ path: '/auth/github/{proxy+}', methods: [apigwv2.HttpMethod.GET], integration });
    acknowledge(signIn, {
      APIG4: 'sign in with GitHub happens before the user has a token: the function accepts only a callback with the one-use state it issued, '
        + 'and the OpenID configuration and key set are public by nature',
    });
    const [terminalCode] = api.addRoutes({ path: '/auth/github/token', methods: [apigwv2.HttpMethod.POST], integration });
    acknowledge(terminalCode, {
      APIG4: 'trellis login redeems the one-use code its sign-in with GitHub sent to the terminal, before it has a token: '
        + 'the function accepts only a code it issued, once, with the PKCE verifier of the challenge it was bound to',
    });
  }
  if (routes.appCreated) {
    const [appCreated] = api.addRoutes({ path: '/github/app-created', methods: [apigwv2.HttpMethod.GET], integration });
    acknowledge(appCreated, {
      APIG4: 'GitHub sends the admin here after creating the App from the manifest; the function accepts only the one-use state an admin\'s request issued',
    });
  }
}
