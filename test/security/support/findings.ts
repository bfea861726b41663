import { appendFileSync, mkdirSync } from 'fs';
import { dirname, join } from 'path';

/**
 * What a test of the security and reliability suite wants in the summary besides pass/fail
 * (test/support/security-summary-reporter.js prints it at the end of the run): a finding,
 * or an informational note such as how many cdk-nag rules are acknowledged.
 *
 * One JSON line per call, appended (jest's workers are separate processes; a short append
 * is one write). The reporter empties the file when a run starts.
 */

/** The reporter's FINDINGS_FILE, from the repository root. */
export const FINDINGS_FILE = join(__dirname, '..', '..', '..', 'test-reports', 'security-findings.jsonl');

export type FindingSeverity = 'finding' | 'info';

/**
 * @param item the summary's item: 'cdk-nag', 'cfn-lint', 'secrets scan', 'IAM review',
 *   'hostile input', 'load' or 'faults' (another name makes an item of its own)
 */
export function recordFinding(item: string, text: string, severity: FindingSeverity = 'finding', file = FINDINGS_FILE): void {
  mkdirSync(dirname(file), { recursive: true });
  appendFileSync(file, `${JSON.stringify({ item, text: text.replace(/\s+/g, ' ').trim(), severity })}\n`);
}
