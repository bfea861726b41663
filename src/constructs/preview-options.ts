/** What a pull request from a fork gets. */
export enum PreviewForkPolicy {
  /**
   * A preview whose builds get no secret, and each new commit waits until a deployer approves it
   * on the dashboard (or `POST /api/apps/{app}/environments/pr-<n>/approve`).
   */
  APPROVE = 'approve',
  /** No preview. */
  IGNORE = 'ignore',
}

/**
 * Pull-request previews: a pull request into a branch one of the application's environments
 * tracks gets an environment of its own, `pr-<number>`, deployed at each push to it and torn
 * down when it closes. The dashboard can switch previews off and on (admins).
 */
export interface PreviewOptions {
  /**
   * The environment whose settings previews copy (variables, test command, framework, deploy
   * role, account and region); previews of the repository's own branches read its secrets too.
   * Not a production environment.
   */
  readonly from: string;

  /**
   * Pull requests from forks.
   * @default PreviewForkPolicy.APPROVE
   */
  readonly forks?: PreviewForkPolicy;

  /**
   * Open previews at most (1 to 50); the next pull request gets none until one closes, and the
   * webhook's answer and the audit trail say so.
   * @default 3
   */
  readonly maxConcurrent?: number;
}
