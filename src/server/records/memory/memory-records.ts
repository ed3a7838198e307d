// The server's records in memory: for tests of what uses them (GpuService, Identity, the account
// commands) without a file. Same contract as SQLite (../contract.case.test.ts); nothing survives close.
import { joinRecords } from '../join.js';
import type { Records } from '../ports.js';
import { MemoryApiKeys } from './api-keys.js';
import { MemoryCloud } from './cloud.js';
import { MemoryReservations } from './reservations.js';
import { MemorySettings } from './settings.js';
import { Tables } from './tables.js';
import { MemoryUsers } from './users.js';

export function memoryRecords(): Records {
  const t = new Tables();
  return joinRecords({
    users: new MemoryUsers(t),
    apiKeys: new MemoryApiKeys(t),
    reservations: new MemoryReservations(t),
    settings: new MemorySettings(t),
    cloud: new MemoryCloud(t),
    close: () => undefined,
  });
}
