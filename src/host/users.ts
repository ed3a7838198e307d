// uid → login name through the system's user database (NSS): /etc/passwd first, then one `getent`
// call for the uids it lacks (LDAP, SSSD), never one process per lookup.
import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { childProcess } from './builtins.js';
import { promisify } from 'node:util';

function parsePasswd(text: string, into: Map<number, string>): void {
  for (const line of text.split('\n')) {
    const [name, , uid] = line.split(':');
    if (name && uid && /^\d+$/.test(uid) && !into.has(Number(uid))) into.set(Number(uid), name);
  }
}

export async function userNames(uids: Iterable<number>): Promise<Map<number, string>> {
  const wanted = [...new Set(uids)];
  const names = new Map<number, string>();
  if (wanted.length === 0) return names;
  try {
    parsePasswd(readFileSync('/etc/passwd', 'utf8'), names);
  } catch {
    // no local file: NSS alone answers
  }
  const missing = wanted.filter((uid) => !names.has(uid));
  if (missing.length > 0) {
    try {
      const { stdout } = await promisify(childProcess().execFile)('getent', ['passwd', ...missing.map(String)], {
        timeout: 2000,
      });
      parsePasswd(stdout, names);
    } catch (err) {
      // getent exits 2 when some key is unknown but still prints the ones it found
      const stdout = (err as { stdout?: string }).stdout;
      if (stdout) parsePasswd(stdout, names);
    }
  }
  return names;
}

/**
 * The login name of the real uid. Never $USER: setting USER=bob must not make anyone bob.
 * A uid without a name (a bare container) is shown as `uid:<n>`.
 */
export async function currentUserName(): Promise<string> {
  const uid = process.getuid?.() ?? -1;
  if (uid < 0) return userInfo().username;
  try {
    const info = userInfo();
    if (info.uid === uid) return info.username;
  } catch {
    // no passwd entry for the effective uid
  }
  return (await userNames([uid])).get(uid) ?? `uid:${uid}`;
}

/**
 * A uid's login name (`uid:<n>` when it has none) through `lookup`, each answer kept `ttlMs` and shared by the
 * lookups in flight. The agent names the caller of every connection: a lookup each, for a uid that only
 * `getent` knows (LDAP, SSSD), would let any user make root start a process per connect().
 */
export function cachedUserNames(
  ttlMs = 60_000,
  lookup: (uids: number[]) => Promise<Map<number, string>> = userNames,
  now: () => number = Date.now,
): (uid: number) => Promise<string> {
  const names = new Map<number, { at: number; name: Promise<string> }>();
  return (uid) => {
    const cached = names.get(uid);
    if (cached && now() - cached.at < ttlMs) return cached.name;
    if (names.size >= 10_000) names.clear();
    const name = lookup([uid]).then(
      (found) => found.get(uid) ?? `uid:${uid}`,
      () => `uid:${uid}`,
    );
    names.set(uid, { at: now(), name });
    return name;
  };
}
