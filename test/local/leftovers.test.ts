import { ChildProcess, spawn } from 'child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { processAlive } from './local-fixtures';
import { DataDir } from '../../src/local/data-dir';
import { clearLeftovers } from '../../src/local/leftovers';
import { signalGroup, signalIfRunning } from '../../src/local/process-group';
import { groupMembers, processStartTime } from '../../src/local/process-records';
import { eventually } from '../support/eventually';

/**
 * What the next start stops of a run that was killed, by the records the run wrote as it
 * started each process: a build's whole process group (even after its leader ended), never a
 * process whose pid was reused, and not at all while that run still lives.
 */

let data: DataDir;
const spawned: ChildProcess[] = [];
const paths: string[] = [];

beforeEach(() => {
  const root = mkdtempSync(join(tmpdir(), 'trellis-leftovers-'));
  paths.push(root);
  data = new DataDir(root);
  data.prepare(false);
});

afterEach(async () => {
  for (const child of spawned.splice(0)) {
    signalGroup(child.pid!, 'SIGKILL');
    signalIfRunning(child.pid!, 'SIGKILL');
  }
  for (const path of paths.splice(0)) rmSync(path, { recursive: true, force: true });
});

/** A detached group: a leader that starts a member, both running until killed; resolves with the member's pid. */
async function group(): Promise<{ leader: ChildProcess; member: number }> {
  const script = `
    const { spawn } = require('child_process');
    const member = spawn(process.execPath, ['-e', 'setInterval(() => undefined, 1000)'], { stdio: 'ignore' });
    console.log(member.pid);
    setInterval(() => undefined, 1000);`;
  const leader = spawn(process.execPath, ['-e', script], { detached: true, stdio: ['ignore', 'pipe', 'ignore'] });
  spawned.push(leader);
  const member = await new Promise<number>(resolve => leader.stdout!.once('data', chunk => resolve(Number(String(chunk).trim()))));
  return { leader, member };
}

test('a build group whose leader already ended: its remaining member is stopped, its workspace removed, the record dropped', async () => {
  const { leader, member } = await group();
  const workspace = mkdtempSync(join(tmpdir(), 'trellis-build-'));
  paths.push(workspace);
  data.processes.add('local-1-ab', { kind: 'build', pid: leader.pid!, pgid: leader.pid!, startTime: processStartTime(leader.pid!)!, deploymentId: 'd-1', workspace });
  process.kill(leader.pid!, 'SIGKILL');
  await eventually('the leader to end', async () => !processAlive(leader.pid!));
  expect(processAlive(member)).toBe(true);
  expect(groupMembers({ pgid: leader.pid!, startTime: data.processes.list()[0].record.startTime })).toEqual([member]);

  const stopped = await clearLeftovers(data);
  expect(stopped).toEqual([`the build of d-1 (process group ${leader.pid}) left by a run that was killed`]);
  expect(processAlive(member)).toBe(false);
  expect(existsSync(workspace)).toBe(false);
  expect(data.processes.list()).toEqual([]);
});

test('a recorded pid now used by another process (another start time) is left alone, and a folder outside the temp builds is not removed', async () => {
  const other = spawn(process.execPath, ['-e', 'setInterval(() => undefined, 1000)'], { detached: true, stdio: 'ignore' });
  spawned.push(other);
  await eventually('the process to run', async () => processStartTime(other.pid!) !== undefined);
  const kept = mkdtempSync(join(tmpdir(), 'not-a-build-'));
  paths.push(kept);
  data.processes.add('local-2-cd', { kind: 'build', pid: other.pid!, pgid: other.pid!, startTime: `${Number(processStartTime(other.pid!)) - 1}`, workspace: kept });
  data.processes.add('dynamodb', { kind: 'dynamodb', pid: other.pid!, startTime: 'another start' });
  expect(await clearLeftovers(data)).toEqual([]);
  expect(processAlive(other.pid!)).toBe(true);
  expect(existsSync(kept)).toBe(true);
  expect(data.processes.list()).toEqual([]);
});

test('while the run that wrote run.json still lives (even before its server.json), the next start is refused and nothing of it is stopped', async () => {
  const { leader } = await group();
  writeFileSync(join(data.root, 'run.json'), JSON.stringify({ pid: leader.pid, startTime: processStartTime(leader.pid!) }));
  data.processes.add('dynamodb', { kind: 'dynamodb', pid: leader.pid!, startTime: processStartTime(leader.pid!)! });
  await expect(clearLeftovers(data)).rejects.toThrow(`trellis local is already running from ${data.root} (pid ${leader.pid}, starting)`);
  expect(processAlive(leader.pid!)).toBe(true);
  expect(data.processes.list()).toHaveLength(1);
});

test('kept secrets are written whole: a second reader gets the first writer\'s value, never an empty or half file', () => {
  const first = data.webhookSecret();
  expect(readFileSync(join(data.root, 'webhook-secret'), 'utf8')).toBe(`${first}\n`);
  expect(new DataDir(data.root).webhookSecret()).toBe(first);
});
