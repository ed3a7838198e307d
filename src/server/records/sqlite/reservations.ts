// The server's reservations and the ledger in the accounts file: an end and its charge are one write.
import { randomUUID } from 'node:crypto';
import type { GpuInstance } from '../../../domain/instances.js';
import { chargeFor } from '../charge.js';
import type { HostCount, ReservationRecords, ServerReservation, Transaction } from '../ports.js';
import { cloudEnded, cloudStarted } from './cloud.js';
import type { AccountsDatabase } from './database.js';

interface TransactionRow {
  id: string;
  user_id: string;
  type: string;
  amount: number;
  currency: string;
  timestamp: number;
  status: string;
  description: string;
}
interface ReservationRow {
  contract_id: string;
  provider: string;
  user_id: string;
  instance_json: string;
  price_per_hour: number;
  created_at: number;
  expires_at: number;
  ended_at: number | null;
}

const toReservation = (r: ReservationRow): ServerReservation => ({
  contractId: r.contract_id,
  provider: r.provider,
  userId: r.user_id,
  instance: JSON.parse(r.instance_json) as GpuInstance,
  pricePerHour: r.price_per_hour,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  endedAt: r.ended_at,
});

function insert(db: AccountsDatabase, r: ServerReservation): void {
  db.sql(`INSERT INTO reservations (contract_id, provider, user_id, instance_json, price_per_hour, created_at,
    expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)`).run(
    r.contractId,
    r.provider,
    r.userId,
    JSON.stringify(r.instance),
    r.pricePerHour,
    r.createdAt,
    r.expiresAt,
  );
  cloudStarted(db, r.provider, r.contractId, r.createdAt);
}

export class SqliteReservations implements ReservationRecords {
  constructor(private readonly db: AccountsDatabase) {}

  addReservation(r: ServerReservation): Promise<void> {
    return this.db.write(() => insert(this.db, r));
  }

  /** Records one request's reservations together, or none of them. */
  addReservations(list: ServerReservation[]): Promise<void> {
    return this.db.write(() => list.forEach((r) => insert(this.db, r)));
  }

  reservation(provider: string, contractId: string): Promise<ServerReservation | null> {
    return this.db.read(() => {
      const row = this.db
        .sql('SELECT * FROM reservations WHERE provider = ? AND contract_id = ?')
        .get(provider, contractId) as ReservationRow | undefined;
      return row ? toReservation(row) : null;
    });
  }

  /** Active reservations, of one user or of everyone. */
  activeReservations(userId?: string): Promise<ServerReservation[]> {
    return this.db.read(() => {
      const rows = (
        userId
          ? this.db
              .sql('SELECT * FROM reservations WHERE ended_at IS NULL AND user_id = ? ORDER BY created_at')
              .all(userId)
          : this.db.sql('SELECT * FROM reservations WHERE ended_at IS NULL ORDER BY created_at').all()
      ) as ReservationRow[];
      return rows.map(toReservation);
    });
  }

  /** Of these contracts of `provider`, those with an active reservation on record. */
  recordedActive(provider: string, contractIds: readonly string[]): Promise<Set<string>> {
    return this.db.read(() => {
      const one = this.db.sql('SELECT 1 FROM reservations WHERE provider = ? AND contract_id = ? AND ended_at IS NULL');
      return new Set(contractIds.filter((id) => one.get(provider, id) !== undefined));
    });
  }

  // The two counts below stay synchronous: the strategies read them where nothing may await (see
  // GpuService.reserveNow). In WAL mode reads do not wait for a writer's lock.

  countByProvider(): Map<string, number> {
    const rows = this.db.sql('SELECT provider, COUNT(*) AS n FROM reservations GROUP BY provider').all() as Array<{
      provider: string;
      n: number;
    }>;
    return new Map(rows.map((r) => [r.provider, r.n]));
  }

  /** Active reservations per provider and location, counted by SQLite rather than read one by one. */
  activeCountsByHost(): HostCount[] {
    return this.db
      .sql(`SELECT provider, json_extract(instance_json, '$.location') AS location, COUNT(*) AS n
      FROM reservations WHERE ended_at IS NULL GROUP BY provider, location`)
      .all() as HostCount[];
  }

  setInstanceState(provider: string, contractId: string, status: string, metadata: Record<string, string>) {
    return this.db.write(() => {
      const row = this.db
        .sql('SELECT instance_json FROM reservations WHERE provider = ? AND contract_id = ? AND ended_at IS NULL')
        .get(provider, contractId) as { instance_json: string } | undefined;
      if (!row) return;
      const instance = JSON.parse(row.instance_json) as GpuInstance;
      const next = { ...instance, status, metadata: { ...instance.metadata, ...metadata } };
      this.db
        .sql('UPDATE reservations SET instance_json = ? WHERE provider = ? AND contract_id = ?')
        .run(JSON.stringify(next), provider, contractId);
    });
  }

  /** Ends a reservation and charges its real cost (price × time held), once. */
  endReservation(r: ServerReservation, endedAt: number): Promise<Transaction | null> {
    return this.db.write(() => {
      const ended = this.db
        .sql(`UPDATE reservations SET ended_at = ?
        WHERE contract_id = ? AND provider = ? AND ended_at IS NULL`)
        .run(endedAt, r.contractId, r.provider);
      if (ended.changes === 0) return null;
      cloudEnded(this.db, r.provider, r.contractId, endedAt);
      const t = chargeFor(r, endedAt, randomUUID());
      this.db
        .sql(`INSERT INTO transactions (id, user_id, type, amount, currency, timestamp, status, description)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
        .run(t.id, t.userId, t.type, t.amount, t.currency, t.timestamp, t.status, t.description);
      return t;
    });
  }

  transactions(userId: string, limit: number, offset: number): Promise<{ items: Transaction[]; total: number }> {
    return this.db.read(() => {
      const count = this.db.sql('SELECT COUNT(*) AS n FROM transactions WHERE user_id = ?').get(userId) as {
        n: number;
      };
      const total = count.n;
      const rows = this.db
        .sql(`SELECT * FROM transactions WHERE user_id = ?
        ORDER BY timestamp DESC, id LIMIT ? OFFSET ?`)
        .all(userId, limit, offset) as TransactionRow[];
      return {
        total,
        items: rows.map((r) => ({
          id: r.id,
          userId: r.user_id,
          type: r.type,
          amount: r.amount,
          currency: r.currency,
          timestamp: r.timestamp,
          status: r.status,
          description: r.description,
        })),
      };
    });
  }
}
