import { readFileSync } from 'fs';
import { DataDir } from './data-dir';

/**
 * Before starting from `data`: refuse when a server still runs from it (two servers on one
 * DynamoDB Local database would corrupt each other's view), and stop the DynamoDB Local a
 * killed run left behind (it still holds the database files). Returns what was stopped.
 */
export function clearLeftovers(data: DataDir): string[] {
  const previous = data.previousServer();
  if (!previous) return [];
  if (alive(previous.pid) && commandLine(previous.pid)?.includes('trellis')) {
    throw new Error(`trellis local is already running from ${data.root} (pid ${previous.pid}, ${previous.url}): stop it first, or pass another --data-dir`);
  }
  const stopped: string[] = [];
  const java = previous.dynamodbPid;
  // Only a process that is provably that DynamoDB Local (its jar, this data directory): pids get reused.
  const command = java !== undefined && alive(java) ? commandLine(java) : undefined;
  if (java !== undefined && command?.includes('DynamoDBLocal') && command.includes(data.dynamodb)) {
    process.kill(java, 'SIGTERM');
    stopped.push(`DynamoDB Local (pid ${java}) left by a run that was killed`);
  }
  data.removeServerInfo();
  return stopped;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The process's command line (Linux /proc); undefined where it cannot be read, so nothing is stopped on a guess. */
function commandLine(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\u0000').join(' ');
  } catch {
    return undefined;
  }
}
