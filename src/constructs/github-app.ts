import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { IConstruct } from 'constructs';
import { BoundGitHubApp, givenApp, setupPageApp } from './private/bound-github-app';
import { githubEndpointIssues, organizationIssues } from './private/github-options';
import { optionsError } from './private/prop-issues';
import { keysOf } from '../runtime/core/config-keys';
import { ValidationIssue } from '../runtime/core/errors';
import { GITHUB_DOT_COM, GitHubEndpoints } from '../runtime/core/github';
import { isPlainObject } from '../runtime/core/plain-object';
import { unknownKeyIssues } from '../runtime/core/unknown-keys';

/** Where GitHub is: github.com, or a GitHub Enterprise Server. */
export interface GitHubAppOptions {
  /**
   * GitHub's REST API: `https://<host>/api/v3` for a GitHub Enterprise Server.
   * @default 'https://api.github.com'
   */
  readonly apiUrl?: string;

  /**
   * GitHub's web address (the App's pages, installing it, signing in): `https://<host>` for a
   * GitHub Enterprise Server.
   * @default 'https://github.com'
   */
  readonly webUrl?: string;
}

/** A GitHub App the dashboard's setup page creates. */
export interface GitHubAppSetupOptions extends GitHubAppOptions {
  /**
   * The organization that owns the App (the setup page opens GitHub's form for this
   * organization: an owner of it creates the App).
   * @default - the account of the admin who creates it
   */
  readonly organization?: string;
}

/** A GitHub App made by hand: its credentials and webhook secret in Secrets Manager. */
export interface GitHubAppSecretsOptions extends GitHubAppOptions {
  /**
   * The App's credentials, a JSON object of strings: `appId`, `slug`, `privateKey` (the PEM
   * GitHub issued), `clientId`, `clientSecret` (user authorization: sign in with GitHub) and,
   * optionally, `htmlUrl`.
   */
  readonly credentials: secretsmanager.ISecret;

  /** The secret the App signs its webhook deliveries with: the text, or a JSON object `{ "secret": "..." }`. */
  readonly webhookSecret: secretsmanager.ISecret;
}

const SETUP_KEYS = keysOf<GitHubAppSetupOptions>({ apiUrl: true, webUrl: true, organization: true });
const SECRETS_KEYS = keysOf<GitHubAppSecretsOptions>({ apiUrl: true, webUrl: true, credentials: true, webhookSecret: true });

/**
 * The GitHub App Trellis acts as: webhooks from every repository it is installed on, a clone
 * token per build for exactly its repository, commit statuses and GitHub deployments for every
 * deployed commit, and sign in with GitHub (`DashboardIdentity.gitHub`). Without one, Trellis uses the
 * installation's webhook secret and personal access token (`trellis/<installationName>/github-token`).
 *
 * @example
 * new TrellisPipeline(stack, 'Trellis', {
 *   github: GitHubApp.fromSetupPage({ organization: 'acme' }),
 *   applications: [{ name: 'shop', repository: 'acme/shop' }],
 * });
 */
export class GitHubApp {
  /**
   * The dashboard's setup page (`#/setup`, admins) creates the App through GitHub's app-manifest
   * flow, with the permissions and webhook URL Trellis needs, and stores its credentials as
   * `trellis/<installationName>/github-app` and `trellis/<installationName>/github-app-webhook-secret`.
   * Then install it on your repositories from the same page.
   *
   * @example
   * const github = GitHubApp.fromSetupPage({ organization: 'acme' });
   */
  public static fromSetupPage(options: GitHubAppSetupOptions = {}): GitHubApp {
    const issues = [
      ...unknownKeys(options, SETUP_KEYS),
      ...githubEndpointIssues(options),
      ...options.organization === undefined ? [] : organizationIssues(options.organization, 'organization'),
    ];
    if (issues.length > 0) throw optionsError('GitHubApp.fromSetupPage', issues);
    return new GitHubApp(options, (scope, installationName, endpoints) => setupPageApp(scope, installationName, endpoints, options.organization));
  }

  /**
   * An App you made on GitHub yourself, its credentials and webhook secret stored by you. It needs
   * the repository permissions contents: read, statuses: write, deployments: write, metadata: read,
   * the organization permission members: read (sign in with GitHub), the events push and
   * pull_request, and the webhook URL of the pipeline (`WebhookIngest.url`).
   *
   * @example
   * const github = GitHubApp.fromSecrets({
   *   credentials: secretsmanager.Secret.fromSecretNameV2(stack, 'AppCredentials', 'github/trellis-app'),
   *   webhookSecret: secretsmanager.Secret.fromSecretNameV2(stack, 'AppWebhookSecret', 'github/trellis-app-webhook'),
   *   apiUrl: 'https://github.acme.com/api/v3',
   *   webUrl: 'https://github.acme.com',
   * });
   */
  public static fromSecrets(options: GitHubAppSecretsOptions): GitHubApp {
    const issues = [...unknownKeys(options, SECRETS_KEYS), ...githubEndpointIssues(options)];
    for (const key of ['credentials', 'webhookSecret'] as const) {
      const problem = secretProblem(options[key]);
      if (problem) issues.push({ path: key, message: problem });
    }
    if (issues.length > 0) throw optionsError('GitHubApp.fromSecrets', issues);
    return new GitHubApp(options, (_scope, _installationName, endpoints) => givenApp(endpoints, options.credentials, options.webhookSecret));
  }

  /** GitHub's REST API base URL. */
  public readonly apiUrl: string;
  /** GitHub's web address. */
  public readonly webUrl: string;
  private readonly binder: AppBinder;

  private constructor(options: GitHubAppOptions, binder: AppBinder) {
    this.apiUrl = withoutTrailingSlash(options.apiUrl ?? GITHUB_DOT_COM.apiUrl);
    this.webUrl = withoutTrailingSlash(options.webUrl ?? GITHUB_DOT_COM.webUrl);
    this.binder = binder;
  }

  /** @internal where the App's secrets are for one installation, and the grants on them */
  public _bind(scope: IConstruct, installationName: string): BoundGitHubApp {
    return this.binder(scope, installationName, { apiUrl: this.apiUrl, webUrl: this.webUrl });
  }
}

type AppBinder = (scope: IConstruct, installationName: string, endpoints: GitHubEndpoints) => BoundGitHubApp;

function unknownKeys(options: object, known: readonly string[]): ValidationIssue[] {
  return isPlainObject(options) ? unknownKeyIssues(options, known, '') : [];
}

/** Plain JavaScript callers can pass anything: an ARN string is not a secret. */
function secretProblem(secret: unknown): string | undefined {
  if (secret === undefined) return 'is required: a secretsmanager.ISecret';
  if (typeof (secret as Partial<secretsmanager.ISecret>)?.secretArn !== 'string') {
    return 'must be a secretsmanager.ISecret, such as secretsmanager.Secret.fromSecretCompleteArn(scope, id, arn)';
  }
  return undefined;
}

function withoutTrailingSlash(url: string): string {
  return url.replace(/\/+$/, '');
}
