// The pool's status, the dashboard and its data, liveness (/health), readiness (/ready) and /metrics.
import { createRoute, z } from '@hono/zod-openapi';
import { dashboardHtml } from '../../dashboard/page.js';
import type { ServerDeps } from '../../deps.js';
import { errors, json, secured, type ApiApp } from '../openapi.js';
import { ErrorBody } from '../schemas.js';

export function statusRoutes(app: ApiApp, deps: ServerDeps): void {
  const pool = json(z.array(z.record(z.string(), z.unknown())));
  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/v1/status',
      security: secured,
      responses: { 200: { description: 'the pool, as `canhazgpu status --json`', ...pool }, ...errors },
    }),
    async (c) => c.json((await deps.poolStatus()) as Array<Record<string, never>>, 200),
  );

  app.get('/api/v1/dashboard', async (c) => c.json(await deps.dashboard()));
  app.openapi(
    createRoute({
      method: 'get',
      path: '/health',
      responses: {
        200: { description: 'the server runs', ...json(z.object({ status: z.string(), timestamp: z.number() })) },
      },
    }),
    (c) => c.json({ status: 'ok', timestamp: Math.floor(deps.clock.now() / 1000) }, 200),
  );
  app.openapi(
    createRoute({
      method: 'get',
      path: '/ready',
      responses: {
        200: { description: "the pool's store and the accounts answer", ...json(z.object({ status: z.string() })) },
        503: { description: 'which of them does not', ...json(ErrorBody) },
      },
    }),
    async (c) => {
      const trouble = await deps.notReady();
      return trouble ? c.json({ error: trouble }, 503) : c.json({ status: 'ready' }, 200);
    },
  );
  app.get('/metrics', async (c) => {
    // Its series name every holder: beyond loopback, like the dashboard's data, only for callers with a key
    // (Prometheus sends one with `authorization: {credentials: <key>}`).
    if (!deps.openDashboard) await deps.identity.authenticate(c.req.header('x-api-key'), c.req.header('authorization'));
    return c.text(await deps.metrics.render(), 200, { 'content-type': deps.metrics.contentType });
  });
  app.get('/', (c) => c.html(dashboardHtml()));
}
