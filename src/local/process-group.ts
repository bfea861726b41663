import { constants } from 'os';

/**
 * Signals to a build's process group. A build runs in a group of its own (spawned detached), so
 * one signal to the group reaches the builder and every command it started.
 */

/** `signal` to a pid (or to a whole group as -pgid); a target that is already gone (ESRCH) is no error. */
export function signalIfRunning(target: number, signal: NodeJS.Signals): void {
  try {
    process.kill(target, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/** `signal` to every process of the group `pgid`; none left is no error. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  signalIfRunning(-pgid, signal);
}

/**
 * SIGKILL the group when this process exits, however it exits (an uncaught error, process.exit):
 * the build's group goes with the server. Returns the function that takes the hook away again.
 */
export function killGroupOnExit(pgid: number): () => void {
  const kill = () => signalGroup(pgid, 'SIGKILL');
  process.once('exit', kill);
  return () => process.removeListener('exit', kill);
}

/** The shell's and Docker's convention for a process killed by a signal (SIGKILL → 137), as ECS reports it. */
export function signalExitCode(signal: NodeJS.Signals): number {
  return 128 + (constants.signals[signal] ?? 0);
}
