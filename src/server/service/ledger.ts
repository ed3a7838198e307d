// Ending reservations and what they cost: by their owner (or an admin), or because their provider
// no longer holds them (expired, reclaimed); each end writes its real charge to the ledger once.
import type { Clock } from '../../domain/ports.js';
import { ApiError, firstLineOf } from '../errors.js';
import type { ReservationRecords, ServerReservation, Transaction, User } from '../records/ports.js';
import type { CloudLifecycle } from './cloud-lifecycle.js';
import type { ProviderSet } from './providers.js';
import { withTimeout, type ProviderTimeouts } from './timeout.js';

export class Ledger {
  constructor(
    private readonly records: ReservationRecords,
    private readonly providers: ProviderSet,
    private readonly clock: Clock,
    private readonly timeouts: ProviderTimeouts,
    private readonly cloud: CloudLifecycle,
  ) {}

  /** Ends reservations their provider no longer holds (expired, reclaimed), charging up to their end. */
  async reconcile(userId?: string): Promise<ServerReservation[]> {
    const active = await this.records.activeReservations(userId);
    const byProvider = new Map<string, ServerReservation[]>();
    for (const r of active) byProvider.set(r.provider, [...(byProvider.get(r.provider) ?? []), r]);
    const now = this.clock.now();
    const lists = await Promise.all(
      [...byProvider].map(async ([name, list]) => {
        const provider = this.providers.get(name);
        const ids = list.map((r) => r.contractId);
        try {
          const held = provider
            ? await withTimeout(provider.stillHeld(ids), this.timeouts.listMs, `${name}'s list of held contracts`)
            : new Set<string>();
          return { list, held };
        } catch {
          // A provider that cannot say is not taken to have ended anything: its contracts stay, uncharged, until it can.
          return { list, held: new Set(ids) };
        }
      }),
    );
    const still: ServerReservation[] = [];
    for (const { list, held } of lists) {
      for (const r of list) {
        if (held.has(r.contractId)) still.push(r);
        else await this.records.endReservation(r, Math.min(now, r.expiresAt));
      }
    }
    return still;
  }

  /** Only the owner, or an admin, may destroy a reservation. */
  async destroy(user: User, providerName: string, contractId: string): Promise<{ transaction: Transaction | null }> {
    const r = await this.records.reservation(providerName, contractId);
    if (!r || r.endedAt !== null) {
      throw new ApiError('NOT_FOUND', `no active reservation ${contractId} on ${providerName}`);
    }
    if (r.userId !== user.id && !user.isAdmin) {
      // Contract ids others could guess say no more than "not yours"; the id itself is not echoed.
      throw new ApiError('PERMISSION_DENIED', 'that reservation belongs to another user');
    }
    const provider = this.providers.get(providerName);
    // On record before the marketplace is asked: an end it does not confirm is retried by the sweep.
    await this.cloud.ending(providerName, contractId);
    try {
      await provider?.destroy(contractId);
    } catch (err) {
      throw new ApiError(
        'UNAVAILABLE',
        `${providerName} did not confirm the end of ${contractId} (${firstLineOf(err)}); the server retries until it does`,
      );
    }
    return { transaction: await this.records.endReservation(r, Math.min(this.clock.now(), r.expiresAt)) };
  }

  transactions(user: User, limit: number, offset: number) {
    return this.records.transactions(user.id, limit, offset);
  }
}
