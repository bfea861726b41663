/**
 * The `trellis` command's exit codes, so scripts and CI can tell a failed deployment from a
 * mistyped command from a missing sign-in.
 */
export const EXIT = {
  /** Done; with --wait, the deployment succeeded. */
  ok: 0,
  /** The action failed: the API refused it, the deployment failed, the network was down. */
  failed: 1,
  /** The command line is wrong: an unknown command or option, a missing or bad argument. */
  usage: 2,
  /** Not signed in, the token was refused, or the caller's role does not allow it. */
  auth: 3,
  /** Stopped with Ctrl-C while following a deployment (128 + SIGINT, as shells report it). */
  interrupted: 130,
} as const;

export type ExitCode = typeof EXIT[keyof typeof EXIT];

/** An error the command prints as it is (on stderr) before exiting with `exitCode`. */
export class CliError extends Error {
  constructor(message: string, readonly exitCode: ExitCode = EXIT.failed) {
    super(message);
    this.name = 'CliError';
  }
}

/** A mistake in the command line: printed with where to read the command's usage, exit 2. */
export function usageError(message: string): CliError {
  return new CliError(message, EXIT.usage);
}
