// Who owns a GPU process and what it runs: the facts a probe adds to the driver's pid list.
import { modelFromCommandLine } from '../domain/model.js';
import { processComm, processCommandLine, processRealUid } from '../host/proc.js';
import { userNames } from '../host/users.js';

export interface ProcessFacts {
  user: string | null;
  /** Executable name when the driver hides it (`[Not Found]`). */
  comm: string | null;
  model: string | null;
}

export interface ProcessInfoSource {
  describe(pids: readonly number[]): Promise<Map<number, ProcessFacts>>;
}

/** Reads /proc for each pid, then resolves all uids in one go. */
export const hostProcessInfo: ProcessInfoSource = {
  async describe(pids) {
    const uids = new Map<number, number>();
    for (const pid of pids) {
      const uid = processRealUid(pid);
      if (uid !== null) uids.set(pid, uid);
    }
    const names = await userNames(uids.values());
    const facts = new Map<number, ProcessFacts>();
    for (const pid of pids) {
      const uid = uids.get(pid);
      const argv = processCommandLine(pid);
      facts.set(pid, {
        user: uid === undefined ? null : (names.get(uid) ?? `uid:${uid}`),
        comm: processComm(pid),
        model: argv ? modelFromCommandLine(argv) : null,
      });
    }
    return facts;
  },
};
