import * as cognito from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';
import { ValidationIssue } from '../../runtime/core/errors';
import { GitHubRoleMapping } from '../../runtime/core/github-role-mapping';

/** What an identity needs to know about the dashboard it signs users in to. */
export interface IdentityContext {
  readonly installationName: string;
  /** The dashboard's URL (`https://<domain>`), without a trailing slash. */
  readonly url: string;
  /** Extra sign-in and sign-out redirect URLs (local development). */
  readonly callbackUrls: string[];
  /** The control API's URL (`https://<api id>.execute-api...`), without a trailing slash. */
  readonly apiUrl: string;
  /** Whether the installation has a GitHub App (sign in with GitHub goes through it). */
  readonly hasGitHubApp: boolean;
  /** Throws the dashboard's validation error. */
  readonly fail: (issues: ValidationIssue[]) => never;
}

/** An identity, bound to one dashboard: where users sign in and which tokens the APIs accept. */
export interface BoundIdentity {
  readonly issuer: string;
  readonly audiences: string[];
  readonly jwksUrl?: string;
  readonly clientId: string;
  readonly authorizeUrl: string;
  readonly tokenUrl: string;
  readonly logoutUrl?: string;
  readonly scopes: string[];
  readonly userPool?: cognito.IUserPool;
  readonly userPoolClient?: cognito.IUserPoolClient;
  /** Sign in with GitHub: the control API issues the tokens, with roles from these mappings. */
  readonly gitHubRoles?: readonly GitHubRoleMapping[];
}

/** Creates what an identity needs for one dashboard, in `scope`. */
export type IdentityBinder = (scope: Construct, context: IdentityContext) => BoundIdentity;
