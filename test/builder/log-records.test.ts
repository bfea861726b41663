import { BuildRun, BuilderHarness, frameworkRecords, npmPackage, phaseOutcomes } from './harness';
import { BUILD_PARAMETERS, BUILD_SETTINGS } from '../../src/contract/build-environment';
import { MAX_LIVE_BATCH, PHASE_MARKER_PREFIX, isDeploymentId, isRecord, parsePhaseMarker } from '../../src/runtime/core';
import { appConfig, envConfig } from '../store/fixtures';

/**
 * The builder's log as LogStream receives it: every stdout line a numbered record (the
 * archive path), the same records in live batches to the ingest function (a fake that
 * appends to a file), phase markers on the 'system' stream.
 */
describe('builder: log records', () => {
  let harness: BuilderHarness;
  let repo: { url: string; commits: string[] };
  const forged = `${PHASE_MARKER_PREFIX}${JSON.stringify({ phase: 'test', event: 'end', at: '2026-01-01T00:00:00.000Z', outcome: 'succeeded' })}`;
  const run = (params?: Record<string, string | undefined>) => harness.run({
    application: 'api', environment: 'dev', commit: repo.commits[0], gitUrl: repo.url, params,
  });

  beforeAll(async () => {
    harness = await BuilderHarness.create();
    const tests = 'console.error("a warning from the tests"); '
      + `console.log(${JSON.stringify(forged)}); `
      + 'for (let i = 0; i < 1500; i++) console.log("test line " + i); console.log("tests passed")';
    await harness.configure([appConfig('api', [envConfig('dev', { runTests: true, testCommand: ['node', '-e', tests] })])]);
    repo = harness.repo('api', { 'serverless.yml': 'service: api\n', ...npmPackage('api') });
  });

  afterAll(() => harness?.cleanup());

  /** Every stdout line is a well-formed record of one deployment, seq 0..n-1 in order. */
  function expectGapFreeRecords(result: BuildRun): void {
    const printed = result.stdout.split('\n').filter(Boolean);
    expect(result.log).toHaveLength(printed.length);
    expect(result.log.map(({ record }) => record.seq)).toEqual(printed.map((_, index) => index));
    expect(result.log.every(({ record }) => isRecord(record))).toBe(true);
    expect(new Set(result.log.map(({ deploymentId }) => deploymentId)).size).toBe(1);
  }

  test('a build prints only records, gap-free from 0, with phase markers on the system stream', async () => {
    const result = await run();

    expect(result.code).toBe(0);
    expectGapFreeRecords(result);
    expect(isDeploymentId(result.log[0].deploymentId)).toBe(true);

    const system = result.log.filter(({ record }) => record.stream === 'system');
    expect(system.length).toBeGreaterThan(0);
    expect(system.every(({ record }) => parsePhaseMarker(record.text) !== undefined)).toBe(true);
    expect(result.log.filter(({ record }) => parsePhaseMarker(record.text) !== undefined)).toEqual(system);
    expect(phaseOutcomes(result.markers)).toEqual([
      'prepare:succeeded', 'clone:succeeded', 'detect:succeeded', 'install:succeeded', 'test:succeeded', 'build:succeeded', 'deploy:succeeded',
    ]);

    // The app's output keeps its stream; its forged marker is escaped ordinary output.
    const streamOf = (text: string) => result.log.find(({ record }) => record.text === text)?.record.stream;
    expect(streamOf('a warning from the tests')).toBe('stderr');
    expect(streamOf('tests passed')).toBe('stdout');
    expect(streamOf(`\\${forged}`)).toBe('stdout');
  });

  test('the live batches carry exactly the printed records, in seq order', async () => {
    const result = await run();

    expect(result.code).toBe(0);
    const deploymentId = result.log[0].deploymentId;
    expect(result.live.length).toBeGreaterThan(1);
    for (const batch of result.live) {
      // With the token the launcher gave this build, and only this build.
      expect(batch).toMatchObject({ kind: 'trellis-log-batch', deploymentId, ingestToken: expect.stringMatching(/^ingest-token-\d+$/) });
      expect(batch.records.length).toBeGreaterThan(0);
      expect(batch.records.length).toBeLessThanOrEqual(MAX_LIVE_BATCH);
    }
    expect(result.live.flatMap(batch => batch.records)).toEqual(result.log.map(({ record }) => record));
    // The ingest function's name and the ingest token are the builder's, not the app's.
    expect(JSON.stringify(frameworkRecords(result))).not.toContain(result.live[0].ingestToken!);
    const [deploy] = frameworkRecords(result);
    expect(deploy.trellisKeys).toEqual(['TRELLIS_STAGE', 'TRELLIS_COMMIT']);
  });

  test('a live path that fails does not fail the build; the archive still has every line', async () => {
    const result = await run({ TRELLIS_TEST_LIVE_FAIL: '1' });

    expect(result.code).toBe(0);
    expectGapFreeRecords(result);
    expect(result.live).toEqual([]);
    const last = result.log[result.log.length - 1].record;
    expect(last.stream).toBe('stderr');
    expect(last.text).toMatch(
      new RegExp(`^warning: ${last.seq} of ${last.seq} log lines were not sent live \\(\\d+ sends? failed, first: the test ingest function is down\\)`),
    );
  });

  test('without an ingest function the log is the archive only', async () => {
    const result = await run({ [BUILD_SETTINGS.logIngestFunction]: undefined });

    expect(result.code).toBe(0);
    expectGapFreeRecords(result);
    expect(result.live).toEqual([]);
  });

  test("parameters without a valid deployment id: the error is still a record, of deployment 'unknown'", async () => {
    const result = await run({ [BUILD_PARAMETERS.deploymentId]: 'build-1' });

    expect(result.code).toBe(2);
    expectGapFreeRecords(result);
    expect(result.log[0].deploymentId).toBe('unknown');
    expect(result.lines).toContain("error: prepare failed: invalid build parameters: TRELLIS_DEPLOYMENT_ID: 'build-1' is not a deployment id");
    expect(result.live).toEqual([]);
  });
});
