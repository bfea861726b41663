import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { recordFinding } from './support/findings';

/**
 * The suite's summary reporter, fed what jest gives a reporter at the end of a run: an
 * aggregated result whose files hold their tests' statuses and failure messages.
 */

interface Reporter {
  onRunStart(): void;
  onRunComplete(contexts: unknown, aggregated: unknown): void;
}
interface ReporterModule {
  new (globalConfig: { rootDir: string }, options: Record<string, unknown>): Reporter;
  itemOf(file: string): string;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const SecuritySummaryReporter: ReporterModule = require('../support/security-summary-reporter');

const ROOT = '/repo';
const RED = '\u001b[31m';
const RESET = '\u001b[39m';

type Status = 'passed' | 'failed' | 'pending' | 'todo' | 'skipped';

/** A test file's result as jest reports it (the fields the reporter reads, and a few it does not). */
function fileResult(path: string, tests: Array<[string, Status, string?]>, testExecError?: { message: string }) {
  return {
    testFilePath: `${ROOT}/${path}`,
    numPassingTests: tests.filter(([, status]) => status === 'passed').length,
    numFailingTests: tests.filter(([, status]) => status === 'failed').length,
    numPendingTests: tests.filter(([, status]) => status === 'pending').length,
    testExecError,
    testResults: tests.map(([title, status, failure]) => ({
      ancestorTitles: ['suite'],
      title,
      fullName: `suite ${title}`,
      status,
      duration: 5,
      failureMessages: failure ? [failure] : [],
    })),
  };
}

const aggregated = (...files: Array<ReturnType<typeof fileResult>>) => ({
  numTotalTestSuites: files.length,
  numTotalTests: files.reduce((sum, file) => sum + file.testResults.length, 0),
  success: files.every(file => file.numFailingTests === 0),
  testResults: files,
});

let dir: string;
let printed: string;
let reporter: Reporter;
const findingsFile = () => join(dir, 'findings.jsonl');
const summaryFile = () => join(dir, 'out', 'security-summary.txt');

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'security-summary-'));
  printed = '';
  reporter = new SecuritySummaryReporter({ rootDir: ROOT }, {
    findingsFile: findingsFile(),
    summaryFile: summaryFile(),
    write: (text: string) => { printed += text; },
  });
  reporter.onRunStart();
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

test('counts cases per item and lists the first lines of failed assertions', () => {
  const failure = `${RED}Error: expect(received).toEqual(expected) // deep equality${RESET}\n\n- Expected  - 0\n+ Received  + 1\n\n    at Object.<anonymous> (test/security/secrets-scan-e2e.test.ts:300:5)`;
  reporter.onRunComplete(new Set(), aggregated(
    fileResult('test/security/secrets-scan-e2e.test.ts', [['api', 'passed'], ['table', 'failed', failure], ['ecs', 'passed']]),
    fileResult('test/security/template-secrets.test.ts', [['templates', 'passed'], ['later', 'todo']]),
    fileResult('test/security/cdk-nag.test.ts', [['nag', 'passed'], ['skipped one', 'pending']]),
    fileResult('test/reliability/local-load.test.ts', [['50 pushes', 'failed', 'Error: timed out waiting for 50 deployments\n    at waitFor']]),
    fileResult('test/api/reads.test.ts', [['not of the suite', 'failed', 'boom']]),
  ));

  expect(printed).toBe(`\n${readFileSync(summaryFile(), 'utf8')}`);
  const lines = printed.trim().split('\n');
  expect(lines[0]).toBe('Security and reliability summary (test/security, test/reliability)');
  const row = (item: string) => lines.find(line => line.startsWith(`${item} `))?.slice(item.length).trim().split(/\s+/).map(Number);
  // files, tried, passed, failed, skipped; secrets scan gathers both of its files.
  expect(row('cdk-nag')).toEqual([1, 2, 1, 0, 1]);
  expect(row('secrets scan')).toEqual([2, 5, 3, 1, 1]);
  expect(row('load')).toEqual([1, 1, 0, 1, 0]);
  expect(row('total')).toEqual([4, 8, 4, 2, 2]);
  expect(printed).not.toContain('reads');
  // Items in the order.
  expect(lines.findIndex(line => line.startsWith('cdk-nag'))).toBeLessThan(lines.findIndex(line => line.startsWith('secrets scan')));
  expect(lines.findIndex(line => line.startsWith('secrets scan'))).toBeLessThan(lines.findIndex(line => line.startsWith('load')));

  expect(printed).toContain('    - FAILED test/security/secrets-scan-e2e.test.ts: suite › table: Error: expect(received).toEqual(expected) // deep equality | - Expected  - 0 | + Received  + 1\n');
  expect(printed).toContain('    - FAILED test/reliability/local-load.test.ts: suite › 50 pushes: Error: timed out waiting for 50 deployments\n');
  expect(printed).not.toContain(RED);
});

