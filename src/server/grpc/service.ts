// The gRPC API (package gpuproxy, service GPUProxyService) on Connect, over HTTP/2: the same
// GpuService as HTTP, with credentials from the x-api-key or authorization metadata.
import { create } from '@bufbuild/protobuf';
import { Code, ConnectError, createContextKey, type ConnectRouter, type HandlerContext } from '@connectrpc/connect';
import type { GpuInstance as Instance, InstanceFilters } from '../../domain/instances.js';
import {
  CreateAPIKeyResponseSchema,
  DestroyGPUInstanceResponseSchema,
  GetLoadInfoResponseSchema,
  GetTransactionsResponseSchema,
  GPUInstanceSchema,
  GPUProxyService,
  HealthCheckResponseSchema,
  ListGPUInstancesResponseSchema,
  LoadInfoSchema,
  LoginResponseSchema,
  ReserveGPUsResponseSchema,
  SetLoadBalancerStrategyResponseSchema,
  TransactionSchema,
} from '../../gen/gpuproxy_pb.js';
import type { User } from '../records/ports.js';
import type { ServerDeps } from '../deps.js';
import { API_STATUS, ApiError, apiErrorOf } from '../errors.js';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../request-limits.js';
import { GpuService } from '../service/gpu-service.js';

/** Domain failures become their gRPC status; anything else is INTERNAL without its insides. */
async function guarded<T>(deps: ServerDeps, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ConnectError) throw err;
    // The store's cause was logged once when it began failing (store-watch.ts), not per call.
    const api = apiErrorOf(err);
    if (api) throw new ConnectError(api.message, API_STATUS[api.code].grpc as Code);
    deps.log.error(err);
    throw new ConnectError('internal error', Code.Internal);
  }
}

const toProto = (i: Instance) =>
  create(GPUInstanceSchema, {
    id: i.id,
    provider: i.provider,
    status: i.status,
    pricePerHour: i.pricePerHour,
    vramGb: Math.round(i.vramGb),
    gpuModel: i.gpuModel,
    numGpus: i.numGpus,
    location: i.location,
    metadata: i.metadata,
  });

/** The caller's address, for the login limit; set by the adapter in serve.ts. */
export const PEER_ADDRESS = createContextKey<string>('unknown', { description: 'remote address' });

interface FilterFields {
  provider?: string;
  minVram?: number;
  maxPrice?: number;
  gpuModel?: string;
  location?: string;
  numGpus?: number;
}

/**
 * proto3 has no "unset" for numbers: 0 and empty strings mean "no filter" (NaN is refused, as over
 * HTTP); `num_gpus` 0 is 1 GPU per instance, as HTTP's default.
 */
function filters(f: FilterFields): InstanceFilters {
  return {
    numGpus: f.numGpus || 1,
    ...(f.provider ? { provider: f.provider } : {}),
    ...(f.minVram !== undefined && f.minVram !== 0 ? { minVramGb: f.minVram } : {}),
    ...(f.maxPrice !== undefined && f.maxPrice !== 0 ? { maxPricePerHour: f.maxPrice } : {}),
    ...(f.gpuModel ? { gpuModel: f.gpuModel } : {}),
    ...(f.location ? { location: f.location } : {}),
  };
}

