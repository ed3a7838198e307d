// `canhazgpu cloud reserve --count N [filters] [--hours H] [--all-or-nothing] [--json]`: each instance
// reserved, its contract id, how to connect, and what it will cost.
import { UsageError } from '../../domain/errors.js';
import type { Context } from '../context.js';
import { filterFields, number, type FilterFlags } from '../cloud/filters.js';
import { columns, connectHint, usd, type InstanceJson } from '../cloud/offer-table.js';
import { serverClient } from '../cloud/server-client.js';

export interface CloudReserveOptions extends FilterFlags {
  server?: string | undefined;
  count: string;
  hours?: string | undefined;
  allOrNothing: boolean;
  json: boolean;
}

interface ReserveAnswer {
  reserved_instances: InstanceJson[];
  reserved_count: number;
  requested: number;
  message: string;
  errors: Array<{ instance_id: string; provider: string; error: string }>;
  total_price_per_hour: number;
  total_gpus?: number;
}

export async function cloudReserveCommand(o: CloudReserveOptions, ctx: Context): Promise<number> {
  const count = number('--count', o.count, true);
  if (!count) throw new UsageError(`--count must be a whole number of at least 1, got '${o.count}'`);
  const hours = number('--hours', o.hours);
  if (hours === 0) throw new UsageError("--hours must be more than 0, got '0'");
  const client = serverClient(ctx.env, o.server);
  const body = {
    count,
    filters: filterFields(o),
    ...(hours !== undefined ? { duration_hours: hours } : {}),
    ...(o.allOrNothing ? { all_or_nothing: true } : {}),
  };
  const r = (await client.call('POST', '/api/v1/gpu/instances/reserve', body)) as ReserveAnswer;
  if (o.json) {
    ctx.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
    return 0;
  }
  const gpus = r.total_gpus ?? r.reserved_instances.reduce((n, i) => n + i.num_gpus, 0);
  // The server counts instances; a multi-GPU instance is several GPUs.
  ctx.stdout.write(gpus === r.reserved_count ? `${r.message}\n` : `${r.message} (${gpus} GPUs)\n`);
  const rows = r.reserved_instances.map((i) => [
    i.provider,
    i.metadata['contract_id'] ?? '?',
    `${i.gpu_model} x${i.num_gpus}`,
    `${usd(i.price_per_hour)}/h`,
    connectHint(i),
  ]);
  ctx.stdout.write(columns([['PROVIDER', 'CONTRACT', 'GPU', 'PRICE', 'CONNECT'], ...rows]));
  const total = r.total_price_per_hour;
  const over = hours !== undefined ? `, ${usd(total * hours)} for ${hours} h` : `, ${usd(total * 24)} a day`;
  ctx.stdout.write(`Cost estimate: ${usd(total)}/h${over}\n`);
  for (const e of r.errors) ctx.stderr.write(`Warning: ${e.provider} ${e.instance_id} was not created: ${e.error}\n`);
  return 0;
}
