// At most a few creations at once per marketplace: a 16-instance request must not trip its rate limit.
export const CREATIONS_AT_ONCE = 4;
