import { SESSION_TAGS } from '../contract/session-tags';
import { EnvironmentConfig } from '../runtime/core/types';

/** Deploy credentials for an application's environment (as its deployment record names them), as environment variables for the deploy command. */
export interface CredentialSource {
  credentialsFor(env: EnvironmentConfig, application: string): Promise<Record<string, string>>;
}

export interface RoleCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
}

/** STS AssumeRole in the container (with session tags), a fake in tests. */
export type AssumeRole = (roleArn: string, sessionName: string, tags: Readonly<Record<string, string>>) => Promise<RoleCredentials>;

/** Who is asking: the session's name and the installation its tags name. */
export interface BuildSession {
  /** sessionNameFor(deployment id). */
  readonly name: string;
  readonly installation: string;
}

/**
 * Credentials from assuming the environment's deploy role, its session tagged with the
 * application, environment and installation (SESSION_TAGS), which the environment's build role
 * may set to these values only: a trust policy that requires them admits only this
 * environment's builds. Without a deploy role, none: the deploy runs with the environment's
 * build role (CDK assumes its bootstrap roles from it) or, locally, the user's.
 */
export class AssumeRoleCredentialSource implements CredentialSource {
  constructor(private readonly assumeRole: AssumeRole, private readonly session: BuildSession) {}

  async credentialsFor(env: EnvironmentConfig, application: string): Promise<Record<string, string>> {
    if (!env.deployRoleArn) return {};
    const credentials = await this.assumeRole(env.deployRoleArn, this.session.name, sessionTags(this.session, application, env));
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

/** The deploy role session's tags: what a production deploy role's trust policy can require. */
export function sessionTags(session: BuildSession, application: string, env: EnvironmentConfig): Record<string, string> {
  return {
    [SESSION_TAGS.application]: application,
    [SESSION_TAGS.environment]: env.name,
    [SESSION_TAGS.installation]: session.installation,
  };
}
