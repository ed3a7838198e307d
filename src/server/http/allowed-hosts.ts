// The Host header a request must carry. The loopback dashboard and /metrics need no key, so without
// this check a web page could rebind its own name to 127.0.0.1 and read them (DNS rebinding): the
// browser would still send that page's name as the Host.
import type { MiddlewareHandler } from 'hono';

/** The host part of a Host header or an --allowed-hosts entry, lower case, without port or trailing dot. */
export function hostName(value: string): string {
  const text = value.trim().toLowerCase();
  const name = text.startsWith('[') ? text.slice(0, text.indexOf(']') + 1) : text.replace(/:\d*$/, '');
  return name.replace(/\.$/, '');
}

const isLoopbackName = (name: string) =>
  name === 'localhost' || name === '[::1]' || /^127(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/.test(name);

/** Loopback names, and `extra` (names, or IPv6 addresses in brackets; ports are ignored). */
export function allowedHostMatcher(extra: string[]): (host: string | undefined) => boolean {
  const names = new Set(extra.map(hostName).filter((n) => n !== ''));
  return (host) => {
    if (!host) return false;
    const name = hostName(host);
    return isLoopbackName(name) || names.has(name);
  };
}

/** 421 Misdirected Request, with one sentence, for a Host this server does not answer to. */
export function allowedHostsOnly(allowed: (host: string | undefined) => boolean): MiddlewareHandler {
  return async (c, next) => {
    if (allowed(c.req.header('host'))) return next();
    return c.json({ error: 'this server answers only to its loopback names and to serve --allowed-hosts' }, 421);
  };
}
