import { InvokeCommand, InvokeCommandOutput } from '@aws-sdk/client-lambda';
import { openBuildLog } from '../../src/builder/build-log';
import { lambdaIngest } from '../../src/builder/lambda-ingest';
import { SendAgainError } from '../../src/builder/live-log';
import { LogRecorder, logDeploymentId } from '../../src/builder/log-recorder';
import { Masker } from '../../src/builder/masking';
import { Reporter } from '../../src/builder/output';
import { BUILD_INGEST_TOKEN, BUILD_PARAMETERS, BUILD_SETTINGS } from '../../src/contract/build-environment';
import { LOG_BINDING_PENDING, LiveLogBatch, LogRecord, MAX_LOG_TEXT, formatPhaseMarker, isRecord, liveLogBatch, parseBuildLogLine } from '../../src/runtime/core';
import { depId, steppingClock } from '../store/fixtures';

const DEPLOYMENT = depId(7);
const TOKEN = 'the-ingest-token-of-deployment-7';

function recorder(live?: { add(record: LogRecord): void }) {
  const printed: string[] = [];
  const output = new LogRecorder(DEPLOYMENT, line => printed.push(line), steppingClock(), live);
  const parsed = () => printed.map(line => parseBuildLogLine(line));
  return { output, printed, parsed };
}

describe('LogRecorder', () => {
  test('numbers lines from 0 without gaps and prints each as a parseable JSON line', () => {
    const { output, printed, parsed } = recorder();
    const reporter = new Reporter(output, new Masker());
    reporter.marker({ phase: 'install', event: 'start', at: '2026-03-01T12:00:00.000Z' });
    reporter.line('$ npm ci');
    reporter.line('added 0 packages\nnpm warn deprecated', 'stderr');
    reporter.line('"quotes", \\backslashes\\, tabs\t and ünïcödé 🚀');

    expect(printed.every(line => !line.includes('\n'))).toBe(true);
    expect(parsed().map(entry => entry?.deploymentId)).toEqual(Array(5).fill(DEPLOYMENT));
    const records = parsed().map(entry => entry!.record);
    expect(records.map(r => r.seq)).toEqual([0, 1, 2, 3, 4]);
    expect(records.map(r => r.stream)).toEqual(['system', 'stdout', 'stderr', 'stderr', 'stdout']);
    expect(records.map(r => r.text)).toEqual([
      formatPhaseMarker({ phase: 'install', event: 'start', at: '2026-03-01T12:00:00.000Z' }),
      '$ npm ci', 'added 0 packages', 'npm warn deprecated', '"quotes", \\backslashes\\, tabs\t and ünïcödé 🚀',
    ]);
    // The clock's time, one reading per record.
    expect(records.map(r => r.at)).toEqual(['2026-03-01T12:00:00.000Z', '2026-03-01T12:00:00.001Z', '2026-03-01T12:00:00.002Z',
      '2026-03-01T12:00:00.003Z', '2026-03-01T12:00:00.004Z']);
    expect(output.count).toBe(5);
  });

  test('hands the live path the same records it printed', () => {
    const live: LogRecord[] = [];
    const { output, parsed } = recorder({ add: r => live.push(r) });
    output.write('one', 'stdout');
    output.write('two', 'stderr');
    expect(live).toEqual(parsed().map(entry => entry!.record));
  });

  test('a live path that throws does not stop the log or its numbering', () => {
    const { output, parsed } = recorder({
      add: () => {
        throw new Error('broken');
      },
    });
    output.write('one', 'stdout');
    output.write('two', 'stdout');
    expect(parsed().map(entry => entry!.record.seq)).toEqual([0, 1]);
  });

  test('text longer than a record holds is cut into several records, never through a surrogate pair', () => {
    const { output, parsed } = recorder();
    const long = `${'a'.repeat(MAX_LOG_TEXT - 1)}🚀${'b'.repeat(MAX_LOG_TEXT)}`;
    output.write(long, 'stdout');
    const records = parsed().map(entry => entry!.record);
    expect(records.map(r => r.seq)).toEqual([0, 1, 2]);
    expect(records.every(isRecord)).toBe(true);
    expect(records.map(r => r.text).join('')).toBe(long);
    expect(records[0].text).toBe('a'.repeat(MAX_LOG_TEXT - 1));
  });

  test("the deployment id is the build parameter when valid, else 'unknown'", () => {
    expect(logDeploymentId({ [BUILD_PARAMETERS.deploymentId]: DEPLOYMENT })).toBe(DEPLOYMENT);
    expect(logDeploymentId({ [BUILD_PARAMETERS.deploymentId]: 'build-1"}' })).toBe('unknown');
    expect(logDeploymentId({})).toBe('unknown');
  });
});

