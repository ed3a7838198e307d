// The marketplaces' reconciliation on demand (admins): what the periodic sweep does, as a report,
// and with `fix` also destroying labelled instances no record knows.
import { createRoute, z } from '@hono/zod-openapi';
import type { ServerDeps } from '../../deps.js';
import { ApiError } from '../../errors.js';
import { errors, json, secured, type ApiApp } from '../openapi.js';

const Finding = z.object({
  provider: z.string(),
  contract_id: z.string().nullable(),
  reservation_id: z.string().nullable(),
  finding: z.string(),
  action: z.string(),
});

export function cloudRoutes(app: ApiApp, deps: ServerDeps): void {
  const report = json(z.object({ findings: z.array(Finding), errors: z.array(z.string()) }));
  app.openapi(
    createRoute({
      method: 'post',
      path: '/api/v1/cloud/reconcile',
      security: secured,
      // `?fix=true` rather than a body: `curl -X POST …/reconcile` alone is the report.
      request: { query: z.object({ fix: z.enum(['true', 'false']).optional() }) },
      responses: { 200: { description: 'what was found, and done', ...report }, ...errors },
    }),
    async (c) => {
      if (!c.get('user').isAdmin)
        throw new ApiError('PERMISSION_DENIED', 'only an admin may reconcile the marketplaces');
      const { findings, errors: failures } = await deps.service.sweepCloud(c.req.valid('query').fix === 'true');
      return c.json(
        {
          findings: findings.map((f) => ({
            provider: f.provider,
            contract_id: f.contractId,
            reservation_id: f.reservationId,
            finding: f.finding,
            action: f.action,
          })),
          errors: failures,
        },
        200,
      );
    },
  );
}
