import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { IConstruct } from 'constructs';
import { secretArn } from './secret-arn';
import { GITHUB_ENV } from '../../contract/function-environment';
import { secretNames, secretPolicyNames } from '../../contract/secret-names';
import { GitHubEndpoints } from '../../runtime/core/github';

/** A GitHub App bound to one installation: where GitHub is, where the App's two secrets are, and the grants on them. */
export interface BoundGitHubApp {
  readonly endpoints: GitHubEndpoints;
  /** What the functions read the credentials by (GITHUB_ENV.appSecret): the name the setup page stores them under, or the given secret's ARN. */
  readonly credentials: string;
  /** The same for the webhook secret (GITHUB_ENV.appWebhookSecret). */
  readonly webhookSecret: string;
  /** The setup page creates the App (its callback route exists, and the control API stores both secrets). */
  readonly createdBySetupPage: boolean;
  /** The organization the setup page creates the App in. */
  readonly organization?: string;
  /** Read the credentials (repository tokens, reports, the control API): nothing else. */
  grantReadCredentials(grantee: iam.IGrantable): void;
  /** Read the webhook secret (the webhook): not the credentials. */
  grantReadWebhookSecret(grantee: iam.IGrantable): void;
  /** The control API: read the credentials and, when the setup page creates the App, create and write both secrets. */
  grantControlApi(grantee: iam.IGrantable): void;
}

/** The variables of a function that acts as the App: where GitHub is and the credentials' secret (not the webhook secret). */
export function actingAsAppEnvironment(app: BoundGitHubApp): Record<string, string> {
  return {
    [GITHUB_ENV.apiUrl]: app.endpoints.apiUrl,
    [GITHUB_ENV.webUrl]: app.endpoints.webUrl,
    [GITHUB_ENV.appSecret]: app.credentials,
  };
}

const READ = ['secretsmanager:GetSecretValue'];
/** What SecretsManagerStore.update does: read, then write or create. */
const STORE = ['secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue', 'secretsmanager:CreateSecret'];

/**
 * The secrets the setup page's manifest callback stores, by name: they exist only once the App
 * does, so the grants name their ARNs by pattern (`<name>-??????`, Secrets Manager's suffix).
 */
export function setupPageApp(scope: IConstruct, installationName: string, endpoints: GitHubEndpoints, organization?: string): BoundGitHubApp {
  const credentials = secretArn(scope, secretPolicyNames.githubApp(installationName));
  const webhookSecret = secretArn(scope, secretPolicyNames.githubAppWebhook(installationName));
  const grant = (grantee: iam.IGrantable, actions: string[], resourceArns: string[]) => {
    iam.Grant.addToPrincipal({ grantee, actions, resourceArns });
  };
  return {
    endpoints,
    credentials: secretNames.githubApp(installationName),
    webhookSecret: secretNames.githubAppWebhook(installationName),
    createdBySetupPage: true,
    organization,
    grantReadCredentials: grantee => grant(grantee, READ, [credentials]),
    grantReadWebhookSecret: grantee => grant(grantee, READ, [webhookSecret]),
    grantControlApi: grantee => grant(grantee, STORE, [credentials, webhookSecret]),
  };
}

/** An App the user made, its secrets given: read by ARN, never written (the App exists). */
export function givenApp(endpoints: GitHubEndpoints, credentials: secretsmanager.ISecret, webhookSecret: secretsmanager.ISecret): BoundGitHubApp {
  return {
    endpoints,
    credentials: credentials.secretArn,
    webhookSecret: webhookSecret.secretArn,
    createdBySetupPage: false,
    grantReadCredentials: grantee => credentials.grantRead(grantee),
    grantReadWebhookSecret: grantee => webhookSecret.grantRead(grantee),
    grantControlApi: grantee => credentials.grantRead(grantee),
  };
}
