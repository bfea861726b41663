'use strict';

/**
 * A jest reporter: at the end of a run, what the security and reliability suite found:
 * for each item (cdk-nag, cfn-lint, secrets scan, IAM review, hostile input,
 * load, faults), the cases tried, passed, failed and skipped, and its findings: the first
 * lines of each failed assertion, plus what tests chose to record with
 * test/security/support/findings.ts. Printed and written to test-reports/security-summary.txt.
 * Only items whose files ran are listed; nothing is printed when none ran.
 *
 * Plain CommonJS, so jest loads it without a build step.
 */

const fs = require('node:fs');
const path = require('node:path');

/** The folders of the suite, relative to jest's rootDir. */
const SUITE_DIRS = ['test/security/', 'test/reliability/'];
/** File-name prefix → item, in the order the summary lists them. */
const ITEMS = [
  ['cdk-nag', 'cdk-nag'],
  ['cfn-lint', 'cfn-lint'],
  ['secrets-scan', 'secrets scan'],
  ['template-secrets', 'secrets scan'],
  ['iam', 'IAM review'],
  ['hostile', 'hostile input'],
  ['local-load', 'load'],
  ['load', 'load'],
  ['faults', 'faults'],
];
const ORDER = [...new Set(ITEMS.map(([, item]) => item))];
/** Where findings.ts writes, relative to rootDir (keep in step with findings.ts). */
const FINDINGS_FILE = 'test-reports/security-findings.jsonl';
const SUMMARY_FILE = 'test-reports/security-summary.txt';
const MAX_FINDING = 300;

/** The item a test file belongs to, from its name; its own base name when none matches. */
function itemOf(file) {
  const base = path.basename(file).replace(/\.(test|spec)\.[jt]sx?$/, '');
  const match = ITEMS.find(([prefix]) => base === prefix || base.startsWith(`${prefix}-`) || base.startsWith(`${prefix}.`));
  return match ? match[1] : base;
}

/** The path of `file` relative to rootDir with forward slashes, when it is a file of the suite; else undefined. */
function suitePath(rootDir, file) {
  const relative = path.relative(rootDir, file).split(path.sep).join('/');
  return SUITE_DIRS.some(dir => relative.startsWith(dir)) ? relative : undefined;
}

const ANSI = /\u001b\[[0-9;]*m/g;

/**
 * The first line of a failure, and for jest's generic `expect(...)` line the next two lines
 * too (they say what was expected and received). One line, at most MAX_FINDING characters.
 */
function firstLines(message) {
  const lines = String(message).replace(ANSI, '').split('\n').map(line => line.trim()).filter(line => line && !line.startsWith('at '));
  if (lines.length === 0) return '(no message)';
  const head = /^(Error: )?expect\(/.test(lines[0]) ? lines.slice(0, 3) : lines.slice(0, 1);
  const text = head.join(' | ');
  return text.length > MAX_FINDING ? `${text.slice(0, MAX_FINDING - 1)}…` : text;
}

/** Lines of findings.ts's file: `{ item, text, severity }`; unreadable lines are reported as such. */
function readRecorded(file) {
  if (!fs.existsSync(file)) return [];
  return fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map(line => {
    try {
      const { item, text, severity } = JSON.parse(line);
      return { item: String(item), text: String(text), severity: severity === 'info' ? 'info' : 'finding' };
    } catch {
      return { item: 'summary', text: `unreadable finding line: ${line.slice(0, 100)}`, severity: 'finding' };
    }
  });
}

/** Per item: counts and findings, from jest's aggregated results and the recorded findings. */
function summarize(rootDir, aggregated, recorded) {
  const items = new Map();
  const itemFor = name => {
    if (!items.has(name)) items.set(name, { item: name, files: 0, tried: 0, passed: 0, failed: 0, skipped: 0, findings: [] });
    return items.get(name);
  };
  for (const file of aggregated.testResults || []) {
    const relative = suitePath(rootDir, file.testFilePath);
    if (!relative) continue;
    const entry = itemFor(itemOf(relative));
    entry.files++;
    for (const test of file.testResults || []) {
      entry.tried++;
      if (test.status === 'passed') entry.passed++;
      else if (test.status === 'failed') {
        entry.failed++;
        const title = [...(test.ancestorTitles || []), test.title].join(' › ');
        entry.findings.push(`FAILED ${relative}: ${title}: ${firstLines((test.failureMessages || [])[0] || '')}`);
      } else entry.skipped++; // pending, skipped, todo, disabled
    }
    if (file.testExecError) entry.findings.push(`FAILED ${relative}: the file did not run: ${firstLines(file.testExecError.message || file.failureMessage || '')}`);
  }
  for (const finding of recorded) {
    itemFor(finding.item).findings.push(`${finding.severity === 'info' ? 'info' : 'FINDING'}: ${finding.text}`);
  }
  const rank = name => (ORDER.includes(name) ? ORDER.indexOf(name) : ORDER.length);
  return [...items.values()].sort((a, b) => rank(a.item) - rank(b.item) || a.item.localeCompare(b.item));
}

/** The summary as text; undefined when nothing of the suite ran. */
function format(entries) {
  if (entries.length === 0) return undefined;
  const columns = ['files', 'tried', 'passed', 'failed', 'skipped'];
  const total = { item: 'total', findings: [] };
  for (const column of columns) total[column] = entries.reduce((sum, entry) => sum + entry[column], 0);
  const width = Math.max(...entries.map(entry => entry.item.length), 'total'.length) + 2;
  const row = (name, values) => `${name.padEnd(width)}${values.map(value => String(value).padStart(8)).join('')}`;
  const lines = [
    'Security and reliability summary (test/security, test/reliability)',
    row('item', columns),
    ...entries.map(entry => row(entry.item, columns.map(column => entry[column]))),
    row('total', columns.map(column => total[column])),
    '',
    'Findings:',
  ];
  const withFindings = entries.filter(entry => entry.findings.length > 0);
  if (withFindings.length === 0) lines.push('  none');
  for (const entry of withFindings) {
    lines.push(`  ${entry.item}:`);
    for (const finding of entry.findings) lines.push(`    - ${finding}`);
  }
  return `${lines.join('\n')}\n`;
}

class SecuritySummaryReporter {
  /**
   * @param globalConfig jest's (rootDir is used)
   * @param options `findingsFile`, `summaryFile` (relative to rootDir or absolute), `write` (tests)
   */
  constructor(globalConfig, options = {}) {
    this.rootDir = globalConfig.rootDir;
    const resolve = file => path.resolve(this.rootDir, file);
    this.findingsFile = resolve(options.findingsFile || FINDINGS_FILE);
    this.summaryFile = resolve(options.summaryFile || SUMMARY_FILE);
    this.write = options.write || (text => process.stdout.write(text));
  }

  /** Findings of an earlier run must not be counted in this one. */
  onRunStart() {
    fs.rmSync(this.findingsFile, { force: true });
  }

  onRunComplete(_contexts, aggregated) {
    const text = format(summarize(this.rootDir, aggregated, readRecorded(this.findingsFile)));
    if (text === undefined) return;
    this.write(`\n${text}`);
    fs.mkdirSync(path.dirname(this.summaryFile), { recursive: true });
    fs.writeFileSync(this.summaryFile, text);
  }
}

module.exports = SecuritySummaryReporter;
module.exports.itemOf = itemOf;
module.exports.FINDINGS_FILE = FINDINGS_FILE;
