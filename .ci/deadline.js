#!/usr/bin/env node
// Runs a command with a hard deadline: `node .ci/deadline.js <minutes> <command> [args...]`.
// The command runs in a process group of its own, with TRELLIS_CI_RUN=<id> in its environment.
// When it ends, its exit code is ours. When the deadline passes first: print what was still
// running (every process of the group or carrying the marker, and their descendants), stop
// them all (SIGTERM, then SIGKILL 10 s later) and exit 124 — a red result instead of a job
// that hangs until CI's own timeout. A SIGINT or SIGTERM sent to this script stops the tree too.
'use strict';

const { spawn } = require('node:child_process');
const path = require('node:path');
const { newRunId, findRunProcesses, signalAll, describe } = require(path.join(__dirname, '..', 'test', 'support', 'run-processes.js'));

const [minutes, command, ...args] = process.argv.slice(2);
if (!(Number(minutes) > 0) || !command) {
  console.error('usage: node .ci/deadline.js <minutes> <command> [args...]');
  process.exit(2);
}
const MARKER = 'TRELLIS_CI_RUN';
const runId = newRunId();
const started = Date.now();
const elapsed = () => `${Math.round((Date.now() - started) / 1000)} s`;

const child = spawn(command, args, { stdio: 'inherit', detached: true, env: { ...process.env, [MARKER]: runId } });
child.on('error', error => {
  console.error(`deadline: cannot run ${command}: ${error.message}`);
  process.exit(127);
});

/** Everything the command started: its group, the marked processes, their descendants. */
function tree() {
  const found = findRunProcesses(MARKER, runId, [child.pid]);
  if (child.exitCode === null && child.signalCode === null && !found.some(entry => entry.pid === child.pid)) {
    found.unshift({ pid: child.pid, ppid: process.pid, pgid: child.pid, command: [command, ...args].join(' ') });
  }
  return found;
}

let stopping = false;
function stopTree(reason, code) {
  if (stopping) return;
  stopping = true;
  const running = tree();
  console.error(`\ndeadline: ${reason} after ${elapsed()}; still running (${running.length}):\n${describe(running)}`);
  signalAll(running, 'SIGTERM');
  const killAt = Date.now() + 10_000;
  const poll = setInterval(() => {
    const left = tree();
    if (left.length > 0 && Date.now() < killAt) return;
    clearInterval(poll);
    if (left.length > 0) console.error(`deadline: SIGKILL to what did not stop on SIGTERM (${left.length}):\n${describe(left)}`);
    signalAll(left, 'SIGKILL');
    process.exit(code);
  }, 250);
}

const timer = setTimeout(() => stopTree(`'${[command, ...args].join(' ')}' ran past its deadline of ${minutes} minutes`, 124), Number(minutes) * 60_000);
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => stopTree(`stopped by ${signal}`, 130));

child.on('exit', (code, signal) => {
  clearTimeout(timer);
  if (stopping) return;
  // The command ended: whatever it left behind (a daemon, an orphaned build) goes too.
  const left = findRunProcesses(MARKER, runId, [child.pid]);
  if (left.length > 0) {
    console.error(`deadline: '${command}' ended (${code ?? signal}) and left these running; stopped (${left.length}):\n${describe(left)}`);
    signalAll(left, 'SIGKILL');
  }
  process.exit(code ?? 128);
});
