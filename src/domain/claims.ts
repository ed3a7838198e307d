// Which instances concurrent reservations have taken, so they run side by side without a queue.

/**
 * Instances that requests in flight are creating, or created after a given listing began: a
 * listing taken before then may still show them free. Requests run side by side (a slow provider
 * holds up nobody else) and still never pick what another has just taken.
 */
export class Claims {
  private seq = 0;
  /** Instance key to the sequence number its creation ended at; Infinity while in flight. */
  private readonly claims = new Map<string, number>();
  /** Marks of the listings in flight (mark → how many), so claims are kept exactly as long as one needs them. */
  private readonly listings = new Map<number, number>();

  /** Call before listing; pass the mark to `free` and then to `endListing`. */
  beginListing(): number {
    this.listings.set(this.seq, (this.listings.get(this.seq) ?? 0) + 1);
    return this.seq;
  }

  endListing(mark: number): void {
    const left = (this.listings.get(mark) ?? 1) - 1;
    if (left === 0) this.listings.delete(mark);
    else this.listings.set(mark, left);
    // Claims that ended before every open listing began are in all of them already.
    const oldest = Math.min(this.seq, ...this.listings.keys());
    for (const [key, ended] of this.claims) if (ended <= oldest) this.claims.delete(key);
  }

  /** Whether a listing that began at `mark` may offer this instance. */
  free(key: string, mark: number): boolean {
    const ended = this.claims.get(key);
    return ended === undefined || ended <= mark;
  }

  take(key: string): void {
    this.claims.set(key, Infinity);
  }

  /** Done creating: kept from listings older than now when created, forgotten when it failed. */
  settle(key: string, created: boolean): void {
    if (created) this.claims.set(key, ++this.seq);
    else this.claims.delete(key);
  }

  /** Instances claimed now (in flight, or kept for an open listing). */
  get size(): number {
    return this.claims.size;
  }
}
