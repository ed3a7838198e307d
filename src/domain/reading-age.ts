// When a shared GPU reading may stand for the GPUs now: what a command takes without probing (SharedProbe), what
// the agent runs a command on, and what the status board shows.

/** Younger than `maxAgeMs` (0: none is), and not from the future (a clock set back). */
export function isFreshReading(reading: { takenAt: number } | null, now: number, maxAgeMs: number): boolean {
  if (reading === null) return false;
  const age = now - reading.takenAt;
  return age >= 0 && age < maxAgeMs;
}
