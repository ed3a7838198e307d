// Everything under /api/v1 needs a caller (an API key or a login token), within its rate limit,
// except logging in and, when open, the dashboard's data.
import type { MiddlewareHandler } from 'hono';
import type { ServerDeps } from '../../deps.js';
import type { Env } from '../openapi.js';

export function authenticate(deps: Pick<ServerDeps, 'identity' | 'limiter' | 'openDashboard'>): MiddlewareHandler<Env> {
  return async (c, next) => {
    const open = c.req.path === '/api/v1/auth/login' || (c.req.path === '/api/v1/dashboard' && deps.openDashboard);
    if (open) return next();
    const caller = await deps.identity.authenticate(c.req.header('x-api-key'), c.req.header('authorization'));
    deps.limiter.take(caller.bucket);
    c.set('user', caller.user);
    await next();
  };
}
