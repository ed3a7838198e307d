// The dashboard's reservations made through the server: the active ones (this host's pool and the
// marketplaces), and the marketplace ones still being created or ended, each with its state and how to reach it.
import { connectHint } from '../../domain/connect-hint.js';
import type { CloudRecords, CloudState, ServerReservation, UserRecords } from '../records/ports.js';
import { reservationJson } from './json.js';

export interface DashboardReservation {
  /** Null while a marketplace has not answered the creation. */
  contract_id: string | null;
  provider: string;
  user: string;
  gpu_model: string;
  /** The server's record: `creating`, `running`, `destroying`. */
  state: CloudState;
  /** The provider's own word for it (vast `actual_status`), or `available` for this host's pool. */
  status: string;
  price_per_hour: number;
  created_at: number;
  expires_at: number;
  cost_so_far: number;
  /** A line to paste (`ssh -p 4022 root@ssh4.vast.ai`), `this host`, or `-` until the provider says. */
  connect: string;
}

const IN_FLIGHT: CloudState[] = ['creating', 'running', 'destroying'];

export async function dashboardReservations(
  active: ServerReservation[],
  records: Pick<UserRecords, 'userById'> & Pick<CloudRecords, 'cloudReservations'>,
  now: number,
): Promise<DashboardReservation[]> {
  const cloud = await records.cloudReservations(IN_FLIGHT);
  const stateOf = new Map(cloud.flatMap((c) => (c.contractId ? [[`${c.provider}\0${c.contractId}`, c.state]] : [])));
  const names = new Map<string, string>();
  for (const id of new Set([...active.map((r) => r.userId), ...cloud.map((c) => c.userId)]))
    names.set(id, (await records.userById(id))?.name ?? id);
  const held = active.map((r) => ({
    ...reservationJson(r, now),
    user: names.get(r.userId)!,
    gpu_model: r.instance.gpuModel,
    state: stateOf.get(`${r.provider}\0${r.contractId}`) ?? 'running',
    status: r.instance.status,
    connect: connectHint(r.instance),
  }));
  // Not active (yet, or any more): a creation in flight, or an end the marketplace has not confirmed.
  const heldKeys = new Set(active.map((r) => `${r.provider}\0${r.contractId}`));
  const pending = cloud
    .filter((c) => c.state !== 'running' && !heldKeys.has(`${c.provider}\0${c.contractId}`))
    .map((c) => ({
      contract_id: c.contractId,
      provider: c.provider,
      user: names.get(c.userId)!,
      gpu_model: c.offer.gpuModel,
      state: c.state,
      status: c.state === 'creating' ? 'requested' : 'ending',
      price_per_hour: c.pricePerHour,
      created_at: Math.floor(c.createdAt / 1000),
      expires_at: Math.floor(c.expiresAt / 1000),
      cost_so_far: 0,
      connect: '-',
    }));
  return [...held, ...pending];
}
