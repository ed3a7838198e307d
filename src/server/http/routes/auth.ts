// Logging in (a token) and making API keys for oneself.
import { getConnInfo } from '@hono/node-server/conninfo';
import { createRoute, z } from '@hono/zod-openapi';
import type { ServerDeps } from '../../deps.js';
import { TOKEN_LIFETIME_S } from '../../identity.js';
import { errors, json, secured, type ApiApp } from '../openapi.js';
import { ApiKeyBody, LoginBody } from '../schemas.js';

export function authRoutes(app: ApiApp, deps: ServerDeps): void {
  const token = json(z.object({ token: z.string(), user_id: z.string(), email: z.string(), expires_in: z.number() }));
  app.openapi(
    createRoute({
      method: 'post',
      path: '/api/v1/auth/login',
      request: { body: { ...json(LoginBody), required: true } },
      responses: { 200: { description: 'a signed token', ...token }, ...errors },
    }),
    async (c) => {
      const { email, password } = c.req.valid('json');
      const { token, user } = await deps.identity.login(email, password, getConnInfo(c).remote.address ?? 'unknown');
      return c.json({ token, user_id: user.id, email: user.email, expires_in: TOKEN_LIFETIME_S }, 200);
    },
  );

  const key = json(z.object({ api_key: z.string(), name: z.string(), created_at: z.number() }));
  app.openapi(
    createRoute({
      method: 'post',
      path: '/api/v1/auth/apikey',
      security: secured,
      request: { body: { ...json(ApiKeyBody), required: true } },
      responses: { 201: { description: 'the new key, shown once', ...key }, ...errors },
    }),
    async (c) => {
      const { key, record } = await deps.createApiKey(c.get('user'), c.req.valid('json').name);
      return c.json({ api_key: key, name: record.name, created_at: Math.floor(record.createdAt / 1000) }, 201);
    },
  );
}
