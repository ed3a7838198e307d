// GPU instances: reserve some (partial success, Idempotency-Key), list what can be reserved, end one.
import { createRoute, z } from '@hono/zod-openapi';
import type { ServerDeps } from '../../deps.js';
import { GpuService } from '../../service/gpu-service.js';
import { IdempotencyCache } from '../idempotency.js';
import { creationErrorJson, filtersFrom, instanceJson } from '../json.js';
import { errors, json, secured, type ApiApp } from '../openapi.js';
import { DestroyParams, ErrorBody, Instance, InstanceQuery, ReserveRequest, ReserveResponse } from '../schemas.js';

export function instanceRoutes(app: ApiApp, deps: ServerDeps): void {
  const { service } = deps;
  const idempotency = new IdempotencyCache(deps.clock);

  app.openapi(
    createRoute({
      method: 'post',
      path: '/api/v1/gpu/instances/reserve',
      security: secured,
      request: { body: { ...json(ReserveRequest), required: true } },
      responses: {
        201: { description: 'reserved (maybe partly)', ...json(ReserveResponse) },
        ...errors,
        409: { description: 'all_or_nothing failed', ...json(ErrorBody) },
        500: { description: 'every creation failed', ...json(ErrorBody) },
      },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const user = c.get('user');
      const reserve = async () => {
        const outcome = await service.reserve(user, {
          count: body.count,
          filters: filtersFrom(body.filters ?? {}),
          ...(body.duration_hours !== undefined ? { durationHours: body.duration_hours } : {}),
          ...(body.all_or_nothing !== undefined ? { allOrNothing: body.all_or_nothing } : {}),
        });
        return {
          reserved_instances: outcome.reserved.map((r) => instanceJson(r.instance)),
          reserved_count: outcome.reserved.length,
          requested: outcome.requested,
          message: outcome.message,
          errors: outcome.errors.map(creationErrorJson),
          total_price_per_hour: outcome.totalPricePerHour,
          total_gpus: outcome.reserved.reduce((n, r) => n + r.instance.numGpus, 0),
          cost_estimate: GpuService.costs(outcome.totalPricePerHour),
        };
      };
      const key = c.req.header('idempotency-key');
      const result = key ? await idempotency.once(`${user.id}:${key}`, body, reserve) : await reserve();
      return c.json(result, 201);
    },
  );

  const listed = json(
    z.object({
      instances: z.array(Instance),
      total_count: z.number(),
      // Each provider's answer: `ok`, or why it failed (`timed out after 30 s`).
      providers: z.record(z.string(), z.string()),
    }),
  );
  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/v1/gpu/instances',
      security: secured,
      request: { query: InstanceQuery },
      responses: { 200: { description: 'instances that can be reserved', ...listed }, ...errors },
    }),
    async (c) => {
      const { instances, answers } = await service.listWithAnswers(filtersFrom(c.req.valid('query')));
      return c.json({ instances: instances.map(instanceJson), total_count: instances.length, providers: answers }, 200);
    },
  );

  const destroyed = json(z.object({ success: z.boolean(), message: z.string(), amount_charged: z.number() }));
  app.openapi(
    createRoute({
      method: 'delete',
      path: '/api/v1/gpu/instances/{provider}/{contract_id}',
      security: secured,
      request: { params: DestroyParams },
      responses: {
        200: { description: 'destroyed', ...destroyed },
        ...errors,
        403: { description: "another user's", ...json(ErrorBody) },
        404: { description: 'no such reservation', ...json(ErrorBody) },
      },
    }),
    async (c) => {
      const { provider, contract_id } = c.req.valid('param');
      const { transaction } = await service.destroy(c.get('user'), provider, contract_id);
      const message = `Released ${contract_id} on ${provider}`;
      return c.json({ success: true, message, amount_charged: transaction?.amount ?? 0 }, 200);
    },
  );
}
