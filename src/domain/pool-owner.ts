// Who set a pool up. `admin --force` clears every user's reservations, running jobs' included, so
// only root or that owner may run it. Where the store itself is open to every user (a shared file, a
// Redis without ACLs) this stops mistakes, not someone who edits the store by hand.

export interface PoolOwner {
  uid: number;
  /** The login name, for messages; empty when unknown. */
  user: string;
  host: string;
}

/** Whether `caller` may clear a pool set up by `owner` (null: set up by a tool that does not say). */
export function mayReinitialize(owner: PoolOwner | null, caller: PoolOwner): boolean {
  if (owner === null || caller.uid === 0) return true;
  return owner.uid === caller.uid && owner.host === caller.host;
}
