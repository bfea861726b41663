import { execFileSync } from 'child_process';
import { randomBytes } from 'crypto';
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'fs';
import { join } from 'path';
import { signalGroup, signalIfRunning } from './process-group';

/**
 * What a run of `trellis local` started, written to the data directory the moment it started
 * (one small file per process, replaced whole), so the next start can stop what a run that was
 * killed (`kill -9`, a crash) left behind: DynamoDB Local's Java process, builds and every
 * command under them. A pid alone is not enough (pids are reused): each record holds the
 * process's start time, and a process is only stopped when both match.
 */
export interface ProcessRecord {
  readonly kind: 'dynamodb' | 'build';
  readonly pid: number;
  /** Set when the process leads a process group of its own (builds): the whole group is stopped. */
  readonly pgid?: number;
  /** The process's start time as the system reports it (processStartTime). */
  readonly startTime: string;
  readonly deploymentId?: string;
  readonly taskId?: string;
  /** A build's workspace, removed once its processes are gone. */
  readonly workspace?: string;
}

export class ProcessRecords {
  constructor(readonly dir: string) {}

  /** Record a process (temp file + rename: a reader never sees half a record). */
  add(name: string, record: ProcessRecord): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    writeAtomically(this.file(name), `${JSON.stringify(record)}\n`);
  }

  remove(name: string): void {
    rmSync(this.file(name), { force: true });
  }

  /** Every record, by name; a record that cannot be read is dropped (it was never whole). */
  list(): Array<{ name: string; record: ProcessRecord }> {
    let names: string[];
    try {
      names = readdirSync(this.dir).filter(name => name.endsWith('.json')).map(name => name.slice(0, -'.json'.length));
    } catch {
      return [];
    }
    return names.flatMap(name => {
      try {
        const record = JSON.parse(readFileSync(this.file(name), 'utf8')) as ProcessRecord;
        return Number.isSafeInteger(record.pid) && record.pid > 1 && typeof record.startTime === 'string' ? [{ name, record }] : [];
      } catch {
        return [];
      }
    });
  }

  private file(name: string): string {
    if (!/^[A-Za-z0-9._-]+$/.test(name)) throw new Error(`process record name '${name}': letters, digits, '.', '_' and '-' only`);
    return join(this.dir, `${name}.json`);
  }
}

/** Write `content` to a temp file beside `file`, then rename it over `file`: readers see the old or the new content, never half. */
export function writeAtomically(file: string, content: string, mode = 0o600): void {
  const temp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    writeFileSync(temp, content, { mode });
    renameSync(temp, file);
  } finally {
    rmSync(temp, { force: true });
  }
}

/**
 * When the process started, as a string to compare (Linux: /proc/<pid>/stat's start time in
 * clock ticks since boot; elsewhere `ps -o lstart=`); undefined when it is not running.
 */
export function processStartTime(pid: number): string | undefined {
  const stat = procStat(pid);
  if (stat) return stat.startTime;
  if (process.platform === 'linux') return undefined;
  try {
    const started = execFileSync('ps', ['-o', 'lstart=', '-p', String(pid)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return started || undefined;
  } catch {
    return undefined;
  }
}

/** True while the recorded process itself runs (same pid and start time). */
export function isRecordedProcess(record: Pick<ProcessRecord, 'pid' | 'startTime'>): boolean {
  return processStartTime(record.pid) === record.startTime;
}

/**
 * The processes of a recorded group still running (Linux: by /proc). The group's number
 * stays taken while any member lives, so a process in it that started no earlier than the
 * recorded leader is one of its members, even after the leader itself ended; when a process
 * with the group's number runs that is not the recorded leader, the number was reused.
 */
export function groupMembers(record: Pick<ProcessRecord, 'pgid' | 'startTime'>): number[] {
  if (record.pgid === undefined) return [];
  // The group's number names a live process that is not the recorded leader: the old group
  // ended and the number was reused (it is not while any member of the old group lives).
  const holder = procStat(record.pgid);
  if (holder && holder.startTime !== record.startTime) return [];
  const since = Number(record.startTime);
  const members: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter(entry => /^\d+$/.test(entry));
  } catch {
    return [];
  }
  for (const entry of entries) {
    const stat = procStat(Number(entry));
    if (stat && stat.pgid === record.pgid && Number.isFinite(since) && Number(stat.startTime) >= since) members.push(Number(entry));
  }
  return members;
}

/**
 * Stop what a record names if it still runs: SIGKILL to its group (when it has one and a
 * member is still there) or to the process (when it is provably the recorded one), then wait
 * until they are gone. Returns whether something was stopped.
 */
export async function stopRecorded(record: ProcessRecord, timeoutMs = 10_000): Promise<boolean> {
  const leader = isRecordedProcess(record);
  const members = groupMembers(record);
  if (!leader && members.length === 0) return false;
  if (record.pgid !== undefined && (leader || members.length > 0)) signalGroup(record.pgid, 'SIGKILL');
  if (leader) signalIfRunning(record.pid, 'SIGKILL');
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isRecordedProcess(record) && groupMembers(record).length === 0) return true;
    await new Promise(resolve => setTimeout(resolve, 50));
  }
  throw new Error(`pid ${record.pid} (${record.kind}) left by a run that was killed did not stop within ${timeoutMs / 1000}s`);
}

/** pgid and start time from /proc/<pid>/stat (fields 5 and 22; the command name may hold spaces and parentheses). */
function procStat(pid: number): { pgid: number; startTime: string } | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state): a zombie has ended (only its exit status is left).
  if (fields[0] === 'Z') return undefined;
  return { pgid: Number(fields[2]), startTime: fields[19] };
}
