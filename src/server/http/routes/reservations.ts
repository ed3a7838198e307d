// The caller's active reservations, with what each has cost so far.
import { createRoute, z } from '@hono/zod-openapi';
import type { ServerDeps } from '../../deps.js';
import { instanceJson, reservationJson } from '../json.js';
import { errors, json, secured, type ApiApp } from '../openapi.js';
import { Reservation } from '../schemas.js';

export function reservationRoutes(app: ApiApp, deps: ServerDeps): void {
  const listed = json(z.object({ reservations: z.array(Reservation) }));
  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/v1/gpu/reservations',
      security: secured,
      responses: { 200: { description: "the caller's active reservations", ...listed }, ...errors },
    }),
    async (c) => {
      const now = deps.clock.now();
      const list = await deps.service.reconcile(c.get('user').id);
      return c.json(
        {
          reservations: list.map((r) => ({ ...reservationJson(r, now), instance: instanceJson(r.instance) })),
        },
        200,
      );
    },
  );
}
