// What ending a reservation writes to the ledger: the same charge whichever records keep it.
import { costBetween } from '../../domain/instances.js';
import type { ServerReservation, Transaction } from './ports.js';

/** The real cost of `r` held until `endedAt` (price × time held), as a completed charge. */
export function chargeFor(r: ServerReservation, endedAt: number, id: string): Transaction {
  const hours = Math.max(0, endedAt - r.createdAt) / 3_600_000;
  return {
    id,
    userId: r.userId,
    type: 'charge',
    amount: costBetween(r.pricePerHour, r.createdAt, endedAt),
    currency: 'USD',
    timestamp: endedAt,
    status: 'completed',
    description:
      `${r.instance.gpuModel} on ${r.provider} (${r.contractId}) for ${hours.toFixed(4)} h` +
      ` at $${r.pricePerHour}/h`,
  };
}
