// Bodies over a size are 413, judged from the headers whenever they tell.
import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';

/**
 * Bodies over `maxSize` are 413. Hono's bodyLimit reads `c.req.raw.body`, which makes
 * @hono/node-server build a full web Request (streams, abort signal) for every request; a declared
 * Content-Length, or no body at all, is judged from the headers alone, and only a chunked body is
 * counted as it streams in.
 */
export function limitBody(maxSize: number): MiddlewareHandler {
  // The rest of the body is never read: the connection must not carry another request (node-server
  // would otherwise cut it under whatever request comes next on it).
  const tooLarge = (c: Context) =>
    c.json({ error: `request body over ${maxSize} bytes` }, 413, { connection: 'close' });
  const streamed = bodyLimit({ maxSize, onError: tooLarge });
  return (c, next) => {
    if (c.req.header('transfer-encoding') !== undefined) return streamed(c, next);
    const length = c.req.header('content-length');
    if (length === undefined) return next();
    return Number(length) > maxSize ? Promise.resolve(tooLarge(c)) : next();
  };
}
