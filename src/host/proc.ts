// Facts about processes on this host, read from /proc (Linux) without spawning anything.
import { readFileSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import type { OwnerState } from '../domain/liveness.js';
import type { OwnerRef } from '../domain/reservation.js';

function readProcFile(pid: number | 'self', file: string): string | null {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'latin1');
  } catch {
    return null;
  }
}

/**
 * The fields of /proc/<pid>/stat after the command name, which may hold spaces and parentheses:
 * state ppid pgrp session tty_nr tpgid … (field 3 of the file is index 0 here).
 */
export function statFields(pid: number | 'self'): string[] | null {
  const stat = readProcFile(pid, 'stat');
  return stat === null ? null : stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** Field 22 of /proc/<pid>/stat: the start time in clock ticks since boot, unique per pid lifetime. */
const startTimeIn = (fields: string[] | null): string | null => fields?.[19] ?? null;

export function processStartTime(pid: number): string | null {
  return startTimeIn(statFields(pid));
}

/**
 * `state` is field 3 of /proc/<pid>/stat: Z (zombie) and X (dead) have exited and wait only to be
 * reaped. A leader thread that ended while other threads run shows Z too: that process lives on.
 */
function hasExited(pid: number, state: string | undefined): boolean {
  if (state === 'X') return true;
  if (state !== 'Z') return false;
  const threads = readProcFile(pid, 'status')?.match(/^Threads:\s+(\d+)/m)?.[1];
  return threads === undefined || Number(threads) <= 1;
}

/** The real uid of a process (first field of `Uid:` in /proc/<pid>/status). */
export function processRealUid(pid: number): number | null {
  const status = readProcFile(pid, 'status');
  const match = status?.match(/^Uid:\s+(\d+)/m);
  return match ? Number(match[1]) : null;
}

export function processCommandLine(pid: number): string[] | null {
  const raw = readProcFile(pid, 'cmdline');
  if (raw === null || raw === '') return null;
  return Buffer.from(raw, 'latin1').toString('utf8').replace(/\0$/, '').split('\0');
}

export function processComm(pid: number): string | null {
  return readProcFile(pid, 'comm')?.trim() || null;
}

const procAvailable = (() => {
  try {
    readFileSync('/proc/self/stat');
    return true;
  } catch {
    return false;
  }
})();

/**
 * This host as an owner's `host`: its name, boot and pid namespace. A pid means the same process only
 * when all three match (a host-network container shares the name, another boot reuses pids).
 */
export const hostIdentity: string = (() => {
  const read = (path: string) => {
    try {
      return readFileSync(path, 'utf8').trim();
    } catch {
      return '';
    }
  };
  let pidNamespace = '';
  try {
    pidNamespace = String(statSync('/proc/self/ns/pid').ino);
  } catch {
    // no namespaces here
  }
  const bootId = read('/proc/sys/kernel/random/boot_id');
  return [hostname(), bootId, pidNamespace].filter(Boolean).join('/');
})();

/** A process of this host as a reservation's owner: this one by default. */
export function ownerOf(pid: number = process.pid): OwnerRef {
  return { host: hostIdentity, pid, startTime: processStartTime(pid) };
}

/**
 * What this host can tell of a reservation's owner process. Owners on other hosts, and processes
 * whose start time cannot be read (no /proc, or hidden from us), are `unknown` unless plainly gone:
 * the heartbeat decides for them.
 */
export function ownerState(owner: OwnerRef): OwnerState {
  if (owner.host !== hostIdentity) return 'unknown';
  // One read of /proc/<pid>/stat for both its start time and its state: this runs for every run
  // reservation on every status and allocation.
  const fields = procAvailable ? statFields(owner.pid) : null;
  const started = startTimeIn(fields);
  if (started !== null) {
    if (owner.startTime !== null && owner.startTime !== started) return 'dead'; // the pid was reused
    // An orphaned command that exited stays a zombie until some parent reaps it, which in a
    // container may be never: it has ended all the same.
    if (hasExited(owner.pid, fields![0])) return 'dead';
    return owner.startTime === null ? 'unknown' : 'alive';
  }
  // No /proc entry: gone, or hidden from us (hidepid). Only the kernel can tell those apart.
  try {
    process.kill(owner.pid, 0);
    return 'unknown';
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM' ? 'unknown' : 'dead';
  }
}
