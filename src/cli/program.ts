import { Command, CommanderError } from 'commander';
import { registerActionCommands } from './commands/actions';
import { registerLocalCommand } from './commands/local';
import { registerLoginCommands } from './commands/login';
import { registerLogsCommand } from './commands/logs';
import { registerPushCommand } from './commands/push';
import { registerReadCommands } from './commands/reads';
import { registerTokensCommand } from './commands/tokens';
import { CliContext } from './context';
import { CliError, EXIT } from './exit-codes';
import { errorMessage } from '../runtime/core/errors';

/**
 * The `trellis` command: local mode, and a client of any installation's control API (sign-in,
 * reads, actions with --wait, API tokens) for terminals and CI. Exit codes: exit-codes.ts.
 */
export function buildProgram(cli: CliContext): Command {
  const program = new Command('trellis')
    .description('Trellis from a terminal or CI: deploy, promote, roll back and follow deployments of any installation, or run Trellis locally.')
    // Settings the subcommands inherit: set before any is added.
    .exitOverride()
    .showHelpAfterError()
    .configureOutput({
      writeOut: text => cli.io.out(text),
      writeErr: text => cli.io.err(text),
      outputError: (text, write) => write(text.replace(/^error: /, 'trellis: ')),
    })
    .helpCommand(false)
    .addHelpText('after', `
Environment:
  TRELLIS_URL         the installation, when no --url is given
  TRELLIS_TOKEN       an API token (trellis tokens create), for CI: used instead of the stored sign-in
  TRELLIS_CONFIG_DIR  where credentials.json is kept (default: $XDG_CONFIG_HOME or ~/.config, then trellis/)

Exit codes: 0 done (with --wait: the deployment succeeded), 1 failed, 2 wrong usage, 3 not signed in or not allowed.

Run \`trellis <command> --help\` for a command's options and examples.`);
  registerLoginCommands(program, cli);
  registerReadCommands(program, cli);
  registerActionCommands(program, cli);
  registerTokensCommand(program, cli);
  registerLocalCommand(program, cli);
  registerPushCommand(program, cli);
  registerLogsCommand(program, cli);
  return program;
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
    // Commander printed its message (and the command's help) already; --help is not an error.
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    cli.warn(`trellis: ${errorMessage(error)}`);
    return error instanceof CliError ? error.exitCode : EXIT.failed;
  }
}
