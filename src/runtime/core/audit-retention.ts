/** How long the audit trail keeps an entry when the installation says nothing else. */
export const DEFAULT_AUDIT_RETENTION_DAYS = 365;
/** Ten years. */
export const MAX_AUDIT_RETENTION_DAYS = 3650;

/** Why `days` is no audit retention (whole days from one day to ten years), or undefined. */
export function auditRetentionProblem(days: number): string | undefined {
  return Number.isInteger(days) && days >= 1 && days <= MAX_AUDIT_RETENTION_DAYS
    ? undefined
    : `must be whole days from 1 day to 10 years (${MAX_AUDIT_RETENTION_DAYS} days), got ${days} days`;
}
