/**
 * Environment variable names of the Lambda functions, one object per function: the construct that
 * makes a function sets these, its handler reads them. (The log functions' are LOG_SETTINGS; the
 * build task the launcher and finalizer start is named by RUNNER_SETTINGS.)
 */
import { BUILD_SETTINGS } from './build-environment';

/** The state table's name: every function that reads or writes it. */
export const TABLE_NAME = 'TABLE_NAME';
/** The launch queue's URL. */
const QUEUE_URL = 'QUEUE_URL';
/** The installation's name: the Installation dimension of the metrics a function emits, the prefix of its secret names. */
const INSTALLATION = BUILD_SETTINGS.installation;

/** The custom resource that writes the code-defined applications into the table. */
export const CONFIG_SYNC_ENV = { tableName: TABLE_NAME } as const;

/** The GitHub webhook receiver. */
export const WEBHOOK_ENV = {
  tableName: TABLE_NAME,
  queueUrl: QUEUE_URL,
  /** The secret's ARN only: the handler reads the value at run time and caches it in memory. */
  webhookSecretArn: 'WEBHOOK_SECRET_ARN',
  installation: INSTALLATION,
} as const;

/**
 * Which JWTs a function that authenticates its callers itself accepts (the control API, the live
 * log socket; API tokens are checked against the table). authenticatorFromEnvironment reads them.
 */
export const AUTH_ENV = {
  /** JWT issuer (a Cognito user pool URL or any OIDC issuer); absent = every JWT refused. */
  issuer: 'AUTH_ISSUER',
  /** Accepted `aud` / `client_id` values, comma-separated. */
  audience: 'AUTH_AUDIENCE',
  /** JWKS URL; default `<issuer>/.well-known/jwks.json`. */
  jwksUrl: 'AUTH_JWKS_URL',
} as const;

/** The control API (its build runner settings, for cancel, are RUNNER_SETTINGS). */
export const CONTROL_API_ENV = {
  tableName: TABLE_NAME,
  queueUrl: QUEUE_URL,
  installation: INSTALLATION,
  /** The function verifies each request's JWT or API token itself (API Gateway's JWT authorizer cannot take API tokens). */
  authIssuer: AUTH_ENV.issuer,
  authAudience: AUTH_ENV.audience,
  authJwksUrl: AUTH_ENV.jwksUrl,
  /** The origins whose pages may call the API (CORS), space-separated. */
  dashboardOrigins: 'DASHBOARD_ORIGINS',
  /** How long audit trail entries are kept, in whole days (TrellisPipelineProps.auditRetention). */
  auditRetentionDays: 'AUDIT_RETENTION_DAYS',
} as const;

/** What the finalizer reads, and the launcher too (both start builds), beside RUNNER_SETTINGS. */
export const RUNNER_FUNCTION_ENV = { tableName: TABLE_NAME, installation: INSTALLATION } as const;

/** The launcher: a push whose order is not known yet goes back to its own queue, delayed. */
export const LAUNCHER_ENV = { ...RUNNER_FUNCTION_ENV, queueUrl: QUEUE_URL } as const;

/**
 * Where GitHub is and where the GitHub App's secrets are, for every function that acts as the App
 * (control API, webhook, repository-token, reporter). Each value is a secret's name or ARN; an
 * unset variable means no App (the personal-access-token path).
 */
export const GITHUB_ENV = {
  apiUrl: 'GITHUB_API_URL',
  webUrl: 'GITHUB_WEB_URL',
  /** JSON of GitHubAppCredentials. */
  appSecret: 'GITHUB_APP_SECRET',
  /** The App's webhook secret, plain text. */
  appWebhookSecret: 'GITHUB_APP_WEBHOOK_SECRET',
  /** Control API, setup page: the organization the manifest flow creates the App in; unset = the admin's own account. */
  organization: 'GITHUB_ORGANIZATION',
  /** `given` when the App's secrets are the user's own (GitHubApp.fromSecrets): the setup page neither creates nor replaces it. */
  appOrigin: 'GITHUB_APP_ORIGIN',
  /** Control API, setup page: the webhook endpoint's URL (the manifest's `hook_attributes.url`). */
  webhookUrl: 'GITHUB_WEBHOOK_URL',
  /** Control API, setup page: its own base URL (the manifest's `redirect_url` is `<url>/github/app-created`). */
  controlApiUrl: 'TRELLIS_API_URL',
} as const;

/**
 * The control API when the dashboard signs users in with GitHub (`DashboardIdentity.gitHub`); both
 * unset otherwise. The session signing key's name comes from the installation (secretNames).
 */
export const GITHUB_SIGN_IN_ENV = {
  /** The issuer of Trellis' session tokens: `<control API URL>/auth/github` (the one the verifiers accept). */
  issuer: 'GITHUB_SIGN_IN_ISSUER',
  /** JSON array of GitHubRoleMapping (`{ organization, team?, role, application? }`). */
  roles: 'GITHUB_SIGN_IN_ROLES',
} as const;

/** The repository-token function: GITHUB_ENV (not the webhook secret) and these. */
export const REPOSITORY_TOKEN_ENV = { tableName: TABLE_NAME, installation: INSTALLATION } as const;

/** The notifier (the table's stream): numbers each status change and sends it to the application's destinations. */
export const NOTIFIER_ENV = {
  tableName: TABLE_NAME,
  installation: INSTALLATION,
  /** The dashboard's URL: a notification's `deployment.url` is `<url>/#/deployments/<id>`. */
  dashboardUrl: 'DASHBOARD_URL',
} as const;

/** The GitHub reporter (the table's stream): GITHUB_ENV (not the webhook secret) and these. */
export const GITHUB_REPORTER_ENV = {
  tableName: TABLE_NAME,
  installation: INSTALLATION,
  /** The dashboard's URL (`https://<domain>`): commit statuses and GitHub deployments link to `<url>/#/deployments/<id>`. */
  dashboardUrl: 'DASHBOARD_URL',
} as const;
