// `canhazgpu cloud list [--json]`: the caller's reservations on the server, with what each has cost.
import type { Context } from '../context.js';
import { columns, connectHint, usd, type InstanceJson } from '../cloud/offer-table.js';
import { serverClient } from '../cloud/server-client.js';

export interface CloudListOptions {
  server?: string | undefined;
  json: boolean;
}

export interface ReservationJson {
  contract_id: string;
  provider: string;
  price_per_hour: number;
  created_at: number;
  expires_at: number;
  cost_so_far: number;
  instance: InstanceJson;
}

export async function listReservations(ctx: Context, server: string | undefined): Promise<ReservationJson[]> {
  const answer = (await serverClient(ctx.env, server).call('GET', '/api/v1/gpu/reservations')) as {
    reservations: ReservationJson[];
  };
  return answer.reservations;
}

export async function cloudListCommand(o: CloudListOptions, ctx: Context): Promise<number> {
  const list = await listReservations(ctx, o.server);
  if (o.json) {
    ctx.stdout.write(`${JSON.stringify({ reservations: list }, null, 2)}\n`);
    return 0;
  }
  if (list.length === 0) {
    ctx.stdout.write('No active reservations\n');
    return 0;
  }
  const rows = list.map((r) => [
    r.provider,
    r.contract_id,
    `${r.instance.gpu_model} x${r.instance.num_gpus}`,
    `${usd(r.price_per_hour)}/h`,
    new Date(r.expires_at * 1000).toISOString().replace(/\.000Z$/, 'Z'),
    usd(r.cost_so_far),
    connectHint(r.instance),
  ]);
  ctx.stdout.write(columns([['PROVIDER', 'CONTRACT', 'GPU', 'PRICE', 'EXPIRES', 'COST SO FAR', 'CONNECT'], ...rows]));
  return 0;
}
