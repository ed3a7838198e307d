// Cloud reservations in the accounts file (CloudRecords in ../ports.ts).
import type { GpuInstance } from '../../../domain/instances.js';
import type { CloudRecords, CloudReservation, CloudState } from '../ports.js';
import type { AccountsDatabase } from './database.js';

interface CloudRow {
  id: string;
  user_id: string;
  provider: string;
  offer_json: string;
  price_per_hour: number;
  created_at: number;
  expires_at: number;
  state: CloudState;
  contract_id: string | null;
  updated_at: number;
  error: string | null;
}

const toCloud = (r: CloudRow): CloudReservation => ({
  id: r.id,
  userId: r.user_id,
  provider: r.provider,
  offer: JSON.parse(r.offer_json) as GpuInstance,
  pricePerHour: r.price_per_hour,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  state: r.state,
  contractId: r.contract_id,
  updatedAt: r.updated_at,
  error: r.error,
});

const marks = (n: number) => Array.from({ length: n }, () => '?').join(', ');

/** Called inside addReservations' write: the creation with this contract id now runs. */
export function cloudStarted(db: AccountsDatabase, provider: string, contractId: string, now: number): void {
  db.sql(`UPDATE cloud_reservations SET state = 'running', updated_at = ?
    WHERE provider = ? AND contract_id = ? AND state = 'creating'`).run(now, provider, contractId);
}

/** Called inside endReservation's write: the provider confirmed its end. */
export function cloudEnded(db: AccountsDatabase, provider: string, contractId: string, now: number): void {
  db.sql(`UPDATE cloud_reservations SET state = 'destroyed', updated_at = ?
    WHERE provider = ? AND contract_id = ? AND state IN ('running', 'destroying')`).run(now, provider, contractId);
}

export class SqliteCloud implements CloudRecords {
  constructor(private readonly db: AccountsDatabase) {}

  addCloudReservation(c: CloudReservation): Promise<void> {
    return this.db.write(() => {
      this.db
        .sql(`INSERT INTO cloud_reservations (id, user_id, provider, offer_json, price_per_hour, created_at,
          expires_at, state, contract_id, updated_at, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
        .run(
          c.id,
          c.userId,
          c.provider,
          JSON.stringify(c.offer),
          c.pricePerHour,
          c.createdAt,
          c.expiresAt,
          c.state,
          c.contractId,
          c.updatedAt,
          c.error,
        );
    });
  }

  setCloudContract(id: string, contractId: string, now: number): Promise<void> {
    return this.db.write(() => {
      this.db
        .sql(`UPDATE cloud_reservations SET contract_id = ?, updated_at = ? WHERE id = ?`)
        .run(contractId, now, id);
    });
  }

  moveCloudReservation(id: string, from: CloudState[], to: CloudState, now: number, error?: string): Promise<boolean> {
    return this.db.write(() => {
      const moved = this.db
        .sql(`UPDATE cloud_reservations SET state = ?, updated_at = ?, error = COALESCE(?, error)
          WHERE id = ? AND state IN (${marks(from.length)})`)
        .run(to, now, error ?? null, id, ...from);
      return moved.changes > 0;
    });
  }

  cloudReservation(id: string): Promise<CloudReservation | null> {
    return this.db.read(() => {
      const row = this.db.sql('SELECT * FROM cloud_reservations WHERE id = ?').get(id) as CloudRow | undefined;
      return row ? toCloud(row) : null;
    });
  }

  cloudReservationByContract(provider: string, contractId: string): Promise<CloudReservation | null> {
    return this.db.read(() => {
      const row = this.db
        .sql('SELECT * FROM cloud_reservations WHERE provider = ? AND contract_id = ? ORDER BY created_at DESC')
        .get(provider, contractId) as CloudRow | undefined;
      return row ? toCloud(row) : null;
    });
  }

  cloudReservations(states: CloudState[], provider?: string): Promise<CloudReservation[]> {
    return this.db.read(() => {
      const where = `state IN (${marks(states.length)})${provider === undefined ? '' : ' AND provider = ?'}`;
      const args = provider === undefined ? states : [...states, provider];
      const rows = this.db
        .sql(`SELECT * FROM cloud_reservations WHERE ${where} ORDER BY created_at, id`)
        .all(...args) as CloudRow[];
      return rows.map(toCloud);
    });
  }
}
