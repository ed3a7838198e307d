// Whether the terminal already delivers a keyboard signal to our child: true when the child's
// process group is the terminal's foreground group, where Ctrl-C reaches every member at once.
import { statFields } from '../host/proc.js';

export function terminalDeliversTo(childPid: number | undefined): boolean {
  const self = statFields('self');
  const child = childPid === undefined ? null : statFields(childPid);
  if (!self || !child) return false;
  const [, , , , ttyNr, tpgid] = self;
  // A child in its own group (setsid, some launchers) is not reached by the terminal: forward to it.
  return ttyNr !== '0' && child[2] === tpgid;
}

/**
 * Whether a terminal's hangup (SIGHUP, an SSH session that went away) reaches the child without our
 * help, so forwarding ours would give it a second one. The kernel hangs up on the session leader
 * alone, and on the whole foreground group once that leader exits, after which neither we nor the
 * child have a terminal any more: `wasForeground` (the child in the terminal's foreground group when
 * it started) and the child still in our group then mean the group's hangup reached it too.
 */
export function hangupReaches(childPid: number | undefined, wasForeground: boolean): boolean {
  const self = statFields('self');
  const child = childPid === undefined ? null : statFields(childPid);
  if (!self || !child) return false;
  const [, , pgrp, session] = self;
  if (Number(session) === process.pid) return false; // the session leader: the hangup came to us alone
  return terminalDeliversTo(childPid) || (wasForeground && child[2] === pgrp);
}

/** Output on a terminal that hung up fails (EIO): `run` must outlive it to release when its job ends. */
export function ignoreWriteErrors(...outputs: unknown[]): void {
  for (const output of outputs) {
    const stream = output as { on?: (event: string, fn: (err: Error) => void) => unknown };
    if (typeof stream.on === 'function') stream.on.call(output, 'error', () => {});
  }
}
