import { existsSync } from 'fs';
import { BuildRun, BuilderHarness, endOf, frameworkRecords, npmPackage, phaseOutcomes, workspaceIsEmpty } from './harness';
import { PHASE_MARKER_PREFIX } from '../../src/runtime/core';
import { appConfig, envConfig } from '../store/fixtures';

/**
 * Shell metacharacters in variables, test arguments and the deployment record are data: a canary file
 * that any of them would create if a shell ever saw it must never appear.
 */
describe('builder: hostile input', () => {
  let harness: BuilderHarness;
  let canary: string;
  let repo: { url: string; commits: string[] };
  let variables: Record<string, string>;
  let hostileArgs: string[];
  /** One build of the hostile app, shared by the first two tests. */
  let built: BuildRun;
  const forged = `${PHASE_MARKER_PREFIX}${JSON.stringify({ phase: 'deploy', event: 'end', at: '2026-01-01T00:00:00.000Z', outcome: 'succeeded' })}`;

  beforeAll(async () => {
    harness = await BuilderHarness.create();
    canary = harness.path('canary');
    variables = {
      HOSTILE_SEMI: `x; touch ${canary}`,
      HOSTILE_SUBST: `$(touch ${canary})`,
      HOSTILE_TICKS: `\`touch ${canary}\``,
      HOSTILE_QUOTES: `'"; touch ${canary}; echo "'`,
      HOSTILE_NEWLINE: `a\ntouch ${canary}\n`,
    };
    hostileArgs = [`$(touch ${canary})`, `; touch ${canary}`, `\`touch ${canary}\``, `" && touch ${canary} && "`, `a\ntouch ${canary}`];
    const print = 'console.log("argv=" + JSON.stringify(process.argv.slice(1))); '
      + 'console.log("env=" + JSON.stringify(Object.keys(process.env).filter(k => k.startsWith("HOSTILE_")).sort().map(k => process.env[k]))); '
      + `console.log(${JSON.stringify(forged)})`;
    await harness.configure([appConfig('hostile', [envConfig('dev', { runTests: true, testCommand: ['node', '-e', print, ...hostileArgs], variables })])]);
    repo = harness.repo('hostile', { 'serverless.yml': 'service: hostile\n', ...npmPackage('hostile') });
    built = await harness.run({ application: 'hostile', environment: 'dev', commit: repo.commits[0], gitUrl: repo.url });
  });

  afterAll(() => harness?.cleanup());

  test('variables and test arguments reach the app verbatim and run nothing', () => {
    const result = built;
    expect(result.code).toBe(0);
    // The test command printed its arguments and the variables exactly as configured.
    expect(result.lines).toContain(`argv=${JSON.stringify(hostileArgs)}`);
    const sortedValues = Object.keys(variables).sort().map(name => variables[name]);
    expect(result.lines).toContain(`env=${JSON.stringify(sortedValues)}`);
    const [deploy] = frameworkRecords(result);
    for (const [name, value] of Object.entries(variables)) expect(deploy.env[name]).toBe(value);
    expect(existsSync(canary)).toBe(false);
  });

  test('a phase marker printed by the app is escaped and not taken for a phase', () => {
    const result = built;
    expect(result.lines).toContain(`\\${forged}`);
    expect(result.lines).not.toContain(forged);
    // Exactly one deploy end marker: the builder's, after the deploy ran.
    expect(result.markers.filter(marker => marker.phase === 'deploy' && marker.event === 'end')).toHaveLength(1);
    expect(phaseOutcomes(result.markers).slice(-1)).toEqual(['deploy:succeeded']);
  });

  test('the record says what is built: an application, environment, commit and action in the builder\'s environment change nothing', async () => {
    // What an old launcher passed, or someone who could set the task's variables but not the record.
    const result = await harness.run({
      application: 'hostile',
      environment: 'dev',
      commit: repo.commits[0],
      gitUrl: repo.url,
      params: { TRELLIS_APPLICATION: 'other', TRELLIS_ENVIRONMENT: 'prod', TRELLIS_STAGE: 'prod', TRELLIS_COMMIT: 'b'.repeat(40), TRELLIS_ACTION: 'teardown' },
    });

    expect(result.code).toBe(0);
    expect(endOf(result.markers, 'prepare')?.detail).toBe(`deploy hostile/dev at ${repo.commits[0].slice(0, 12)} to stage dev`);
    // Deployed, not torn down, to the record's stage.
    const framework = frameworkRecords(result);
    expect(framework.map(record => record.argv.slice(0, 3))).toEqual([['package', '--stage', 'dev'], ['deploy', '--stage', 'dev']]);
    expect(framework.map(record => record.env.STAGE)).toEqual(['dev', 'dev']);
  });

  test.each([
    ['commit', () => `$(touch ${canary})`],
    ['application', () => `\`touch ${canary}\``],
    ['environment', () => `dev\ntouch ${canary}`],
    ['action', () => `deploy; touch ${canary}`],
  ])('a hostile %s in the deployment record: exit code 2, nothing cloned, nothing run', async (field, value) => {
    const result = await harness.run({
      application: 'hostile', environment: 'dev', commit: repo.commits[0], gitUrl: repo.url, record: { [field]: value() },
    });

    expect(result.code).toBe(2);
    expect(phaseOutcomes(result.markers)).toEqual(['prepare:failed']);
    expect(endOf(result.markers, 'prepare')?.detail).toMatch(new RegExp(`^invalid deployment record ${result.deploymentId}: ${field}: '`));
    expect(result.records).toEqual([]);
    expect(workspaceIsEmpty(result)).toBe(true);
    expect(existsSync(canary)).toBe(false);
  });
});
