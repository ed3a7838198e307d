// The pool's wait queue, as `canhazgpu queue --json` prints it (an API key or a login token required).
import { createRoute, z } from '@hono/zod-openapi';
import type { ServerDeps } from '../../deps.js';
import { errors, json, secured, type ApiApp } from '../openapi.js';

const Waiter = z.object({
  position: z.number(),
  user: z.string(),
  actual_user: z.string(),
  gpus: z.number(),
  gpu_ids: z.array(z.number()).nullable(),
  type: z.enum(['run', 'manual']),
  note: z.string().nullable(),
  waiting_since: z.string().nullable(),
  waited_seconds: z.number(),
  wait_until: z.string().nullable(),
  estimated_start: z.string().nullable(),
  backfilled_ahead: z.array(
    z.object({ user: z.string(), gpus: z.array(z.number()), at: z.string().nullable(), until: z.string().nullable() }),
  ),
});

export function queueRoutes(app: ApiApp, deps: ServerDeps): void {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/v1/queue',
      security: secured,
      responses: {
        200: {
          description: 'the requests waiting for GPUs, as `canhazgpu queue --json`',
          ...json(z.object({ waiting: z.array(Waiter) })),
        },
        ...errors,
      },
    }),
    async (c) => c.json(await deps.poolQueue(), 200),
  );
}
