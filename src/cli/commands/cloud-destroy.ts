// `canhazgpu cloud destroy CONTRACT_ID [--provider NAME]`: ends one of the caller's reservations
// (the provider is looked up among them when not given) and says what it cost.
import { CanhazError, UsageError } from '../../domain/errors.js';
import type { Context } from '../context.js';
import { usd } from '../cloud/offer-table.js';
import { serverClient } from '../cloud/server-client.js';
import { listReservations } from './cloud-list.js';

export interface CloudDestroyOptions {
  server?: string | undefined;
  provider?: string | undefined;
}

export async function cloudDestroyCommand(contractId: string, o: CloudDestroyOptions, ctx: Context): Promise<number> {
  if (!contractId.trim()) throw new UsageError('cloud destroy wants a contract id (see canhazgpu cloud list)');
  let provider = o.provider;
  if (!provider) {
    const mine = (await listReservations(ctx, o.server)).filter((r) => r.contract_id === contractId);
    if (mine.length === 0) throw new CanhazError(`you hold no reservation ${contractId} (see canhazgpu cloud list)`);
    if (mine.length > 1) {
      throw new UsageError(
        `${contractId} is a contract on ${mine.map((r) => r.provider).join(' and ')}: add --provider`,
      );
    }
    provider = mine[0]!.provider;
  }
  const path = `/api/v1/gpu/instances/${encodeURIComponent(provider)}/${encodeURIComponent(contractId)}`;
  const r = (await serverClient(ctx.env, o.server).call('DELETE', path)) as { amount_charged: number };
  ctx.stdout.write(`Destroyed ${provider}/${contractId} (charged ${usd(r.amount_charged)})\n`);
  return 0;
}
