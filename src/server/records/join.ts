// One object answering every port, from one part per port (each implementation's modules).
import type { ApiKeyRecords, CloudRecords, Records, ReservationRecords, SettingRecords, UserRecords } from './ports.js';

/** The methods of `part`'s class as own properties bound to it, so parts spread into one object. */
function methodsOf<Port>(part: Port & object): Port {
  const proto = Object.getPrototypeOf(part) as Record<string, unknown>;
  const names = Object.getOwnPropertyNames(proto).filter((n) => n !== 'constructor' && typeof proto[n] === 'function');
  return Object.fromEntries(names.map((n) => [n, (proto[n] as (...a: unknown[]) => unknown).bind(part)])) as Port;
}

export interface RecordParts {
  users: UserRecords;
  apiKeys: ApiKeyRecords;
  reservations: ReservationRecords;
  settings: SettingRecords;
  cloud: CloudRecords;
  close(): void;
}

export function joinRecords(parts: RecordParts): Records {
  return {
    ...methodsOf(parts.users),
    ...methodsOf(parts.apiKeys),
    ...methodsOf(parts.reservations),
    ...methodsOf(parts.settings),
    ...methodsOf(parts.cloud),
    close: () => parts.close(),
  };
}
