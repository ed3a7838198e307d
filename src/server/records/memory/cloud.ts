// Cloud reservations in memory (CloudRecords in ../ports.ts), moved as SQLite's cloud.ts moves them.
import type { CloudRecords, CloudReservation, CloudState } from '../ports.js';
import { copy, type Tables } from './tables.js';

function move(t: Tables, provider: string, contractId: string, from: CloudState[], to: CloudState, now: number) {
  for (const c of t.cloud.values()) {
    if (c.provider === provider && c.contractId === contractId && from.includes(c.state)) {
      c.state = to;
      c.updatedAt = now;
    }
  }
}

/** Within addReservations: the creation with this contract id now runs. */
export const cloudStarted = (t: Tables, provider: string, contractId: string, now: number) =>
  move(t, provider, contractId, ['creating'], 'running', now);

/** Within endReservation: the provider confirmed its end. */
export const cloudEnded = (t: Tables, provider: string, contractId: string, now: number) =>
  move(t, provider, contractId, ['running', 'destroying'], 'destroyed', now);

export class MemoryCloud implements CloudRecords {
  constructor(private readonly t: Tables) {}

  async addCloudReservation(c: CloudReservation) {
    if (this.t.cloud.has(c.id)) throw new Error('a cloud reservation of this id is already recorded');
    if (!this.t.users.has(c.userId)) throw new Error('a reservation of no known user');
    this.t.cloud.set(c.id, copy(c));
  }

  async setCloudContract(id: string, contractId: string, now: number) {
    const c = this.t.cloud.get(id);
    if (!c) return;
    c.contractId = contractId;
    c.updatedAt = now;
  }

  async moveCloudReservation(id: string, from: CloudState[], to: CloudState, now: number, error?: string) {
    const c = this.t.cloud.get(id);
    if (!c || !from.includes(c.state)) return false;
    c.state = to;
    c.updatedAt = now;
    if (error !== undefined) c.error = error;
    return true;
  }

  async cloudReservation(id: string) {
    const c = this.t.cloud.get(id);
    return c ? copy(c) : null;
  }

  async cloudReservationByContract(provider: string, contractId: string) {
    const found = [...this.t.cloud.values()]
      .filter((c) => c.provider === provider && c.contractId === contractId)
      .sort((a, b) => b.createdAt - a.createdAt);
    return found[0] ? copy(found[0]) : null;
  }

  async cloudReservations(states: CloudState[], provider?: string) {
    return [...this.t.cloud.values()]
      .filter((c) => states.includes(c.state) && (provider === undefined || c.provider === provider))
      .sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1))
      .map(copy);
  }
}
