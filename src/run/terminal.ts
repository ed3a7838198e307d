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
 * Whether our SIGHUP is for the child too. A terminal's hangup (an SSH session that ended) goes from
 * the kernel to the session leader alone, and to the whole foreground group once that leader exits:
 * - we lead the session: the hangup came to us alone; the child gets it if it is in our group (it
 *   would have been hung up with us), not if it left it (setsid) to be spared;
 * - we had a terminal when the child started (`hadTerminal`): the group's hangup reached the child
 *   already, or the child left the group to be spared; a second one would be ours, not the terminal's;
 * - no terminal: someone sent it to us (kill -HUP): pass it on, as every other signal.
 */
export function forwardsHangup(childPid: number | undefined, hadTerminal: boolean): boolean {
  const self = statFields('self');
  const child = childPid === undefined ? null : statFields(childPid);
  if (!self || !child) return false;
  const [, , pgrp, session] = self;
  if (Number(session) === process.pid) return child[2] === pgrp;
  return !hadTerminal;
}

/** Whether this process has a controlling terminal. */
export function hasTerminal(): boolean {
  const tty = statFields('self')?.[4];
  return tty !== undefined && tty !== '0';
}

/** Output on a terminal that hung up fails (EIO): `run` must outlive it to release when its job ends. */
export function ignoreWriteErrors(...outputs: unknown[]): void {
  for (const output of outputs) {
    const stream = output as { on?: (event: string, fn: (err: Error) => void) => unknown };
    if (typeof stream.on === 'function') stream.on.call(output, 'error', () => {});
  }
}
