// Spending caps per user on the marketplaces, per day and per week (rolling windows): a request whose
// estimate (price × hours) with what the user spent in the window and what their running reservations
// commit (price × their whole lifetime) would pass a cap is refused before anything is created.
import type { Clock } from '../../domain/ports.js';
import { ApiError } from '../errors.js';
import type { ReservationRecords, User } from '../records/ports.js';

export interface CloudMoney {
  /** Hours of a reservation that names none, and the most one may ask for. */
  defaultHours: number;
  maxHours: number;
  /** Dollars per user; null: no cap. */
  capPerDay: number | null;
  capPerWeek: number | null;
}

export const DEFAULT_CLOUD_MONEY: CloudMoney = {
  defaultHours: 8,
  maxHours: 24 * 30,
  capPerDay: null,
  capPerWeek: null,
};

const HOUR = 3_600_000;
const CAPS = [
  { name: 'daily', key: 'capPerDay', windowMs: 24 * HOUR },
  { name: 'weekly', key: 'capPerWeek', windowMs: 7 * 24 * HOUR },
] as const;

const dollars = (x: number) => `$${x.toFixed(2)}`;

/** What a user has spent or committed in each window, read before a request chooses its instances. */
export interface Committed {
  user: string;
  daily: number;
  weekly: number;
  /** When it was read (in `SpendingCaps.seq`): estimates settled after it are not in it yet. */
  seq: number;
}

/** An estimate taken against the caps: pending while its request runs, and after, until every read counts it. */
interface Taken {
  user: string;
  amount: number;
  settledAt: number | null;
}

export class SpendingCaps {
  /** Orders reads and settlements: a read begun before an estimate's record landed does not count it. */
  private seq = 0;
  private readonly taken = new Set<Taken>();
  /** Reads whose request has not taken or given up yet. */
  private readonly reads = new Set<number>();

  constructor(
    private readonly records: ReservationRecords,
    private readonly clock: Clock,
    private readonly money: CloudMoney,
    /** Whether a provider's reservations count (the marketplaces; this host's pool does not). */
    private readonly counts: (provider: string) => boolean,
  ) {}

  get on(): boolean {
    return this.money.capPerDay !== null || this.money.capPerWeek !== null;
  }

  /** What the user spent (ledger) and commits (active reservations, whole lifetimes) in each window. */
  async committed(user: User): Promise<Committed> {
    const now = this.clock.now();
    const sums = { user: user.id, daily: 0, weekly: 0, seq: ++this.seq };
    if (!this.on) return sums;
    this.reads.add(sums.seq);
    for (const r of await this.records.activeReservations(user.id)) {
      if (!this.counts(r.provider)) continue;
      const lifetime = (r.pricePerHour * (r.expiresAt - r.createdAt)) / HOUR;
      sums.daily += lifetime;
      sums.weekly += lifetime;
    }
    const page = 500;
    for (let offset = 0; ; offset += page) {
      const { items } = await this.records.transactions(user.id, page, offset);
      for (const t of items) {
        if (t.type !== 'charge') continue;
        if (t.timestamp > now - CAPS[0].windowMs) sums.daily += t.amount;
        if (t.timestamp > now - CAPS[1].windowMs) sums.weekly += t.amount;
      }
      const oldest = items.at(-1)?.timestamp ?? 0;
      if (items.length < page || oldest <= now - CAPS[1].windowMs) break;
    }
    return sums;
  }

  /**
   * Takes `estimate` against the caps, or refuses (402). Synchronous between the check and the taking,
   * so requests of one user in flight together count each other. `release` gives it back.
   */
  take(c: Committed, estimate: number): { release: () => void } {
    this.done(c);
    if (!this.on || estimate <= 0) return { release: () => undefined };
    let pending = 0;
    for (const t of this.taken) {
      if (t.user === c.user && (t.settledAt === null || t.settledAt > c.seq)) pending += t.amount;
    }
    for (const cap of CAPS) {
      const limit = this.money[cap.key];
      const spent = c[cap.name] + pending;
      if (limit !== null && spent + estimate > limit + 1e-9) {
        throw new ApiError(
          'PAYMENT_REQUIRED',
          `Reserving these instances (${dollars(estimate)} estimated) would exceed your ${cap.name} cap of ` +
            `${dollars(limit)} (${dollars(spent)} spent or committed)`,
          { estimate, cap: limit, spent },
        );
      }
    }
    const mine: Taken = { user: c.user, amount: estimate, settledAt: null };
    this.taken.add(mine);
    return {
      release: () => {
        mine.settledAt ??= ++this.seq;
        this.prune();
      },
    };
  }

  /** A read whose request will take nothing (refused, failed before choosing). */
  done(c: Committed): void {
    this.reads.delete(c.seq);
    this.prune();
  }

  /** Settled estimates that every open read already counts (from the records) are forgotten. */
  private prune(): void {
    const oldest = Math.min(...this.reads);
    for (const t of this.taken) if (t.settledAt !== null && t.settledAt < oldest) this.taken.delete(t);
  }
}
