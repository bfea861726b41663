import { AUDIT_ACTIONS, AUDIT_ACTION_LABELS, auditDeployment, auditExportFileName, auditOutcome } from '../../src/dashboard/audit';
import {
  applicationScope, argvToText, commandLineProblem, commitUrl, customCommands, deploySource, duration, shortSha, textToArgv, triggerText,
} from '../../src/dashboard/format';
import { toLogLine } from '../../src/dashboard/log-lines';
import { administeredApplications, administers, administersAnyApplication, isInstallationAdmin } from '../../src/dashboard/roles';
import { href, parseRoute } from '../../src/dashboard/routes';
import { AuditAction, AuditEntryView } from '../../src/runtime/core/api-types';
import { formatPhaseMarker } from '../../src/runtime/core/phase-markers';
import { Deployment, PhaseRecord, Trigger } from '../../src/runtime/core/types';
import { queuedDeployment } from '../store/fixtures';

describe('dashboard formatting', () => {
  test('test commands edit as one line and come back as the same argument vector', () => {
    const argv = ['npm', 'run', 'test ci', '--', '--grep="a b"', ''];
    expect(textToArgv(argvToText(argv))).toEqual(argv);
    expect(textToArgv('  npx  jest \'two words\' "say \\"hi\\""  ')).toEqual(['npx', 'jest', 'two words', 'say "hi"']);
  });

  test('durations, shas and commit links', () => {
    expect(duration(850)).toBe('850 ms');
    expect(duration(12_340)).toBe('12.3 s');
    expect(duration(245_000)).toBe('4 min 05 s');
    expect(duration(3_720_000)).toBe('1 h 02 min');
    expect(duration(undefined)).toBe('–');
    expect(shortSha('0123456789abcdef0123456789abcdef01234567')).toBe('0123456');
    expect(commitUrl('acme/shop', 'abc1234')).toBe('https://github.com/acme/shop/commit/abc1234');
    expect(commitUrl('/srv/git/shop', 'abc1234')).toBeUndefined();
    expect(commitUrl('local/sample-app', 'abc1234')).toBeUndefined(); // local mode's repositories have no GitHub page
  });

  test('a rollback or promotion is labelled from its fetch-artifact phase: from artifact, or rebuild with the reason', () => {
    const fetch = (outcome: PhaseRecord['outcome'], detail: string): PhaseRecord[] => [{ phase: 'fetch-artifact', startedAt: '2026-01-01T00:00:00.000Z', outcome, detail }];
    const rollback = (phases?: PhaseRecord[]) => queuedDeployment('d1', 'shop', 'dev', { action: 'rollback', phases });
    expect(deploySource(rollback(fetch('succeeded', 'from artifact d0 (cdk, 1.0 MB)')))).toEqual({ label: 'from artifact', detail: 'from artifact d0 (cdk, 1.0 MB)' });
    expect(deploySource({ ...rollback(fetch('skipped', 'rebuild: no artifact stored for d0')), action: 'promote' }))
      .toEqual({ label: 'rebuild', detail: 'rebuild: no artifact stored for d0' });
    // Not decided yet, or a build without artifact storage: no label.
    expect(deploySource(rollback(fetch('running', '')))).toBeUndefined();
    expect(deploySource(rollback())).toBeUndefined();
    expect(deploySource({ ...rollback(fetch('succeeded', 'x')), action: 'deploy' })).toBeUndefined();
  });

  test('triggers read as who or what asked; the automatic rollback is Trellis\'s own', () => {
    const of = (trigger: Trigger) => triggerText({ trigger } as Deployment);
    expect(of({ kind: 'push', actor: 'octocat' })).toBe('push by octocat');
    expect(of({ kind: 'rollback', actor: 'dora', sourceDeploymentId: 'x' })).toBe('rollback by dora');
    expect(of({ kind: 'auto-rollback', actor: 'trellis', sourceDeploymentId: 'x' })).toBe('automatic rollback');
    expect(of({ kind: 'pull_request' })).toBe('pull request');
    expect(of({ kind: 'constructor' as Trigger['kind'], actor: 'eve' })).toBe('constructor by eve');
  });

  test('routes round-trip through their links, names with slashes and spaces included', () => {
    expect(parseRoute('')).toEqual({ page: 'apps' });
    expect(parseRoute(href.app('my shop'))).toEqual({ page: 'app', app: 'my shop' });
    expect(parseRoute(href.history('shop', 'dev/eu'))).toEqual({ page: 'history', app: 'shop', env: 'dev/eu' });
    expect(parseRoute(href.deployment('20261123T121310123Z-1a2b3c4d'))).toEqual({ page: 'deployment', id: '20261123T121310123Z-1a2b3c4d' });
    expect(parseRoute(href.tokens())).toEqual({ page: 'tokens' });
    expect(parseRoute('#/tokens/x')).toEqual({ page: 'not-found', path: '/tokens/x' });
    expect(parseRoute('#/nowhere/at/all')).toEqual({ page: 'not-found', path: '/nowhere/at/all' });
    // The audit page keeps its filters in the address; an unknown action or an empty value is no filter.
    expect(href.audit('my shop')).toBe('#/apps/my%20shop/audit');
    const filters = { action: 'settings' as const, environment: 'dev/eu', actor: 'token ci' };
    expect(parseRoute(href.audit('my shop', filters))).toEqual({ page: 'audit', app: 'my shop', filters });
    expect(parseRoute('#/apps/shop/audit?action=drop-tables&environment=&actor=ada')).toEqual({ page: 'audit', app: 'shop', filters: { actor: 'ada' } });
    // The installation's own trail is `*`'s, at #/audit.
    expect(href.audit('*', { action: 'github-app' })).toBe('#/audit?action=github-app');
    expect(parseRoute(href.audit('*', { action: 'github-app' }))).toEqual({ page: 'audit', app: '*', filters: { action: 'github-app' } });
    expect(parseRoute('#/audit')).toEqual({ page: 'audit', app: '*', filters: {} });
  });

  test('who manages API tokens, for which applications: admins, of what they administer', () => {
    const me = (...grants: Array<[string, 'viewer' | 'deployer' | 'admin']>) => ({ subject: 's', name: 'n', grants: grants.map(([application, role]) => ({ application, role })) });
    const apps = ['shop', 'docs', 'web'];
    expect(administeredApplications(me(['*', 'admin']), apps)).toEqual(apps);
    expect(administeredApplications(me(['shop', 'admin'], ['*', 'deployer'], ['docs', 'viewer']), apps)).toEqual(['shop']);
    expect(administeredApplications(undefined, apps)).toEqual([]);
    expect(administersAnyApplication(me(['shop', 'admin']))).toBe(true);
    expect(administersAnyApplication(me(['*', 'deployer']))).toBe(false);
    // The audit trail's link: admins of that application.
    expect([administers(me(['shop', 'admin']), 'shop'), administers(me(['shop', 'admin']), 'docs'), administers(me(['*', 'admin']), 'docs')]).toEqual([true, false, true]);
    expect(administers(undefined, 'shop')).toBe(false);
    // Tokens for every application: only an admin of all of them.
    expect(isInstallationAdmin(me(['shop', 'admin']))).toBe(false);
    expect([applicationScope('*'), applicationScope('shop')]).toEqual(['all applications', 'shop']);
  });

  test('log lines: colours stripped, phase markers shown as headings, search text the same length', () => {
    expect(toLogLine({ seq: 0, at: '', stream: 'stdout', text: '\u001b[32mok\u001b[0m done' }).text).toBe('ok done');
    const end = formatPhaseMarker({ phase: 'deploy', event: 'end', at: '2026-01-01T00:00:00.000Z', outcome: 'failed', durationMs: 1500, detail: 'exit 2' });
    expect(toLogLine({ seq: 1, at: '', stream: 'system', text: end })).toMatchObject({ text: '■ deploy failed in 1.5 s — exit 2', marker: true });
    // A forged marker on stdout stays plain text.
    expect(toLogLine({ seq: 2, at: '', stream: 'stdout', text: end }).marker).toBe(false);
    const turkish = toLogLine({ seq: 3, at: '', stream: 'stdout', text: 'İstanbul' });
    expect(turkish.lower.length).toBe(turkish.text.length);
  });
});