test('adds what tests recorded, and forgets findings of an earlier run', () => {
  recordFinding('cdk-nag', 'earlier run: must not show', 'finding', findingsFile());
  reporter.onRunStart();
  expect(existsSync(findingsFile())).toBe(false);
  recordFinding('cdk-nag', '14 rules acknowledged\n with reasons', 'info', findingsFile());
  recordFinding('secrets scan', 'server.log line 3: SNTL_PLAIN (plain)', 'finding', findingsFile());

  reporter.onRunComplete(new Set(), aggregated(
    fileResult('test/security/cdk-nag.test.ts', [['nag', 'passed']]),
    fileResult('test/security/secrets-scan-e2e.test.ts', [['scan', 'passed']]),
  ));

  expect(printed).toContain('  cdk-nag:\n    - info: 14 rules acknowledged with reasons\n');
  expect(printed).toContain('  secrets scan:\n    - FINDING: server.log line 3: SNTL_PLAIN (plain)\n');
  expect(printed).not.toContain('earlier run');
});

test('a file that did not run is a finding; a clean run says none', () => {
  reporter.onRunComplete(new Set(), aggregated(
    fileResult('test/security/hostile-api.test.ts', [], { message: 'Cannot find module ./support/hostile\n  at require' }),
  ));
  expect(printed).toContain('hostile input');
  expect(printed).toContain('    - FAILED test/security/hostile-api.test.ts: the file did not run: Cannot find module ./support/hostile\n');

  printed = '';
  reporter.onRunComplete(new Set(), aggregated(fileResult('test/reliability/faults-launcher.test.ts', [['retries', 'passed']])));
  expect(printed).toContain('Findings:\n  none\n');
  expect(printed).not.toContain('hostile');
});

test('prints and writes nothing when no file of the suite ran', () => {
  reporter.onRunComplete(new Set(), aggregated(fileResult('test/api/reads.test.ts', [['read', 'passed']])));
  expect(printed).toBe('');
  expect(existsSync(summaryFile())).toBe(false);
});

test.each([
  ['test/security/cdk-nag.test.ts', 'cdk-nag'],
  ['test/security/cfn-lint.test.ts', 'cfn-lint'],
  ['test/security/secrets-scan-e2e.test.ts', 'secrets scan'],
  ['test/security/template-secrets.test.ts', 'secrets scan'],
  ['test/security/iam-review.test.ts', 'IAM review'],
  ['test/security/hostile-webhook.test.ts', 'hostile input'],
  ['test/reliability/local-load.test.ts', 'load'],
  ['test/reliability/faults-ecs-events.test.ts', 'faults'],
  ['test/security/summary-reporter.test.ts', 'summary-reporter'],
])('%s belongs to %s', (file, item) => {
  expect(SecuritySummaryReporter.itemOf(file)).toBe(item);
});

test('a line of the findings file that is not JSON is reported, not dropped', () => {
  writeFileSync(findingsFile(), '{"item":"faults","text":"ok","severity":"info"}\nnot json\n');
  reporter.onRunComplete(new Set(), aggregated(fileResult('test/reliability/faults-launcher.test.ts', [['retries', 'passed']])));
  expect(printed).toContain('    - info: ok\n');
  expect(printed).toContain('  summary:\n    - FINDING: unreadable finding line: not json\n');
});
