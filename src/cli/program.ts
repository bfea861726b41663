import { readFileSync } from 'fs';
import { join } from 'path';
import { Command, CommanderError } from 'commander';
import { helpSettings, pointToHelp } from './command-kit';
import { registerActionCommands } from './commands/actions';
import { registerLocalCommand } from './commands/local';
import { registerLoginCommands } from './commands/login';
import { registerLogsCommand } from './commands/logs';
import { registerPushCommand } from './commands/push';
import { registerReadCommands } from './commands/reads';
import { registerTokensCommand } from './commands/tokens';
import { CliContext } from './context';
import { CliError, EXIT } from './exit-codes';
import { plainLines } from './log-lines';
import { errorMessage } from '../runtime/core/errors';

/**
 * The `trellis` command: local mode, and a client of any installation's control API (sign-in,
 * reads, actions with --wait, API tokens) for terminals and CI. Exit codes: exit-codes.ts.
 */
export function buildProgram(cli: CliContext): Command {
  const program = new Command('trellis')
    .description('Trellis from a terminal or CI: deploy, promote, roll back and follow deployments of any installation, or run Trellis locally.')
    .version(packageVersion(), '-V, --version', 'the version of trellis-cdk this command comes from')
    // Settings the subcommands inherit: set before any is added.
    .exitOverride()
    .configureHelp(helpSettings)
    .configureOutput({
      writeOut: text => cli.io.out(text),
      writeErr: text => cli.io.err(text),
      outputError: (text, write) => write(text.replace(/^error: /, 'trellis: ')),
    })
    .addHelpText('after', `
Environment:
  TRELLIS_URL         the installation, when no --url is given
  TRELLIS_TOKEN       an API token (trellis tokens create), for CI: used instead of the stored sign-in; needs TRELLIS_URL or --url
  TRELLIS_CONFIG_DIR  the directory whose trellis/credentials.json keeps sign-ins (default: $XDG_CONFIG_HOME or ~/.config)

Exit codes: 0 done (with --wait: the deployment succeeded), 1 failed, 2 wrong usage, 3 not signed in or not allowed.

--json: stdout holds the API's answer alone. On an error it stays empty and the reason goes to stderr
(the exit code is not 0). With --wait it holds the final deployment, whatever its outcome;
\`cancel --json\` of a deployment that had already ended prints it, and exits 1.

Run \`trellis <command> --help\` for a command's options and examples.`);
  registerLoginCommands(program, cli);
  registerReadCommands(program, cli);
  registerActionCommands(program, cli);
  registerLogsCommand(program, cli);
  registerTokensCommand(program, cli);
  registerLocalCommand(program, cli);
  registerPushCommand(program, cli);
  pointToHelp(program);
  return program;
}

/**
 * The package's version: its package.json is two folders up from the bundle
 * (assets/local/trellis.js) as from this file (src/cli/program.ts).
 */
function packageVersion(): string {
  try {
    const { version } = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version?: unknown };
    return typeof version === 'string' ? version : 'unknown';
  } catch {
    return 'unknown';
  }
}

/** Run the program on `argv` (the arguments after `trellis`); resolves with the exit code. */
export async function runCli(argv: readonly string[], cli: CliContext): Promise<number> {
  const program = buildProgram(cli);
  if (argv.length === 0) {
    cli.io.out(program.helpInformation());
    return EXIT.usage;
  }
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return cli.exitCode;
  } catch (error) {
    // Commander printed its message (and where the help is) already; --help and --version are not errors.
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    // The message may carry the server's text (a reason, a name): no escape sequence of its reaches the terminal.
    cli.warn(`trellis: ${plainLines(errorMessage(error))}`);
    return error instanceof CliError ? error.exitCode : EXIT.failed;
  }
}
