// Whether an executable is on PATH, as the shell would find it: to pick the GPU tool a machine has.
import { accessSync, constants } from 'node:fs';
import { isAbsolute, join } from 'node:path';

export function onPath(name: string, path: string | undefined): boolean {
  for (const dir of (path ?? '').split(':')) {
    if (!dir || !isAbsolute(dir)) continue; // a relative entry would depend on the working directory
    try {
      accessSync(join(dir, name), constants.X_OK);
      return true;
    } catch {
      // not here
    }
  }
  return false;
}
