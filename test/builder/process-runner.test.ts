import { Masker } from '../../src/builder/masking';
import { RECENT_OUTPUT_LINES, displayCommand, runCommand } from '../../src/builder/process-runner';

function run(argv: string[], signal?: AbortSignal) {
  const lines: string[] = [];
  const result = runCommand(argv, {
    cwd: process.cwd(),
    env: { PATH: process.env.PATH ?? '' },
    masker: new Masker(),
    signal,
    onLine: (line, stream) => lines.push(`${stream}: ${line}`),
  });
  return { result, lines };
}

describe('runCommand', () => {
  test('reports the exit code and every line of both streams', async () => {
    const { result, lines } = run([process.execPath, '-e', 'console.log("out"); console.error("err"); process.exit(3)']);
    expect(await result).toEqual({ code: 3, signal: undefined, output: expect.arrayContaining(['out', 'err']) });
    expect(lines.sort()).toEqual(['stderr: err', 'stdout: out']);
  });

  test('a missing program is a readable error, not an exit code', async () => {
    expect(await run(['trellis-no-such-program']).result).toEqual({ error: "command 'trellis-no-such-program' was not found", output: [] });
  });

  test('aborting kills the running command', async () => {
    const stop = new AbortController();
    const { result } = run([process.execPath, '-e', 'setTimeout(() => {}, 30000)'], stop.signal);
    setTimeout(() => stop.abort(), 100);
    expect(await result).toEqual({ error: 'stopped', output: [] });
  });

  test('the result keeps the last lines of output, unmasked, for the failure reason; the log got every line', async () => {
    const script = 'for (let i = 1; i <= 120; i++) console.log("line " + i); console.log("Error: the end"); process.exit(1)';
    const { result, lines } = run([process.execPath, '-e', script]);
    const { output } = await result;
    expect(lines).toHaveLength(121);
    expect(output).toHaveLength(RECENT_OUTPUT_LINES);
    expect(output).toContain('Error: the end');
    expect(output).toContain('line 120');
    expect(output).not.toContain('line 70');
  });
});

describe('displayCommand', () => {
  test('quotes only arguments that need it', () => {
    expect(displayCommand(['cdk', 'deploy', '-c', 'stage=dev', 'two words', '$(x)'])).toBe('cdk deploy -c stage=dev "two words" "$(x)"');
  });
});
