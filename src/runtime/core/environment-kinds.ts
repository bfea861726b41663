import { EnvironmentKind } from './types';

/**
 * What an environment's kind gives it when it does not say: the DeploymentEnvironment factories,
 * configuration parsing (custom resource, local config file) and local mode's defaults are these.
 */

/** The standard kinds' default names (also their stage names), and development's default branch. */
export const STANDARD_KINDS: Readonly<Record<Exclude<EnvironmentKind, 'custom'>, { readonly name: string; readonly branch?: string }>> = {
  development: { name: 'dev', branch: 'main' },
  staging: { name: 'staging' },
  production: { name: 'production' },
};

/** An application's environments when it lists none, in promotion order. */
export const DEFAULT_ENVIRONMENT_KINDS = ['development', 'staging', 'production'] as const;

/** The standard kind's defaults of name and branch; none for custom or an unknown kind. */
export function standardKindDefaults(kind: unknown): { readonly name: string; readonly branch?: string } | undefined {
  return typeof kind === 'string' && Object.prototype.hasOwnProperty.call(STANDARD_KINDS, kind)
    ? STANDARD_KINDS[kind as keyof typeof STANDARD_KINDS]
    : undefined;
}

/**
 * The switches an environment does not set: production never deploys on push, skips the tests
 * (a promoted commit passed them before) and is protected; the others deploy on push when they
 * track a branch.
 */
export function kindSwitchDefaults(kind: string, branch: string | undefined): { autoDeploy: boolean; runTests: boolean; protected: boolean } {
  const production = kind === 'production';
  return { autoDeploy: !production && branch !== undefined, runTests: !production, protected: production };
}
