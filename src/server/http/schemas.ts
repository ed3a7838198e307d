// The HTTP API's JSON shapes (snake_case), as zod schemas that also make /openapi.json.
import { z } from '@hono/zod-openapi';
import {
  DEFAULT_PAGE_SIZE,
  MAX_EMAIL_LENGTH,
  MAX_GPUS_PER_INSTANCE,
  MAX_KEY_NAME_LENGTH,
  MAX_NAME_LENGTH,
  MAX_PAGE_SIZE,
  MAX_PASSWORD_LENGTH,
  MAX_TEXT_LENGTH,
} from '../request-limits.js';

export const ErrorBody = z.object({ error: z.string() }).openapi('Error');

export const Instance = z
  .object({
    id: z.string(),
    provider: z.string(),
    status: z.string(),
    price_per_hour: z.number(),
    vram_gb: z.number(),
    gpu_model: z.string(),
    num_gpus: z.number(),
    location: z.string(),
    metadata: z.record(z.string(), z.string()),
  })
  .openapi('GPUInstance');

// Numbers of a request are checked by the service, so HTTP and gRPC say the same sentence
// (`count must be a whole number from 1 to 16`); the schema checks only that they are numbers.
const aNumber = (what: string) => z.number({ error: `${what} must be a number` });

export const Filters = z
  .object({
    min_vram: aNumber('min_vram').optional(),
    max_price: aNumber('max_price').optional(),
    provider: z.string().max(MAX_NAME_LENGTH).optional(),
    gpu_model: z.string().max(MAX_TEXT_LENGTH).optional(),
    location: z.string().max(MAX_TEXT_LENGTH).optional(),
    num_gpus: aNumber('num_gpus').optional(),
  })
  .strict();

export const ReserveRequest = z
  .object({
    count: aNumber('count'),
    filters: Filters.optional(),
    duration_hours: aNumber('duration_hours').optional(),
    all_or_nothing: z.boolean().optional(),
  })
  .strict()
  .openapi('ReserveRequest');

export const CostEstimate = z.object({
  hourly: z.number(),
  daily: z.number(),
  weekly: z.number(),
  monthly: z.number(),
});

export const ReserveResponse = z
  .object({
    reserved_instances: z.array(Instance),
    reserved_count: z.number(),
    requested: z.number(),
    message: z.string(),
    errors: z.array(z.object({ instance_id: z.string(), provider: z.string(), error: z.string() })),
    total_price_per_hour: z.number(),
    total_gpus: z.number(),
    cost_estimate: CostEstimate,
  })
  .openapi('ReserveResponse');

export const InstanceQuery = z.object({
  provider: z.string().max(MAX_NAME_LENGTH).optional(),
  min_vram: z.coerce.number().finite().min(0).optional(),
  max_price: z.coerce.number().finite().min(0).optional(),
  gpu_model: z.string().max(MAX_TEXT_LENGTH).optional(),
  location: z.string().max(MAX_TEXT_LENGTH).optional(),
  num_gpus: z.coerce.number().int().min(1).max(MAX_GPUS_PER_INSTANCE).optional(),
});

export const Reservation = z.object({
  contract_id: z.string(),
  provider: z.string(),
  instance: Instance,
  price_per_hour: z.number(),
  created_at: z.number(),
  expires_at: z.number(),
  cost_so_far: z.number(),
});

export const DestroyParams = z.object({
  provider: z.string().max(MAX_NAME_LENGTH),
  contract_id: z.string().max(MAX_TEXT_LENGTH),
});

export const StrategyBody = z.object({ strategy: z.string().max(MAX_NAME_LENGTH) }).strict();

export const LoadInfo = z.object({
  instance_id: z.string(),
  provider: z.string(),
  connections: z.number(),
  avg_response_time_ms: z.number(),
  load_score: z.number(),
});

export const Transaction = z.object({
  id: z.string(),
  type: z.string(),
  amount: z.number(),
  currency: z.string(),
  timestamp: z.number(),
  status: z.string(),
  description: z.string(),
});

export const TransactionsQuery = z.object({
  limit: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(DEFAULT_PAGE_SIZE),
  offset: z.coerce.number().int().min(0).default(0),
});

export const LoginBody = z
  .object({
    email: z.string().min(1).max(MAX_EMAIL_LENGTH),
    password: z.string().min(1).max(MAX_PASSWORD_LENGTH),
  })
  .strict();
export const ApiKeyBody = z.object({ name: z.string().min(1).max(MAX_KEY_NAME_LENGTH) }).strict();
