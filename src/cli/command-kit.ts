import { Command, Help, InvalidArgumentError, Option } from 'commander';
import { ApiRefusal } from './api-client';
import { CliContext } from './context';
import { CliError, EXIT } from './exit-codes';
import { plainLines } from './log-lines';

/**
 * The pieces the commands share: the `--url` and `--json` options, whole-number arguments, and
 * the action wrapper that turns an action's result into the exit code and a usage error into
 * commander's (the message, then where the command's help is).
 */

export interface UrlOption {
  readonly url?: string;
}

export interface JsonOption {
  readonly json?: boolean;
}

export function withUrl(command: Command): Command {
  return command.option('--url <url>', 'the installation (its dashboard URL); default: TRELLIS_URL, else the one signed in to last');
}

export function withJson(command: Command): Command {
  return command.option('--json', 'print the API\'s answer as JSON on stdout (progress goes to stderr)');
}

/** An integer option or argument from `min` to `max`; else commander names the option and exits 2. */
export function wholeNumber(min: number, max: number): (value: string) => number {
  return value => {
    const parsed = Number(value);
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(parsed) || parsed < min || parsed > max) {
      throw new InvalidArgumentError(`It must be a whole number from ${min} to ${max}.`);
    }
    return parsed;
  };
}

type Handler = (...args: any[]) => Promise<number | void>;

/**
 * The command's action: what it returns is the exit code (0 when nothing); a usage CliError
 * goes through commander's own error path (exit 2). `apiFields` names the API body's fields as
 * the command's options, for the API's validation reasons (`{ deploymentId: '--to' }`;
 * ApiRefusal.withOptionNames).
 */
export function action(cli: CliContext, handler: Handler, apiFields: Readonly<Record<string, string>> = {}): (...args: any[]) => Promise<void> {
  return async (...args: any[]) => {
    const command = args[args.length - 1] as Command;
    try {
      cli.exitCode = (await handler(...args)) ?? EXIT.ok;
    } catch (error) {
      if (error instanceof CliError && error.exitCode === EXIT.usage) command.error(`trellis: ${plainLines(error.message)}`, { exitCode: EXIT.usage, code: 'trellis.usage' });
      throw error instanceof ApiRefusal ? error.withOptionNames(apiFields, optionsGiven(command)) : error;
    }
  };
}

/** The options typed on the command line (`--to`), not those left to their default. */
function optionsGiven(command: Command): Set<string> {
  return new Set(command.options.filter(option => command.getOptionValueSource(option.attributeName()) === 'cli').map(option => option.long ?? option.flags));
}

/**
 * The help's option lines: a mandatory option says "required" in the same parenthesis as
 * commander's own notes ("(required; choices: ...)"), not a second one.
 */
export const helpSettings: Partial<Help> = {
  optionDescription(option: Option): string {
    const described = Help.prototype.optionDescription.call(this, option);
    if (!option.mandatory) return described;
    const notes = described.startsWith(`${option.description} (`) ? described.slice(option.description.length + 2, -1) : '';
    return `${option.description} (required${notes ? `; ${notes}` : ''})`;
  },
};

/** After a usage error, one line saying where the help is (not the whole help above the error). */
export function pointToHelp(command: Command, path = 'trellis'): void {
  command.showHelpAfterError(`see \`${path} --help\``);
  for (const sub of command.commands) pointToHelp(sub, `${path} ${sub.name()}`);
}
