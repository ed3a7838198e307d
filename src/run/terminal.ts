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
