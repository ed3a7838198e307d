// The fleet's pools side by side: every host's status, and reservations on a named host or on the one
// that fits best. Each host's pool stays atomic on its own (one script per grant), so a request that
// loses a race on one host moves on to the next; nothing is ever granted twice.
import { CanhazError, NotEnoughGpusError, PoolNotInitializedError } from '../domain/errors.js';
import { HOST_NAME, type HostCandidate, hostsByPreference, isStale, lastUsed } from '../domain/fleet.js';
import type { Clock, Fleet, HostRecord } from '../domain/ports.js';
import type { StatusRow } from '../domain/status.js';
import type { Grant, PoolReading, PoolService } from './pool-service.js';

export interface FleetServiceOptions {
  fleet: Fleet;
  clock: Clock;
  /** `host`'s pool: this host's reads its own GPUs, another's reads that host's shared reading. */
  poolOf(host: string): PoolService;
}

export interface HostStatus {
  host: string;
  thisHost: boolean;
  /** When the host's GPUs were last read (null: never, or so long ago the reading expired). */
  readingTakenAt: number | null;
  /** Nothing reads its GPUs: its free GPUs may run anything. */
  stale: boolean;
  now: number;
  /** Its GPUs; null when it has no pool yet. */
  rows: StatusRow[] | null;
  /** What it last registered (null: none, a record edited away). */
  record: HostRecord | null;
}

export class FleetService {
  constructor(private readonly o: FleetServiceOptions) {}

  get thisHost(): string {
    return this.o.fleet.host;
  }

  /** Every registered host (this one always), or the named ones: an unknown name is refused. */
  async hostNames(only?: readonly string[]): Promise<string[]> {
    // A record under a name no pool can have (written by hand) names no host.
    const registered = (await this.o.fleet.hosts()).map((h) => h.host).filter((h) => HOST_NAME.test(h));
    const known = new Set([this.thisHost, ...registered]);
    for (const host of only ?? []) {
      if (!known.has(host))
        throw new CanhazError(`Unknown host '${host}': the fleet has ${[...known].sort().join(', ')}`);
    }
    return only ? [...only] : [...known].sort();
  }

  /** The hosts whose GPUs are being read (this one always): the ones that may be offered. */
  async liveHosts(): Promise<string[]> {
    const hosts = await this.hostNames();
    const stale = await Promise.all(hosts.map(async (h) => this.stale(h, await this.takenAt(h))));
    return hosts.filter((_, i) => !stale[i]);
  }

  private async takenAt(host: string): Promise<number | null> {
    return (await this.o.fleet.poolOf(host).latestReading(host))?.takenAt ?? null;
  }

  private stale(host: string, takenAt: number | null): boolean {
    return host !== this.thisHost && isStale(takenAt, this.o.clock.now());
  }

  async status(only?: readonly string[]): Promise<HostStatus[]> {
    const hosts = await this.hostNames(only);
    const records = new Map((await this.o.fleet.hosts()).map((r) => [r.host, r]));
    return Promise.all(
      hosts.map(async (host): Promise<HostStatus> => {
        const status = await this.o
          .poolOf(host)
          .status()
          .catch((err: unknown) => {
            if (err instanceof PoolNotInitializedError) return null;
            throw err;
          });
        const readingTakenAt = await this.takenAt(host); // after: this host's status may have just read its GPUs
        const thisHost = host === this.thisHost;
        const stale = this.stale(host, readingTakenAt);
        return {
          host,
          thisHost,
          readingTakenAt,
          stale,
          now: status?.now ?? this.o.clock.now(),
          rows: status?.rows ?? null,
          record: records.get(host) ?? null,
        };
      }),
    );
  }

  /** Reserves on `host`; another host only while its GPUs are being read. */
  async reserveOn(host: string, grant: Grant): Promise<number[]> {
    await this.hostNames([host]);
    if (this.stale(host, await this.takenAt(host))) {
      throw new CanhazError(
        `The GPUs of ${host} are not being read (is its agent running?): not reserving GPUs that may be in use`,
      );
    }
    return this.o.poolOf(host).allocate(grant);
  }

  /** Ends `user`'s manual reservations on `host`. */
  async releaseOn(host: string, user: string, only: number[] | null = null): Promise<number[]> {
    await this.hostNames([host]);
    return this.o.poolOf(host).releaseManual(user, only);
  }

  /** Reserves on the host the request fits best; a host that lost its GPUs to a race meanwhile passes to the next. */
  async reserveAnywhere(grant: Grant): Promise<{ host: string; ids: number[] }> {
    const looks = await Promise.all((await this.hostNames()).map((host) => this.look(host)));
    const candidates = looks.filter((l): l is Look => l !== null);
    const readings = new Map(candidates.map((c) => [c.host, c.reading]));
    // The most any host had free, as its grant found it (the others as looked at): the seed's error.
    const available = new Map(candidates.map((c) => [c.host, c.free]));
    for (const { host } of hostsByPreference(candidates, grant.count)) {
      try {
        return { host, ids: await this.o.poolOf(host).allocate(grant, readings.get(host)) };
      } catch (err) {
        if (!(err instanceof NotEnoughGpusError)) throw err;
        available.set(host, err.available);
      }
    }
    throw new NotEnoughGpusError(grant.count, Math.max(0, ...available.values()), 0);
  }

  /** A host as a candidate: its free GPUs now, or null when it has no pool or nothing reads its GPUs. */
  private async look(host: string): Promise<Look | null> {
    const pool = this.o.poolOf(host);
    const reading = await pool.read().catch((err: unknown) => {
      if (err instanceof PoolNotInitializedError) return null;
      throw err;
    });
    const takenAt = await this.takenAt(host);
    if (reading === null || this.stale(host, takenAt)) return null;
    return {
      host,
      free: pool.free(reading).length,
      lastUsed: lastUsed(reading.snapshot, reading.now, reading.liveness),
      reading,
    };
  }
}

type Look = HostCandidate & { reading: PoolReading };
