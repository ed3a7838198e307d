// GPU-hours per user over the last days, the same document as `canhazgpu report --json`.
import { createRoute, z } from '@hono/zod-openapi';
import { DEFAULT_REPORT_DAYS, MAX_REPORT_DAYS } from '../../../domain/report.js';
import type { ServerDeps } from '../../deps.js';
import { errors, json, secured, type ApiApp } from '../openapi.js';

const ReportQuery = z.object({
  days: z.coerce.number().int().min(1).max(MAX_REPORT_DAYS).default(DEFAULT_REPORT_DAYS),
});

const count = z.number().int();
const Report = z.object({
  from: z.string(),
  to: z.string(),
  days: count,
  total_gpu_hours: z.number(),
  users: z.array(
    z.object({
      user: z.string(),
      gpu_hours: z.number(),
      share: z.number(),
      runs: count,
      manual: count,
      in_progress: count,
      ended: z.object({ expired: count, stale: count, crashed: count, forced: count, timed_out: count }),
    }),
  ),
});

export function reportRoutes(app: ApiApp, deps: ServerDeps): void {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/v1/report',
      security: secured,
      request: { query: ReportQuery },
      responses: {
        200: { description: 'GPU-hours per user, as `canhazgpu report --json`', ...json(Report) },
        ...errors,
      },
    }),
    async (c) => c.json(await deps.poolReport(c.req.valid('query').days), 200),
  );
}
