// A store URL fit for a message or a log: its password replaced by ***. Every message naming a store URL
// goes through here (the agent's and serve's lines reach the system journal).

/**
 * `scheme://user:password@host...` → `scheme://user:***@host...` (the password may hold '/', ':' or '@'), and the
 * value of any query parameter naming a password (`?password=`, `&sentinelPassword=`, which ioredis takes too).
 */
export function redactUrl(url: string): string {
  // The query's first: a password there may hold an '@', which the user information would otherwise run to.
  return redactUserinfo(redactQueryPasswords(url));
}

function redactUserinfo(url: string): string {
  // Greedy: the user information runs to the last '@' (hosts and database numbers hold none).
  const match = /^([a-z][a-z0-9+.-]*:\/\/)(.*)@/is.exec(url);
  if (!match) return url;
  const userinfo = match[2]!;
  const colon = userinfo.indexOf(':');
  if (colon < 0) return url;
  return `${match[1]}${userinfo.slice(0, colon)}:***@${url.slice(match[0].length)}`;
}

function redactQueryPasswords(url: string): string {
  const query = url.indexOf('?');
  if (query < 0 || !/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) return url;
  return url.slice(0, query) + url.slice(query).replace(/([?&][^=&#]*pass[^=&#]*=)[^&#]*/gi, '$1***');
}
