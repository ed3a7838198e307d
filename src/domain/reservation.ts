// The pool's state as every store returns it. Times are Unix milliseconds.

export type ReservationType = 'run' | 'manual';

/** Which process on which host supervises a `run` reservation, so its death is seen at once. */
export interface OwnerRef {
  host: string;
  pid: number;
  /** The process start time (from /proc), so a reused pid is not taken for the owner. */
  startTime: string | null;
}

export interface Reservation {
  user: string;
  type: ReservationType;
  startTime: number;
  lastHeartbeat: number;
  /** Manual reservations only. */
  expiryTime: number | null;
  /** Shared by the GPUs of one allocation; a heartbeat or release names it. */
  token: string | null;
  owner: OwnerRef | null;
  /** What the holder said the GPUs are for (`--note`); absent when nothing was said. Kept in the history. */
  note?: string;
}

export interface GpuSlot {
  id: number;
  reservation: Reservation | null;
  lastReleased: number | null;
  /** Who gave the GPU back last (MRU-per-user prefers a user's own); absent when unknown. */
  lastReleasedBy?: string | null;
  /** Set when a store holds data for this GPU that it cannot read; such a GPU is never handed out. */
  problem?: string;
}

export interface PoolSnapshot {
  gpuCount: number;
  slots: GpuSlot[];
  /** How the pool chooses among free GPUs (`admin --policy`); absent means LRU. */
  policy?: AllocationPolicy;
}

/** `lru`: least recently released first. `mru-per-user`: the GPUs the user released most recently first. */
export const ALLOCATION_POLICIES = ['lru', 'mru-per-user'] as const;
export type AllocationPolicy = (typeof ALLOCATION_POLICIES)[number];

export function isAllocationPolicy(value: unknown): value is AllocationPolicy {
  return (ALLOCATION_POLICIES as readonly unknown[]).includes(value);
}
