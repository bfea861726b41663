/**
 * Asks a question on the terminal (stderr, so stdout stays the command's output) and reads one
 * line from stdin; a secret is read in raw mode and never echoed. Only for a TTY.
 */
export function askOnTerminal(question: string, secret: boolean,
  input: NodeJS.ReadStream = process.stdin, output: NodeJS.WriteStream = process.stderr): Promise<string> {
  return new Promise((resolve, reject) => {
    output.write(question);
    let line = '';
    const wasRaw = input.isRaw;
    input.setRawMode(secret);
    input.setEncoding('utf8');
    input.resume();
    const done = (error?: Error) => {
      input.off('data', onData);
      input.setRawMode(wasRaw);
      input.pause();
      if (secret) output.write('\n'); // the person's Enter was not echoed
      if (error) reject(error);
      else resolve(line);
    };
    const onData = (chunk: string) => {
      for (const char of chunk) {
        if (char === '\u0003') return done(new Error('cancelled'));
        if (char === '\r' || char === '\n') return done();
        if (char === '\u007f' || char === '\b') line = line.slice(0, -1);
        else line += char;
      }
    };
    input.on('data', onData);
  });
}