describe('the audit trail', () => {
  const entry = (action: AuditAction, target?: string, deploymentId?: string): AuditEntryView => ({
    id: 'e1', at: '2026-12-06T10:00:00.000Z', actor: 'ada', subject: 'local:ada', action, application: 'shop', target, result: { status: 202, deploymentId },
  });

  test('outcomes by status; the deployment an entry links to', () => {
    expect([200, 202, 400, 403, 409, 500, 503].map(auditOutcome)).toEqual(['done', 'done', 'refused', 'refused', 'refused', 'failed', 'failed']);
    expect(auditDeployment(entry('cancel', 'd-cancelled'))).toBe('d-cancelled');
    expect(auditDeployment(entry('rollback', 'd-old', 'd-new'))).toBe('d-old');
    expect(auditDeployment(entry('deploy', undefined, 'd-queued'))).toBe('d-queued');
    // A token's id is not a deployment.
    expect(auditDeployment(entry('revoke-token', 'abc123'))).toBeUndefined();
  });

  test('every action is in the filter; the export is named after the application and the day', () => {
    expect(AUDIT_ACTIONS).toContain('settings');
    expect(new Set(AUDIT_ACTIONS).size).toBe(Object.keys(AUDIT_ACTION_LABELS).length);
    expect(auditExportFileName('shop', new Date('2026-12-06T23:59:00Z'))).toBe('audit-shop-2026-12-06.jsonl');
    expect(auditExportFileName('../we b', new Date('2026-12-06T00:00:00Z'))).toBe('audit-.._we_b-2026-12-06.jsonl');
    expect(auditExportFileName('*', new Date('2026-12-06T00:00:00Z'))).toBe('audit-installation-2026-12-06.jsonl');
  });
});

