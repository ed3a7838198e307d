// The caller's ledger: what ending each reservation charged, newest first.
import { createRoute, z } from '@hono/zod-openapi';
import type { ServerDeps } from '../../deps.js';
import { transactionJson } from '../json.js';
import { errors, json, secured, type ApiApp } from '../openapi.js';
import { Transaction, TransactionsQuery } from '../schemas.js';

export function billingRoutes(app: ApiApp, deps: ServerDeps): void {
  const ledger = json(z.object({ transactions: z.array(Transaction), total_count: z.number() }));
  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/v1/billing/transactions',
      security: secured,
      request: { query: TransactionsQuery },
      responses: { 200: { description: "the caller's ledger", ...ledger }, ...errors },
    }),
    async (c) => {
      const { limit, offset } = c.req.valid('query');
      // Reservations their provider ended are charged before the ledger is read.
      await deps.service.reconcile(c.get('user').id);
      const { items, total } = await deps.service.transactions(c.get('user'), limit, offset);
      return c.json({ transactions: items.map(transactionJson), total_count: total }, 200);
    },
  );
}
