// The load-balancing strategy (admins change it) and the loads it weighs.
import { createRoute, z } from '@hono/zod-openapi';
import type { ServerDeps } from '../../deps.js';
import { ApiError } from '../../errors.js';
import { loadJson } from '../json.js';
import { errors, json, secured, type ApiApp } from '../openapi.js';
import { ErrorBody, LoadInfo, StrategyBody } from '../schemas.js';

export function loadBalancerRoutes(app: ApiApp, deps: ServerDeps): void {
  const { service } = deps;
  const strategyResponse = {
    200: { description: 'the strategy', ...json(z.object({ strategy: z.string(), success: z.boolean() })) },
    ...errors,
  };
  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/v1/loadbalancer/strategy',
      security: secured,
      responses: strategyResponse,
    }),
    (c) => c.json({ strategy: service.strategy, success: true }, 200),
  );
  app.openapi(
    createRoute({
      method: 'put',
      path: '/api/v1/loadbalancer/strategy',
      security: secured,
      request: { body: { ...json(StrategyBody), required: true } },
      responses: { ...strategyResponse, 403: { description: 'admins only', ...json(ErrorBody) } },
    }),
    async (c) => {
      if (!c.get('user').isAdmin) throw new ApiError('PERMISSION_DENIED', 'only an admin may change the strategy');
      return c.json({ strategy: await service.setStrategy(c.req.valid('json').strategy), success: true }, 200);
    },
  );

  const loads = json(
    z.object({
      server_load: z.array(LoadInfo),
      provider_load: z.array(LoadInfo),
      current_strategy: z.string(),
    }),
  );
  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/v1/loadbalancer/loads',
      security: secured,
      responses: { 200: { description: 'loads', ...loads }, ...errors },
    }),
    async (c) => {
      const { server, provider } = await service.loads();
      return c.json(
        {
          server_load: server.map(loadJson),
          provider_load: provider.map(loadJson),
          current_strategy: service.strategy,
        },
        200,
      );
    },
  );
}