describe('commandLineProblem: a command runs without a shell', () => {
  test.each([
    ['npm run deploy && echo done', '&&'],
    ['make deploy > out.txt', '>'],
    ['make deploy 2>&1', '2>&1'],
    ['cat a | grep b', '|'],
    ['deploy; remove', 'deploy;'],
    ['echo $(whoami)', '$(whoami)'],
    ['echo `id`', '`id`'],
  ])('%s is refused, naming %s', (line, syntax) => {
    expect(commandLineProblem('The deploy command', line)).toBe(`The deploy command runs without a shell, so '${syntax}' would reach the command as an argument: `
      + 'put the line in a script (a package.json script, a Makefile target) and give that');
  });

  test.each(['npm run deploy', 'make deploy STAGE=dev', 'node -e "console.log(1 && 2)"', "echo '>'", ''])('%s passes', line => {
    expect(commandLineProblem('The deploy command', line)).toBeUndefined();
  });

  test('an unclosed quote is named', () => {
    expect(commandLineProblem('The remove command', "echo 'bye")).toBe('The remove command: a quote is not closed');
  });

  test('custom commands become argument vectors; no deploy command, no framework', () => {
    expect(customCommands('npm run deploy', 'npm run "re move"')).toEqual({ kind: 'custom', deploy: ['npm', 'run', 'deploy'], remove: ['npm', 'run', 're move'] });
    expect(customCommands('make deploy', ' ')).toEqual({ kind: 'custom', deploy: ['make', 'deploy'] });
    expect(customCommands('', 'make remove')).toBeUndefined();
  });
});
