// The port the server reserves through: this host's pool, and the cloud marketplaces vast.ai and io.net.
import type { GpuInstance, InstanceFilters } from '../domain/instances.js';

/** How the server's holders are named where the pool shows them (`api:<email>`): never a local login. */
export const SERVER_HOLDER_PREFIX = 'api:';

export interface Provider {
  readonly name: string;
  /**
   * Instances that can be reserved now. `filters` are a hint a marketplace may push down to its search
   * (fewer, better offers); the caller still checks every instance against them.
   */
  available(filters?: InstanceFilters): Promise<GpuInstance[]>;
  /**
   * Reserves one instance for `user`; resolves to the contract id, or rejects with the reason. A
   * marketplace labels it with `reservationId` (the server's record of it), to be found again. One that
   * made something else (a replacement for a taken offer, a price quoted on creation) says what.
   */
  create(
    instance: GpuInstance,
    user: string,
    durationMs: number,
    reservationId?: string,
    options?: CreateOptions,
  ): Promise<string | Created>;
  /** Ends a contract; false when it was already gone. */
  destroy(contractId: string): Promise<boolean>;
  /** Of these contracts, the ones still held (expired or reclaimed ones are not). */
  stillHeld(contractIds: readonly string[]): Promise<Set<string>>;
  /** Every contract it holds for the server, recorded or not; left out by providers that cannot list theirs. */
  heldForServer?(): Promise<string[]>;
  /**
   * Marketplaces: every instance of the account that carries a canhazgpu label, with the reservation id
   * in it. Their creations are recorded before they are made (CloudRecords), and reconciled by label.
   */
  labelled?(): Promise<LabelledInstance[]>;
  /**
   * Marketplaces: how these contracts are doing (the provider's own status: vast `actual_status`, io.net
   * the deployment's) and how to reach them (vast `ssh_host`/`ssh_port`); contracts it no longer has are left out.
   */
  describe?(contractIds: readonly string[]): Promise<Map<string, InstanceState>>;
}

export interface CreateOptions {
  /** The request's max_price ($/h per instance): a marketplace that quotes before creating stays under it. */
  maxPricePerHour?: number;
}

/** A creation, and the instance as made: what the server records and charges. */
export interface Created {
  contractId: string;
  instance: GpuInstance;
}

/** A creation's answer as a Created: a bare contract id made `asked` as listed. */
export const createdOf = (made: string | Created, asked: GpuInstance): Created =>
  typeof made === 'string' ? { contractId: made, instance: asked } : made;

export interface InstanceState {
  status: string;
  /** What a user needs to connect, once the provider says. */
  metadata: Record<string, string>;
}

export interface LabelledInstance {
  contractId: string;
  /** The id in the label; null for a label of an older form. */
  reservationId: string | null;
}
