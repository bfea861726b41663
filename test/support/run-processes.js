'use strict';

/**
 * The processes one run started, found and stopped (Linux /proc). A run sets a marker in its
 * environment (`<NAME>=<id>`); every process spawned with a copy of that environment carries it,
 * however far down and even after its parent died (an orphan keeps its environment). A process
 * started with a scrubbed environment (a local build) is found as a descendant of one that
 * carries it, or by the process group it shares with one.
 *
 * Used by jest's global teardown (what the test files left running) and by .ci/deadline.js (the
 * whole test command, when it ran past its deadline). Plain CommonJS: both load it without a build.
 */

const fs = require('node:fs');

/** A new marker value: unique per run. */
function newRunId() {
  return `${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2, 10)}`;
}

function readProc(pid, file) {
  try {
    return fs.readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return undefined; // ended meanwhile, or not ours to read
  }
}

/** pid → { ppid, pgid, state } for every process, from /proc/<pid>/stat. */
function processTable() {
  const table = new Map();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readProc(entry, 'stat');
    if (!stat) continue;
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    table.set(Number(entry), { state: fields[0], ppid: Number(fields[1]), pgid: Number(fields[2]) });
  }
  return table;
}

/** A process's command line, or '?' when it is gone. */
function commandLine(pid) {
  const raw = readProc(pid, 'cmdline');
  return raw ? raw.split('\0').filter(Boolean).join(' ').slice(0, 300) : '?';
}

/** This process and its ancestors: never ours to stop. */
function selfAndAncestors(table) {
  const result = new Set();
  for (let pid = process.pid; pid > 1 && !result.has(pid); pid = table.get(pid)?.ppid ?? 0) result.add(pid);
  return result;
}

/**
 * The live processes of the run marked `name=value`: those whose environment carries the marker
 * and this process's children (and the members of `groups`), their descendants, and the other members of their process groups (except this process's own
 * group, which holds this process and its parents). This process and its ancestors excluded.
 */
function findRunProcesses(name, value, groups = []) {
  const table = processTable();
  const spared = selfAndAncestors(table);
  const ownGroup = table.get(process.pid)?.pgid;
  const marker = `${name}=${value}`;
  const found = new Set();
  for (const [pid, info] of table) {
    if (spared.has(pid) || info.state === 'Z') continue;
    const environ = readProc(pid, 'environ');
    // Marked, or a child of this process (spawned with an environment of its own).
    if ((environ && environ.split('\0').includes(marker)) || info.ppid === process.pid || groups.includes(info.pgid)) found.add(pid);
  }
  // Descendants, and the members of their groups, until nothing new is found.
  for (let grew = true; grew;) {
    grew = false;
    const groups = new Set([...found].map(pid => table.get(pid)?.pgid).filter(pgid => pgid !== undefined && pgid !== ownGroup));
    for (const [pid, info] of table) {
      if (found.has(pid) || spared.has(pid) || info.state === 'Z') continue;
      if (found.has(info.ppid) || groups.has(info.pgid)) {
        found.add(pid);
        grew = true;
      }
    }
  }
  return [...found].sort((a, b) => a - b).map(pid => ({ pid, ppid: table.get(pid).ppid, pgid: table.get(pid).pgid, command: commandLine(pid) }));
}

/**
 * Send `signal` to each process and to its process group (unless that group is this process's
 * own). Returns what was signalled.
 */
function signalAll(processes, signal) {
  const ownGroup = processTable().get(process.pid)?.pgid;
  for (const { pid, pgid } of processes) {
    for (const target of pgid !== ownGroup && pgid > 1 ? [-pgid, pid] : [pid]) {
      try {
        process.kill(target, signal);
      } catch {
        // gone already
      }
    }
  }
  return processes;
}

/** One line per process, for a report of what was still running. */
function describe(processes) {
  return processes.map(({ pid, ppid, pgid, command }) => `  pid ${pid} (parent ${pid === ppid ? '-' : ppid}, group ${pgid}): ${command}`).join('\n');
}

/** SIGKILL every live process of the run; returns what was found (empty when nothing was left). */
function killRunProcesses(name, value) {
  const left = findRunProcesses(name, value);
  return signalAll(left, 'SIGKILL');
}

module.exports = { newRunId, findRunProcesses, signalAll, killRunProcesses, describe };
