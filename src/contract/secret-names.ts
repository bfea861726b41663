/** Secrets Manager names of an installation; the build task may read only under its prefix. */
export const secretNames = {
  prefix: (installation: string) => `trellis/${installation}/`,
  githubToken: (installation: string) => `${secretNames.prefix(installation)}github-token`,
  environment: (installation: string, application: string, environment: string) => `${secretNames.prefix(installation)}${application}/${environment}`,
  /** The webhook secret WebhookIngest generates when it is given none. */
  webhook: (installation: string) => `${secretNames.prefix(installation)}github-webhook-secret`,
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
};
