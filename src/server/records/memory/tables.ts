// The in-memory records' tables, shared by the part of each port (as the SQLite parts share a file).
import type { ApiKey, CloudReservation, ServerReservation, Transaction, User } from '../ports.js';

export interface StoredKey extends ApiKey {
  keyHash: string;
}

export class Tables {
  readonly users = new Map<string, User>();
  readonly keys: StoredKey[] = [];
  /** By reservationKey(provider, contract id). */
  readonly reservations = new Map<string, ServerReservation>();
  readonly ledger: Transaction[] = [];
  readonly settings = new Map<string, string>();
  /** By id. */
  readonly cloud = new Map<string, CloudReservation>();
}

/** Callers get copies, as they get fresh rows from SQLite: changing one changes no record. */
export const copy = <T>(value: T): T => structuredClone(value);
export const reservationKey = (provider: string, contractId: string) => `${provider}\u0000${contractId}`;
