// The server's records (ports.ts) on SQLite, in the accounts file: one connection, one module per port.
import { joinRecords } from '../join.js';
import type { Records, RecordsOpenOptions } from '../ports.js';
import { SqliteApiKeys } from './api-keys.js';
import { SqliteCloud } from './cloud.js';
import { AccountsDatabase } from './database.js';
import { SqliteReservations } from './reservations.js';
import { SqliteSettings } from './settings.js';
import { SqliteUsers } from './users.js';

export const SqliteRecords = {
  /** Opens (creating when missing, unless told not to) the accounts file, private to its owner. */
  open(path: string, options: RecordsOpenOptions = {}): Records {
    const db = AccountsDatabase.open(path, options);
    return joinRecords({
      users: new SqliteUsers(db),
      apiKeys: new SqliteApiKeys(db),
      reservations: new SqliteReservations(db),
      settings: new SqliteSettings(db),
      cloud: new SqliteCloud(db),
      close: () => db.close(),
    });
  },
};
