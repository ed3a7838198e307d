// Times every HTTP request: its route's metrics and one log line. The route (not the path) labels
// the metrics, so series do not grow with every contract id.
import type { MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import type { ServerDeps } from '../../deps.js';

export function observeRequests(deps: Pick<ServerDeps, 'clock' | 'metrics' | 'log'>): MiddlewareHandler {
  return async (c, next) => {
    const started = performance.now();
    await next();
    const ms = performance.now() - started;
    const { method, path } = c.req;
    deps.metrics.observeRequest(method, routePath(c) || path, c.res.status, ms / 1000);
    const time = new Date(deps.clock.now()).toISOString();
    deps.log.request({ time, method, path, status: c.res.status, ms: Math.round(ms * 100) / 100 });
  };
}
