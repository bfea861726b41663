import { EnvironmentConfig } from '../runtime/core/types';

/** Deploy credentials for an environment, as environment variables for the deploy command. */
export interface CredentialSource {
  credentialsFor(env: EnvironmentConfig): Promise<Record<string, string>>;
}

export interface RoleCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
}

/** STS AssumeRole in the container, a fake in tests. */
export type AssumeRole = (roleArn: string, sessionName: string) => Promise<RoleCredentials>;

/**
 * Credentials from assuming the environment's deploy role. Without one, none: the deploy
 * runs with the task role (CDK assumes its bootstrap roles from it) or, locally, the user's.
 */
export class AssumeRoleCredentialSource implements CredentialSource {
  constructor(private readonly assumeRole: AssumeRole, private readonly sessionName: string) {}

  async credentialsFor(env: EnvironmentConfig): Promise<Record<string, string>> {
    if (!env.deployRoleArn) return {};
    const credentials = await this.assumeRole(env.deployRoleArn, this.sessionName);
    return {
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      AWS_SESSION_TOKEN: credentials.sessionToken,
    };
  }
}

/** A RoleSessionName (2-64 of [\w+=,.@-]) that names the deployment in CloudTrail. */
export function sessionNameFor(deploymentId: string | undefined): string {
  const id = (deploymentId ?? '').replace(/[^\w+=,.@-]/g, '').slice(0, 48);
  return `trellis-${id || 'build'}`;
}