export function gpuProxyRoutes(deps: ServerDeps) {
  const { service, identity, limiter } = deps;
  const caller = async (ctx: HandlerContext): Promise<User> => {
    const c = await identity.authenticate(
      ctx.requestHeader.get('x-api-key') ?? undefined,
      ctx.requestHeader.get('authorization') ?? undefined,
    );
    limiter.take(c.bucket);
    return c.user;
  };

  return (router: ConnectRouter) =>
    router.service(GPUProxyService, {
      reserveGPUs: (req, ctx) =>
        guarded(deps, async () => {
          const user = await caller(ctx);
          const outcome = await service.reserve(user, {
            count: req.count,
            filters: filters(req),
            ...(req.durationHours ? { durationHours: req.durationHours } : {}),
            allOrNothing: req.allOrNothing,
          });
          return create(ReserveGPUsResponseSchema, {
            reservedInstances: outcome.reserved.map((r) => toProto(r.instance)),
            reservedCount: outcome.reserved.length,
            message: outcome.message,
            errors: outcome.errors,
            totalPricePerHour: outcome.totalPricePerHour,
            costEstimate: GpuService.costs(outcome.totalPricePerHour),
            totalGpus: outcome.reserved.reduce((n, r) => n + r.instance.numGpus, 0),
          });
        }),
      listGPUInstances: (req, ctx) =>
        guarded(deps, async () => {
          await caller(ctx);
          const { instances, answers } = await service.listWithAnswers(filters(req));
          return create(ListGPUInstancesResponseSchema, {
            instances: instances.map(toProto),
            totalCount: instances.length,
            providers: answers,
          });
        }),
      destroyGPUInstance: (req, ctx) =>
        guarded(deps, async () => {
          const user = await caller(ctx);
          await service.destroy(user, req.provider, req.instanceId);
          return create(DestroyGPUInstanceResponseSchema, {
            success: true,
            message: `Released ${req.instanceId} on ${req.provider}`,
          });
        }),
      setLoadBalancerStrategy: (req, ctx) =>
        guarded(deps, async () => {
          const user = await caller(ctx);
          if (!user.isAdmin) throw new ApiError('PERMISSION_DENIED', 'only an admin may change the strategy');
          const strategy = await service.setStrategy(req.strategy);
          return create(SetLoadBalancerStrategyResponseSchema, { strategy, success: true });
        }),
      getLoadInfo: (req, ctx) =>
        guarded(deps, async () => {
          await caller(ctx);
          // `type` picks the lists: server (per provider/host), provider, or all (empty, as proto3 leaves it unset).
          const type = req.type || 'all';
          if (!['server', 'provider', 'all'].includes(type)) {
            throw new ApiError('INVALID_ARGUMENT', `unknown type '${type}': use server, provider or all`);
          }
          const loads = await service.loads();
          const out = (l: (typeof loads.server)[number]) =>
            create(LoadInfoSchema, {
              instanceId: l.instanceId,
              provider: l.provider,
              connections: l.connections,
              avgResponseTimeMs: l.avgResponseTimeMs,
              loadScore: l.loadScore,
            });
          return create(GetLoadInfoResponseSchema, {
            serverLoad: type === 'provider' ? [] : loads.server.map(out),
            providerLoad: type === 'server' ? [] : loads.provider.map(out),
            currentStrategy: service.strategy,
          });
        }),
      getTransactions: (req, ctx) =>
        guarded(deps, async () => {
          const user = await caller(ctx);
          if (req.limit < 0 || req.limit > MAX_PAGE_SIZE || req.offset < 0) {
            const why = `limit must be 0 to ${MAX_PAGE_SIZE} (0 for ${DEFAULT_PAGE_SIZE}) and offset at least 0`;
            throw new ApiError('INVALID_ARGUMENT', why);
          }
          await service.reconcile(user.id);
          const { items, total } = await service.transactions(user, req.limit || DEFAULT_PAGE_SIZE, req.offset);
          return create(GetTransactionsResponseSchema, {
            transactions: items.map((t) =>
              create(TransactionSchema, {
                id: t.id,
                type: t.type,
                amount: t.amount,
                currency: t.currency,
                timestamp: BigInt(Math.floor(t.timestamp / 1000)),
                status: t.status,
                description: t.description,
              }),
            ),
            totalCount: total,
          });
        }),
      login: (req, ctx) =>
        guarded(deps, async () => {
          const { token, user } = await identity.login(req.email, req.password, ctx.values.get(PEER_ADDRESS));
          return create(LoginResponseSchema, { token, userId: user.id, email: user.email });
        }),
      createAPIKey: (req, ctx) =>
        guarded(deps, async () => {
          let user: User;
          if (req.token) {
            const c = await identity.authenticate(undefined, `Bearer ${req.token}`);
            limiter.take(c.bucket);
            user = c.user;
          } else {
            user = await caller(ctx);
          }
          const { key, record } = await deps.createApiKey(user, req.name);
          return create(CreateAPIKeyResponseSchema, {
            apiKey: key,
            name: record.name,
            createdAt: BigInt(Math.floor(record.createdAt / 1000)),
          });
        }),
      healthCheck: () =>
        guarded(deps, async () =>
          create(HealthCheckResponseSchema, {
            status: 'ok',
            timestamp: BigInt(Math.floor(deps.clock.now() / 1000)),
            details: { providers: service.providerNames().join(','), strategy: service.strategy },
          }),
        ),
    });
}
