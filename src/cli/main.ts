import { CliContext } from './context';
import { EXIT } from './exit-codes';
import { runCli } from './program';

/** The `trellis` command's entry point (bundled to assets/local/trellis.js, the package's bin). */

function readStdin(): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', chunk => { text += chunk; });
    process.stdin.once('end', () => resolve(text));
    process.stdin.once('error', reject);
  });
}

const cli = new CliContext({
  out: text => process.stdout.write(text),
  err: text => process.stderr.write(text),
  readStdin,
  onInterrupt: say => {
    const interrupted = () => {
      say();
      process.exit(EXIT.interrupted);
    };
    process.once('SIGINT', interrupted);
    return () => process.off('SIGINT', interrupted);
  },
}, process.env);

// Local mode runs on the Node a developer has; the SDK's notice about future versions is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
// `trellis history shop dev | head`: a reader that stops early is no error (no stack trace).
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', error => {
    if ((error as NodeJS.ErrnoException).code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}
// `npx projen local -- --reset` hands the `--` on: it separates nothing here.
void runCli(process.argv.slice(2).filter((arg, index, all) => arg !== '--' || all.indexOf('--') !== index), cli).then(code => {
  process.exitCode = code;
  // Everything is closed by now; a handle some library keeps must not keep the terminal.
  setTimeout(() => process.exit(code), 2000).unref();
});
