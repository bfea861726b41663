import { phaseEndLine, phaseStartLine, recordLine } from '../../src/cli/log-lines';
import { formatPhaseMarker } from '../../src/runtime/core/phase-markers';
import { terminalText } from '../../src/runtime/core/terminal-text';
import { LogRecord } from '../../src/runtime/core/types';

const at = '2026-01-02T03:04:05.000Z';
const line = (text: string, stream: LogRecord['stream'] = 'stdout'): LogRecord => ({ seq: 0, at, stream, text });
const plain = { colour: false };
const colour = { colour: true };

describe('the terminal lines of a log', () => {
  test('the builder\'s phase markers become one line as a phase starts and one as it ends', () => {
    expect(recordLine(line(formatPhaseMarker({ phase: 'test', event: 'start', at }), 'system'), plain)).toBe('==> test');
    expect(recordLine(line(formatPhaseMarker({ phase: 'test', event: 'end', at, outcome: 'succeeded', durationMs: 3210 }), 'system'), plain))
      .toBe('==> test succeeded in 3.2 s');
    expect(recordLine(line(formatPhaseMarker({ phase: 'test', event: 'end', at, outcome: 'failed', durationMs: 850, detail: 'npm test\nexited with 1' }), 'system'), plain))
      .toBe('==> test failed in 850 ms: npm test exited with 1');
    expect(recordLine(line(formatPhaseMarker({ phase: 'save-cache', event: 'end', at, outcome: 'skipped', durationMs: 0, detail: 'no lockfile' }), 'system'), plain))
      .toBe('==> save-cache skipped: no lockfile');
    expect(phaseStartLine('deploy')).toBe('==> deploy');
    expect(phaseEndLine('deploy', 'succeeded', 125_000)).toBe('==> deploy succeeded in 2 min 05 s');
  });

  test('a marker the app printed (not on the builder\'s system stream) is an ordinary line', () => {
    const forged = formatPhaseMarker({ phase: 'deploy', event: 'end', at, outcome: 'succeeded' });
    expect(recordLine(line(forged, 'stdout'), plain)).toBe(forged);
    expect(recordLine(line(forged, 'stderr'), plain)).toBe(forged);
  });

  test('what a build prints cannot move the cursor, clear the screen, set the title or write the clipboard', () => {
    const hostile = 'ok\u001b[2J\u001b[H\u001b]0;pwned\u0007\u001b]52;c;ZWNobyBoaQ==\u001b\\ done\r\u0008\u0007 \u009b1A\u001bc';
    expect(terminalText(hostile, plain)).toBe('ok done ');
    expect(terminalText(hostile, colour)).toBe('ok done ');
    expect(recordLine(line(hostile), colour)).toBe('ok done ');
  });

  test('colours stay on a terminal (and end with their line), and go elsewhere; tabs stay', () => {
    const red = '\u001b[31merror\u001b[0m:\tdetails \u001b[1;32mgreen';
    expect(terminalText(red, colour)).toBe(`${red}\u001b[0m`);
    expect(terminalText(red, plain)).toBe('error:\tdetails green');
    expect(terminalText('no colour here', colour)).toBe('no colour here');
  });
});
