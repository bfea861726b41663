/**
 * Text that others chose, as it may reach a person's terminal: a build's output (the app's code),
 * names, reasons, commit messages and actors (anyone who can push or call the API). One rule for
 * the `trellis` command and local mode's terminal.
 */

export interface LineOptions {
  /** Keep colours (SGR sequences): the output is a terminal. */
  readonly colour: boolean;
}

// One pass over escape sequences, whole (so no half of one is left behind), and single control
// characters: CSI (colours, cursor moves, screen clears; 7- and 8-bit), OSC (window titles,
// clipboard writes, hyperlinks), any other ESC sequence (a terminal reset), then a lone
// control character (a carriage return that overwrites, a backspace, a bell), tab excepted.
// eslint-disable-next-line no-control-regex
const ESCAPE_OR_CONTROL = /(?:\u001b\[|\u009b)[0-?]*[ -/]*[@-~]|(?:\u001b\]|\u009d)[^\u0007\u001b\u009c]*(?:\u0007|\u001b\\|\u009c)?|\u001b[ -/]*[0-~]?|[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/g;
/** A colour or text style: the only sequence a log line may send to the terminal. */
// eslint-disable-next-line no-control-regex
const SGR = /^\u001b\[[0-9;]*m$/;
const RESET = '\u001b[0m';

/**
 * A build's text as it may reach the person's terminal: the build runs the app's code, so what
 * it prints must not move the cursor, rewrite earlier lines, set the window title or write the
 * clipboard. Colours stay when the output is a terminal; elsewhere (a file, CI) no escape stays.
 */
export function terminalText(text: string, options: LineOptions): string {
  let coloured = false;
  const cleaned = text.replace(ESCAPE_OR_CONTROL, sequence => {
    const kept = options.colour && SGR.test(sequence);
    coloured ||= kept;
    return kept ? sequence : '';
  });
  // A colour left on (the line was cut in two, the tool never reset it) ends with its line.
  return coloured ? `${cleaned}${RESET}` : cleaned;
}

/**
 * Text from the server on one line, as a table cell or a message shows it: names, reasons,
 * commit messages and actors are data anyone who can push or call the API chose, so no escape
 * sequence or control character of theirs reaches the terminal, and a newline becomes a space.
 */
export function oneLine(text: string): string {
  return terminalText(text.replace(/\s+/g, ' '), { colour: false });
}

/** A message of several lines (an error that lists problems) with each line cleaned as `oneLine`. */
export function plainLines(text: string): string {
  return text.split('\n').map(oneLine).join('\n');
}
