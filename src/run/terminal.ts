// Whether the terminal already delivers a keyboard signal to our child: true when we sit in the
// foreground process group of a controlling terminal, where Ctrl-C reaches every member at once.
import { readFileSync } from 'node:fs';

export function inForegroundOfTerminal(): boolean {
  try {
    const stat = readFileSync('/proc/self/stat', 'latin1');
    // After the command name: state ppid pgrp session tty_nr tpgid …
    const [, , pgrp, , ttyNr, tpgid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ttyNr !== '0' && pgrp === tpgid;
  } catch {
    return false;
  }
}
