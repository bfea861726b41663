import { randomBytes } from 'node:crypto';

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

/** A new audit entry's id: random, so two entries of one millisecond never collide. */
export function newAuditEntryId(): string {
  return randomBytes(8).toString('hex');
}

/** When an entry written at `at` expires (the table's TTL, epoch seconds). */
export function auditExpiresAt(at: Date, retentionDays = DEFAULT_AUDIT_RETENTION_DAYS): number {
  return Math.floor(at.getTime() / 1000) + retentionDays * 86_400;
}
