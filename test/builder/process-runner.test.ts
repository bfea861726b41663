import { Masker } from '../../src/builder/masking';
import { displayCommand, runCommand } from '../../src/builder/process-runner';

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
    expect(await result).toEqual({ code: 3, signal: undefined });
    expect(lines.sort()).toEqual(['stderr: err', 'stdout: out']);
  });

  test('a missing program is a readable error, not an exit code', async () => {
    expect(await run(['trellis-no-such-program']).result).toEqual({ error: "command 'trellis-no-such-program' was not found" });
  });

  test('aborting kills the running command', async () => {
    const stop = new AbortController();
    const { result } = run([process.execPath, '-e', 'setTimeout(() => {}, 30000)'], stop.signal);
    setTimeout(() => stop.abort(), 100);
    expect(await result).toEqual({ error: 'stopped' });
  });
});

describe('displayCommand', () => {
  test('quotes only arguments that need it', () => {
    expect(displayCommand(['cdk', 'deploy', '-c', 'stage=dev', 'two words', '$(x)'])).toBe('cdk deploy -c stage=dev "two words" "$(x)"');
  });
});
