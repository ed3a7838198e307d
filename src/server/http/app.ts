// The HTTP API on Hono: JSON in snake_case, one clear sentence per error, OpenAPI at /openapi.json.
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { getConnInfo } from '@hono/node-server/conninfo';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import type { Context, MiddlewareHandler } from 'hono';
import type { InstanceFilters } from '../../domain/instances.js';
import type { User } from '../records/ports.js';
import { API_STATUS, ApiError, apiErrorOf } from '../errors.js';
import { GpuService } from '../service/gpu-service.js';
import type { ServerDeps } from '../deps.js';
import { dashboardHtml } from '../dashboard/page.js';
import {
  ApiKeyBody, DestroyParams, ErrorBody, Instance, InstanceQuery, LoadInfo, LoginBody, Reservation, ReserveRequest, ReserveResponse,
  StrategyBody, Transaction, TransactionsQuery,
} from './schemas.js';
import { IdempotencyCache } from './idempotency.js';
import { creationErrorJson, errorJson, instanceJson, reservationJson } from './json.js';
import { allowedHostsOnly } from './allowed-hosts.js';
import { observeRequests } from './middleware/observe.js';

type Env = { Variables: { user: User } };

const MAX_BODY_BYTES = 64 * 1024;

function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid request';
  const where = issue.path.length ? `${issue.path.join('.')}: ` : '';
  return `${where}${issue.message}`;
}

const json = <T extends z.ZodTypeAny>(schema: T) => ({ content: { 'application/json': { schema } } });
const errors = { 400: { description: 'bad request', ...json(ErrorBody) }, 401: { description: 'no valid key', ...json(ErrorBody) } };
const secured: Array<Record<string, string[]>> = [{ ApiKey: [] }, { Bearer: [] }];

/**
 * Bodies over `maxSize` are 413. Hono's bodyLimit reads `c.req.raw.body`, which makes
 * @hono/node-server build a full web Request (streams, abort signal) for every request; a declared
 * Content-Length, or no body at all, is judged from the headers alone, and only a chunked body is
 * counted as it streams in.
 */
function limitBody(maxSize: number): MiddlewareHandler {
  // The rest of the body is never read: the connection must not carry another request (node-server
  // would otherwise cut it under whatever request comes next on it).
  const tooLarge = (c: Context) => c.json({ error: `request body over ${maxSize} bytes` }, 413, { connection: 'close' });
  const streamed = bodyLimit({ maxSize, onError: tooLarge });
  return (c, next) => {
    if (c.req.header('transfer-encoding') !== undefined) return streamed(c, next);
    const length = c.req.header('content-length');
    if (length === undefined) return next();
    return Number(length) > maxSize ? Promise.resolve(tooLarge(c)) : next();
  };
}

/**
 * Every body this API takes is JSON. Seed 004's `curl -d '{"strategy": ...}'` sends it with curl's
 * default form type, and scripts copy that: a body sent as a form, or with no type, is read as JSON
 * (and is 400 when it is not JSON). Other declared types stay 415.
 */
const formBodiesAreJson: MiddlewareHandler = async (c, next) => {
  const type = c.req.header('content-type');
  const hasBody = c.req.header('content-length') !== undefined || c.req.header('transfer-encoding') !== undefined;
  if (hasBody && (type === undefined || /^application\/x-www-form-urlencoded\s*(;|$)/i.test(type))) {
    const headers = new Headers(c.req.raw.headers);
    headers.set('content-type', 'application/json');
    c.req.raw = new Request(c.req.raw, { headers });
  }
  await next();
};

export function filtersFrom(q: { provider?: string | undefined; min_vram?: number | undefined; max_price?: number | undefined; gpu_model?: string | undefined; location?: string | undefined }): InstanceFilters {
  return {
    ...(q.provider ? { provider: q.provider } : {}),
    ...(q.min_vram !== undefined ? { minVramGb: q.min_vram } : {}),
    ...(q.max_price !== undefined ? { maxPricePerHour: q.max_price } : {}),
    ...(q.gpu_model ? { gpuModel: q.gpu_model } : {}),
    ...(q.location ? { location: q.location } : {}),
  };
}

