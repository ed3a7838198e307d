// The HTTP API on Hono: JSON in snake_case, one clear sentence per error, OpenAPI at /openapi.json.
// Middleware first, then one module of routes per resource (routes/).
import { OpenAPIHono, type z } from '@hono/zod-openapi';
import { HTTPException } from 'hono/http-exception';
import type { ServerDeps } from '../deps.js';
import { API_STATUS, apiErrorOf } from '../errors.js';
import { allowedHostsOnly } from './allowed-hosts.js';
import { errorJson } from './json.js';
import { authenticate } from './middleware/authenticate.js';
import { formBodiesAreJson } from './middleware/json-bodies.js';
import { limitBody } from './middleware/limit-body.js';
import { observeRequests } from './middleware/observe.js';
import type { ApiApp, Env } from './openapi.js';
import { authRoutes } from './routes/auth.js';
import { billingRoutes } from './routes/billing.js';
import { cloudRoutes } from './routes/cloud.js';
import { instanceRoutes } from './routes/instances.js';
import { loadBalancerRoutes } from './routes/loadbalancer.js';
import { queueRoutes } from './routes/queue.js';
import { reportRoutes } from './routes/report.js';
import { reservationRoutes } from './routes/reservations.js';
import { statusRoutes } from './routes/status.js';

const MAX_BODY_BYTES = 64 * 1024;

function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid request';
  // A sentence that names its field (`count must be a number`) needs no prefix.
  const field = String(issue.path.at(-1) ?? '');
  const where = issue.path.length && !issue.message.startsWith(`${field} `) ? `${issue.path.join('.')}: ` : '';
  return `${where}${issue.message}`;
}

export function createHttpApp(deps: ServerDeps): ApiApp {
  const app = new OpenAPIHono<Env>({
    defaultHook: (result, c) => {
      if (!result.success) return c.json({ error: firstIssue(result.error) }, 400);
    },
  });

  app.use('*', observeRequests(deps));
  if (deps.hostAllowed) app.use('*', allowedHostsOnly(deps.hostAllowed));
  app.use('/api/*', limitBody(MAX_BODY_BYTES), formBodiesAreJson);
  app.onError((err, c) => {
    if (err instanceof HTTPException) return c.json({ error: err.message || 'bad request' }, err.status);
    // The store's cause was logged once when it began failing (store-watch.ts), not per request.
    const api = apiErrorOf(err);
    if (api) return c.json(errorJson(api), API_STATUS[api.code].http);
    deps.log.error(err);
    return c.json({ error: 'internal error' }, 500);
  });
  app.notFound((c) => c.json({ error: `no route for ${c.req.method} ${c.req.path}` }, 404));
  app.use('/api/v1/*', authenticate(deps));

  instanceRoutes(app, deps);
  reservationRoutes(app, deps);
  loadBalancerRoutes(app, deps);
  billingRoutes(app, deps);
  authRoutes(app, deps);
  statusRoutes(app, deps);
  cloudRoutes(app, deps);
  queueRoutes(app, deps);
  reportRoutes(app, deps);

  app.openAPIRegistry.registerComponent('securitySchemes', 'ApiKey', {
    type: 'apiKey',
    in: 'header',
    name: 'X-API-Key',
  });
  app.openAPIRegistry.registerComponent('securitySchemes', 'Bearer', { type: 'http', scheme: 'bearer' });
  app.doc('/openapi.json', { openapi: '3.0.0', info: { title: 'canhazgpu', version: '0.1.0' } });
  return app;
}
