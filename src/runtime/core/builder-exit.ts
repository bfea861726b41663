/** Exit codes of the builder: the finalizer decides the status from these, never from log text. */
export const BUILDER_EXIT = {
  succeeded: 0,
  failed: 1,
  /** Parameters or configuration invalid: nothing was run. */
  invalid: 2,
  /** Deployed, but the health check failed: the finalizer fails it and rolls the environment back. */
  unhealthy: 3,
  /**
   * A push older than the deployed push of its branch (its commit is an ancestor of the deployed
   * one, found after the clone): nothing was deployed; the finalizer ends it `superseded`, the
   * clone phase's detail is the reason.
   */
  outdated: 4,
} as const;