export function createHttpApp(deps: ServerDeps): OpenAPIHono<Env> {
  const { service, identity, limiter } = deps;
  const idempotency = new IdempotencyCache(deps.clock);
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

  // Everything under /api/v1 needs a caller, except logging in.
  app.use('/api/v1/*', async (c, next) => {
    if (c.req.path === '/api/v1/auth/login' || (c.req.path === '/api/v1/dashboard' && deps.openDashboard)) return next();
    const caller = await identity.authenticate(c.req.header('x-api-key'), c.req.header('authorization'));
    limiter.take(caller.bucket);
    c.set('user', caller.user);
    await next();
  });

  app.openapi(createRoute({
    method: 'post', path: '/api/v1/gpu/instances/reserve', security: secured,
    request: { body: { ...json(ReserveRequest), required: true } },
    responses: { 201: { description: 'reserved (maybe partly)', ...json(ReserveResponse) }, ...errors, 409: { description: 'all_or_nothing failed', ...json(ErrorBody) }, 500: { description: 'every creation failed', ...json(ErrorBody) } },
  }), async (c) => {
    const body = c.req.valid('json');
    const user = c.get('user');
    const reserve = async () => {
      const outcome = await service.reserve(user, {
        count: body.count, filters: filtersFrom(body.filters ?? {}),
        ...(body.duration_hours !== undefined ? { durationHours: body.duration_hours } : {}),
        ...(body.all_or_nothing !== undefined ? { allOrNothing: body.all_or_nothing } : {}),
      });
      return {
        reserved_instances: outcome.reserved.map((r) => instanceJson(r.instance)), reserved_count: outcome.reserved.length,
        requested: outcome.requested, message: outcome.message, errors: outcome.errors.map(creationErrorJson),
        total_price_per_hour: outcome.totalPricePerHour, cost_estimate: GpuService.costs(outcome.totalPricePerHour),
      };
    };
    const key = c.req.header('idempotency-key');
    const result = key ? await idempotency.once(`${user.id}:${key}`, body, reserve) : await reserve();
    return c.json(result, 201);
  });

  app.openapi(createRoute({
    method: 'get', path: '/api/v1/gpu/instances', security: secured, request: { query: InstanceQuery },
    responses: { 200: { description: 'instances that can be reserved', ...json(z.object({ instances: z.array(Instance), total_count: z.number() })) }, ...errors },
  }), async (c) => {
    const instances = await service.listInstances(filtersFrom(c.req.valid('query')));
    return c.json({ instances: instances.map(instanceJson), total_count: instances.length }, 200);
  });

  app.openapi(createRoute({
    method: 'get', path: '/api/v1/gpu/reservations', security: secured,
    responses: { 200: { description: "the caller's active reservations", ...json(z.object({ reservations: z.array(Reservation) })) }, ...errors },
  }), async (c) => {
    const now = deps.clock.now();
    const list = await service.reconcile(c.get('user').id);
    return c.json({
      reservations: list.map((r) => ({ ...reservationJson(r, now), instance: instanceJson(r.instance) })),
    }, 200);
  });

  app.openapi(createRoute({
    method: 'delete', path: '/api/v1/gpu/instances/{provider}/{contract_id}', security: secured,
    request: { params: DestroyParams },
    responses: { 200: { description: 'destroyed', ...json(z.object({ success: z.boolean(), message: z.string(), amount_charged: z.number() })) }, ...errors, 403: { description: "another user's", ...json(ErrorBody) }, 404: { description: 'no such reservation', ...json(ErrorBody) } },
  }), async (c) => {
    const { provider, contract_id } = c.req.valid('param');
    const { transaction } = await service.destroy(c.get('user'), provider, contract_id);
    return c.json({ success: true, message: `Released ${contract_id} on ${provider}`, amount_charged: transaction?.amount ?? 0 }, 200);
  });

  const strategyResponse = { 200: { description: 'the strategy', ...json(z.object({ strategy: z.string(), success: z.boolean() })) }, ...errors };
  app.openapi(createRoute({ method: 'get', path: '/api/v1/loadbalancer/strategy', security: secured, responses: strategyResponse }),
    (c) => c.json({ strategy: service.strategy, success: true }, 200));
  app.openapi(createRoute({
    method: 'put', path: '/api/v1/loadbalancer/strategy', security: secured,
    request: { body: { ...json(StrategyBody), required: true } }, responses: { ...strategyResponse, 403: { description: 'admins only', ...json(ErrorBody) } },
  }), async (c) => {
    if (!c.get('user').isAdmin) throw new ApiError('PERMISSION_DENIED', 'only an admin may change the strategy');
    return c.json({ strategy: await service.setStrategy(c.req.valid('json').strategy), success: true }, 200);
  });

  app.openapi(createRoute({
    method: 'get', path: '/api/v1/loadbalancer/loads', security: secured,
    responses: { 200: { description: 'loads', ...json(z.object({ server_load: z.array(LoadInfo), provider_load: z.array(LoadInfo), current_strategy: z.string() })) }, ...errors },
  }), async (c) => {
    const loads = await service.loads();
    const out = (l: (typeof loads.server)[number]) => ({ instance_id: l.instanceId, provider: l.provider, connections: l.connections, avg_response_time_ms: l.avgResponseTimeMs, load_score: l.loadScore });
    return c.json({ server_load: loads.server.map(out), provider_load: loads.provider.map(out), current_strategy: service.strategy }, 200);
  });

  app.openapi(createRoute({
    method: 'get', path: '/api/v1/billing/transactions', security: secured, request: { query: TransactionsQuery },
    responses: { 200: { description: "the caller's ledger", ...json(z.object({ transactions: z.array(Transaction), total_count: z.number() })) }, ...errors },
  }), async (c) => {
    const { limit, offset } = c.req.valid('query');
    await service.reconcile(c.get('user').id);
    const { items, total } = await service.transactions(c.get('user'), limit, offset);
    return c.json({
      transactions: items.map((t) => ({ id: t.id, type: t.type, amount: t.amount, currency: t.currency, timestamp: Math.floor(t.timestamp / 1000), status: t.status, description: t.description })),
      total_count: total,
    }, 200);
  });

  app.openapi(createRoute({
    method: 'post', path: '/api/v1/auth/login', request: { body: { ...json(LoginBody), required: true } },
    responses: { 200: { description: 'a signed token', ...json(z.object({ token: z.string(), user_id: z.string(), email: z.string(), expires_in: z.number() })) }, ...errors },
  }), async (c) => {
    const { email, password } = c.req.valid('json');
    const { token, user } = await identity.login(email, password, getConnInfo(c).remote.address ?? 'unknown');
    return c.json({ token, user_id: user.id, email: user.email, expires_in: 12 * 3600 }, 200);
  });

  app.openapi(createRoute({
    method: 'post', path: '/api/v1/auth/apikey', security: secured, request: { body: { ...json(ApiKeyBody), required: true } },
    responses: { 201: { description: 'the new key, shown once', ...json(z.object({ api_key: z.string(), name: z.string(), created_at: z.number() })) }, ...errors },
  }), async (c) => {
    const { key, record } = await deps.createApiKey(c.get('user'), c.req.valid('json').name);
    return c.json({ api_key: key, name: record.name, created_at: Math.floor(record.createdAt / 1000) }, 201);
  });

  app.openapi(createRoute({
    method: 'get', path: '/api/v1/status', security: secured,
    responses: { 200: { description: 'the pool, as `canhazgpu status --json`', ...json(z.array(z.record(z.string(), z.unknown()))) }, ...errors },
  }), async (c) => c.json((await deps.poolStatus()) as Array<Record<string, never>>, 200));

  app.get('/api/v1/dashboard', async (c) => c.json(await deps.dashboard()));
  app.openapi(createRoute({
    method: 'get', path: '/health',
    responses: {
      200: { description: 'the server runs', ...json(z.object({ status: z.string(), timestamp: z.number() })) },
    },
  }), (c) => c.json({ status: 'ok', timestamp: Math.floor(deps.clock.now() / 1000) }, 200));
  app.openapi(createRoute({
    method: 'get', path: '/ready',
    responses: {
      200: { description: "the pool's store and the accounts answer", ...json(z.object({ status: z.string() })) },
      503: { description: 'which of them does not', ...json(ErrorBody) },
    },
  }), async (c) => {
    const trouble = await deps.notReady();
    return trouble ? c.json({ error: trouble }, 503) : c.json({ status: 'ready' }, 200);
  });
  app.get('/metrics', async (c) => {
    // Its series name every holder: beyond loopback, like the dashboard's data, only for callers with a key
    // (Prometheus sends one with `authorization: {credentials: <key>}`).
    if (!deps.openDashboard) await identity.authenticate(c.req.header('x-api-key'), c.req.header('authorization'));
    return c.text(await deps.metrics.render(), 200, { 'content-type': deps.metrics.contentType });
  });
  app.get('/', (c) => c.html(dashboardHtml()));
  app.openAPIRegistry.registerComponent('securitySchemes', 'ApiKey', { type: 'apiKey', in: 'header', name: 'X-API-Key' });
  app.openAPIRegistry.registerComponent('securitySchemes', 'Bearer', { type: 'http', scheme: 'bearer' });
  app.doc('/openapi.json', { openapi: '3.0.0', info: { title: 'canhazgpu', version: '0.1.0' } });
  return app;
}