describe('openBuildLog', () => {
  const env = { [BUILD_PARAMETERS.deploymentId]: DEPLOYMENT, [BUILD_INGEST_TOKEN]: TOKEN, [BUILD_SETTINGS.logIngestFunction]: 'trellis-log-ingest' };

  function open(processEnv: Record<string, string>, send: (batch: LiveLogBatch) => Promise<void>) {
    const printed: string[] = [];
    const functions: string[] = [];
    const log = openBuildLog(processEnv, {
      sink: line => printed.push(line),
      clock: steppingClock(),
      sendTo: name => {
        functions.push(name);
        return send;
      },
    });
    return { log, printed, functions, texts: () => printed.map(line => parseBuildLogLine(line)!.record.text) };
  }

  test('with an ingest function the records also go live, and finish() sends the rest', async () => {
    const batches: LiveLogBatch[] = [];
    const { log, printed, functions } = open(env, async batch => {
      batches.push(batch);
    });
    log.output.write('hello', 'stdout');
    log.output.write('world', 'stderr');
    await log.finish(1000);

    expect(functions).toEqual(['trellis-log-ingest']);
    expect(batches).toEqual([liveLogBatch(DEPLOYMENT, TOKEN, printed.map(line => parseBuildLogLine(line)!.record))]);
    expect(printed).toHaveLength(2);
  });

  test('without an ingest function, an ingest token or a valid deployment id, there is no live path', async () => {
    const send = jest.fn(async () => undefined);
    const none = open({ [BUILD_PARAMETERS.deploymentId]: DEPLOYMENT, [BUILD_INGEST_TOKEN]: TOKEN }, send);
    const unknown = open({ [BUILD_SETTINGS.logIngestFunction]: 'trellis-log-ingest', [BUILD_INGEST_TOKEN]: TOKEN }, send);
    const tokenless = open({ [BUILD_PARAMETERS.deploymentId]: DEPLOYMENT, [BUILD_SETTINGS.logIngestFunction]: 'trellis-log-ingest' }, send);
    for (const { log } of [none, unknown, tokenless]) {
      log.output.write('error: TRELLIS_TABLE_NAME is not set on the task definition', 'stderr');
      await log.finish(1000);
    }
    expect(send).not.toHaveBeenCalled();
    expect(none.functions).toEqual([]);
    expect(unknown.functions).toEqual([]);
    expect(tokenless.functions).toEqual([]);
    // An error before the deployment id is known is still a record.
    expect(parseBuildLogLine(unknown.printed[0])).toEqual({
      deploymentId: 'unknown',
      record: { seq: 0, at: expect.any(String), stream: 'stderr', text: 'error: TRELLIS_TABLE_NAME is not set on the task definition' },
    });
  });

  test('when live sends failed, finish() says so on the log (archive only) and does not throw', async () => {
    const { log, texts } = open(env, async () => {
      throw new Error('AccessDenied: lambda:InvokeFunction ghp_0123456789abcdefghijklmnopqrstuvwxyz');
    });
    log.output.write('one', 'stdout');
    log.output.write('two', 'stdout');
    await expect(log.finish(1000)).resolves.toBeUndefined();

    expect(texts()).toEqual([
      'one', 'two',
      'warning: 2 of 2 log lines were not sent live (1 send failed, first: AccessDenied: lambda:InvokeFunction ***); '
      + 'the log is complete once the archive has them',
    ]);
  });
});

describe('lambdaIngest', () => {
  const batch = liveLogBatch(DEPLOYMENT, TOKEN, [{ seq: 0, at: '2026-03-01T12:00:00.000Z', stream: 'stdout', text: 'hi' }]);

  function fakeLambda(output: Partial<InvokeCommandOutput>) {
    const commands: InvokeCommand[] = [];
    return {
      commands,
      send: async (command: InvokeCommand) => {
        commands.push(command);
        return { $metadata: {}, StatusCode: 200, ...output } as InvokeCommandOutput;
      },
    };
  }

  test('invokes the function synchronously with the batch as JSON', async () => {
    const lambda = fakeLambda({});
    await lambdaIngest(lambda, 'trellis-log-ingest')(batch);
    expect(lambda.commands).toHaveLength(1);
    const input = lambda.commands[0].input;
    expect(input).toMatchObject({ FunctionName: 'trellis-log-ingest', InvocationType: 'RequestResponse' });
    expect(JSON.parse(Buffer.from(input.Payload as Uint8Array).toString('utf8'))).toEqual(batch);
  });

  test('an error the function reports is a failed send', async () => {
    const payload = Buffer.from(JSON.stringify({ errorType: 'NotFoundError', errorMessage: 'no such deployment' }));
    const lambda = fakeLambda({ FunctionError: 'Unhandled', Payload: payload as unknown as InvokeCommandOutput['Payload'] });
    await expect(lambdaIngest(lambda, 'trellis-log-ingest')(batch)).rejects.toThrow(/trellis-log-ingest failed \(Unhandled\): .*no such deployment/);
    await expect(lambdaIngest(lambda, 'trellis-log-ingest')(batch)).rejects.not.toThrow(SendAgainError);
  });

  test('the error that asks for the batch again (no task recorded yet) is a SendAgainError', async () => {
    const payload = Buffer.from(JSON.stringify({ errorType: LOG_BINDING_PENDING, errorMessage: 'no task recorded yet' }));
    const lambda = fakeLambda({ FunctionError: 'Unhandled', Payload: payload as unknown as InvokeCommandOutput['Payload'] });
    await expect(lambdaIngest(lambda, 'trellis-log-ingest')(batch)).rejects.toThrow(SendAgainError);
  });
});
