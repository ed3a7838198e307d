// The server's records (ports.ts) on SQLite, in the accounts file: one connection, one module per port.
import type {
  ApiKeyRecords, Records, RecordsOpenOptions, ReservationRecords, SettingRecords, UserRecords,
} from '../ports.js';
import { SqliteApiKeys } from './api-keys.js';
import { AccountsDatabase } from './database.js';
import { SqliteReservations } from './reservations.js';
import { SqliteSettings } from './settings.js';
import { SqliteUsers } from './users.js';

/** The methods of `part`'s class as own properties bound to it, so parts spread into one object. */
function methodsOf<Port>(part: Port & object): Port {
  const proto = Object.getPrototypeOf(part) as Record<string, unknown>;
  const names = Object.getOwnPropertyNames(proto).filter((n) => n !== 'constructor' && typeof proto[n] === 'function');
  return Object.fromEntries(names.map((n) => [n, (proto[n] as (...a: unknown[]) => unknown).bind(part)])) as Port;
}

export const SqliteRecords = {
  /** Opens (creating when missing, unless told not to) the accounts file, private to its owner. */
  open(path: string, options: RecordsOpenOptions = {}): Records {
    const db = AccountsDatabase.open(path, options);
    return {
      ...methodsOf<UserRecords>(new SqliteUsers(db)),
      ...methodsOf<ApiKeyRecords>(new SqliteApiKeys(db)),
      ...methodsOf<ReservationRecords>(new SqliteReservations(db)),
      ...methodsOf<SettingRecords>(new SqliteSettings(db)),
      close: () => db.close(),
    };
  },
};
