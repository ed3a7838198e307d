// Every body this API takes is JSON, whatever type curl gave it.
import type { MiddlewareHandler } from 'hono';

/**
 * The GPU proxy specification's `curl -d '{"strategy": ...}'` sends JSON with curl's default form type, and scripts copy
 * that: a body sent as a form, or with no type, is read as JSON (and is 400 when it is not JSON).
 * Other declared types stay 415.
 */
export const formBodiesAreJson: MiddlewareHandler = async (c, next) => {
  const type = c.req.header('content-type');
  const hasBody = c.req.header('content-length') !== undefined || c.req.header('transfer-encoding') !== undefined;
  if (hasBody && (type === undefined || /^application\/x-www-form-urlencoded\s*(;|$)/i.test(type))) {
    const headers = new Headers(c.req.raw.headers);
    headers.set('content-type', 'application/json');
    c.req.raw = new Request(c.req.raw, { headers });
  }
  await next();
};
