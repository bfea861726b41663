/** Secrets Manager names of an installation; the build task may read only under its prefix. */
export const secretNames = {
  prefix: (installation: string) => `trellis/${installation}/`,
  githubToken: (installation: string) => `${secretNames.prefix(installation)}github-token`,
  environment: (installation: string, application: string, environment: string) => `${secretNames.prefix(installation)}${application}/${environment}`,
  /** The webhook secret WebhookIngest generates when it is given none. */
  webhook: (installation: string) => `${secretNames.prefix(installation)}github-webhook-secret`,
  /** The GitHub App's credentials (JSON of GitHubAppCredentials) the dashboard's setup page stores. */
  githubApp: (installation: string) => `${secretNames.prefix(installation)}github-app`,
  /** The GitHub App's webhook secret (plain text) the setup page stores; the webhook accepts it beside `webhook`. */
  githubAppWebhook: (installation: string) => `${secretNames.prefix(installation)}github-app-webhook-secret`,
  /** The RSA key (PEM) Trellis signs its own session tokens with after a GitHub sign-in. */
  sessionSigningKey: (installation: string) => `${secretNames.prefix(installation)}session-signing-key`,
};

/**
 * A secret's name as an IAM policy's resource pattern (the resource name of its ARN): Secrets
 * Manager appends `-` and 6 random characters to a secret's name in its ARN.
 */
function named(name: string): string {
  return `${name}-??????`;
}

/** The resource names of an installation's secrets in IAM policies (constructs/private/secret-arn.ts makes them ARNs). */
export const secretPolicyNames = {
  githubToken: (installation: string) => named(secretNames.githubToken(installation)),
  environment: (installation: string, application: string, environment: string) =>
    named(secretNames.environment(installation, application, environment)),
  /** Every environment secret (`<prefix><application>/<environment>`), also those not created yet. */
  environments: (installation: string) => `${secretNames.prefix(installation)}*/*`,
  githubApp: (installation: string) => named(secretNames.githubApp(installation)),
  githubAppWebhook: (installation: string) => named(secretNames.githubAppWebhook(installation)),
  sessionSigningKey: (installation: string) => named(secretNames.sessionSigningKey(installation)),
};
