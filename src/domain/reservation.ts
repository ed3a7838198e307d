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
  /** What the user said it is for (`--note`); kept in the history. */
  note?: string;
}

export interface GpuSlot {
  id: number;
  reservation: Reservation | null;
  lastReleased: number | null;
  /** Set when a store holds data for this GPU that it cannot read; such a GPU is never handed out. */
  problem?: string;
}

export interface PoolSnapshot {
  gpuCount: number;
  slots: GpuSlot[];
}
