// The server's reservations and the ledger in memory.
import { randomUUID } from 'node:crypto';
import { chargeFor } from '../charge.js';
import type { HostCount, ReservationRecords, ServerReservation } from '../ports.js';
import { cloudEnded, cloudStarted } from './cloud.js';
import { copy, reservationKey, type Tables } from './tables.js';

export class MemoryReservations implements ReservationRecords {
  constructor(private readonly t: Tables) {}

  async addReservation(r: ServerReservation) {
    return this.addReservations([r]);
  }

  async addReservations(list: ServerReservation[]) {
    const keys = list.map((r) => reservationKey(r.provider, r.contractId));
    // All or none: every one is checked before any is kept, as SQLite's transaction would.
    if (keys.some((k, i) => this.t.reservations.has(k) || keys.indexOf(k) !== i)) {
      throw new Error('a reservation of this provider and contract id is already recorded');
    }
    if (list.some((r) => !this.t.users.has(r.userId))) throw new Error('a reservation of no known user');
    list.forEach((r, i) => {
      this.t.reservations.set(keys[i]!, copy(r));
      cloudStarted(this.t, r.provider, r.contractId, r.createdAt);
    });
  }

  async reservation(provider: string, contractId: string) {
    const r = this.t.reservations.get(reservationKey(provider, contractId));
    return r ? copy(r) : null;
  }

  async activeReservations(userId?: string) {
    return active(this.t)
      .filter((r) => userId === undefined || r.userId === userId)
      .sort((a, b) => a.createdAt - b.createdAt)
      .map(copy);
  }

  async recordedActive(provider: string, contractIds: readonly string[]) {
    const isActive = (id: string) => this.t.reservations.get(reservationKey(provider, id))?.endedAt === null;
    return new Set(contractIds.filter(isActive));
  }

  countByProvider(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const r of this.t.reservations.values()) counts.set(r.provider, (counts.get(r.provider) ?? 0) + 1);
    return counts;
  }

  activeCountsByHost(): HostCount[] {
    const counts = new Map<string, HostCount>();
    for (const r of active(this.t)) {
      const key = reservationKey(r.provider, r.instance.location);
      const entry = counts.get(key) ?? { provider: r.provider, location: r.instance.location, n: 0 };
      entry.n += 1;
      counts.set(key, entry);
    }
    return [...counts.values()];
  }

  async setInstanceState(provider: string, contractId: string, status: string, metadata: Record<string, string>) {
    const kept = this.t.reservations.get(reservationKey(provider, contractId));
    if (!kept || kept.endedAt !== null) return;
    kept.instance = { ...kept.instance, status, metadata: { ...kept.instance.metadata, ...copy(metadata) } };
  }

  async endReservation(r: ServerReservation, endedAt: number) {
    const kept = this.t.reservations.get(reservationKey(r.provider, r.contractId));
    if (!kept || kept.endedAt !== null) return null;
    kept.endedAt = endedAt;
    cloudEnded(this.t, r.provider, r.contractId, endedAt);
    const charge = chargeFor(r, endedAt, randomUUID());
    this.t.ledger.push(charge);
    return copy(charge);
  }

  async transactions(userId: string, limit: number, offset: number) {
    const mine = this.t.ledger
      .filter((t) => t.userId === userId)
      .sort((a, b) => b.timestamp - a.timestamp || (a.id < b.id ? -1 : 1));
    return { items: mine.slice(offset, offset + limit).map(copy), total: mine.length };
  }
}

const active = (t: Tables) => [...t.reservations.values()].filter((r) => r.endedAt === null);
