// The status board: what `canhazgpu agent` publishes of its host's pool after every change it makes or hears of
// and at every reading, so that `status` reads one file instead of starting a store client (issue 9's start-up
// target). It holds what `status` would have read (the slots, the shared GPU reading, the owners the agent judged)
// and is rendered by the reader at its own moment, with its own settings. Run tokens are replaced by aliases:
// the board is readable by every user of the host, and a token names a reservation to release.
import { type Liveness, NO_TOKENS } from './liveness.js';
import { isFreshReading } from './reading-age.js';
import type { GpuSlot, PoolSnapshot } from './reservation.js';
import { buildStatus, type StatusRow } from './status.js';
import type { GpuUsage } from './usage.js';

export const BOARD_FORMAT = 1;

export interface StatusBoard {
  format: typeof BOARD_FORMAT;
  /** The build that wrote it (the launcher's): another build may read the store differently. */
  build: string;
  /** The store (`Store.location`) and the fleet host whose pool it shows. */
  location: string;
  host: string;
  /** When it was written, and how long a reader may take it as current: the agent writes again before then. */
  writtenAt: number;
  validForMs: number;
  /** The host's latest shared GPU reading; null when there is none. */
  reading: { takenAt: number; usage: GpuUsage[] | null } | null;
  slots: GpuSlot[];
  /** Aliases of the run reservations whose owners the agent saw dead, and alive (see Liveness). */
  deadTokens: string[];
  liveTokens: string[];
}

export interface BoardInput {
  build: string;
  location: string;
  host: string;
  writtenAt: number;
  validForMs: number;
  snapshot: PoolSnapshot;
  reading: { takenAt: number; usage: GpuUsage[] | null } | null;
  liveness: Pick<Liveness, 'deadTokens' | 'liveTokens'>;
}

export function composeBoard(input: BoardInput): StatusBoard {
  const aliases = new Map<string, string>();
  const alias = (token: string) => {
    if (!aliases.has(token)) aliases.set(token, `t${aliases.size}`);
    return aliases.get(token)!;
  };
  const slots = input.snapshot.slots.map((slot) =>
    slot.reservation?.token
      ? { ...slot, reservation: { ...slot.reservation, token: alias(slot.reservation.token) } }
      : slot,
  );
  const aliased = (tokens: ReadonlySet<string>) => [...tokens].filter((t) => aliases.has(t)).map(alias);
  return {
    format: BOARD_FORMAT,
    build: input.build,
    location: input.location,
    host: input.host,
    writtenAt: input.writtenAt,
    validForMs: input.validForMs,
    reading: input.reading,
    slots,
    deadTokens: aliased(input.liveness.deadTokens),
    liveTokens: aliased(input.liveness.liveTokens),
  };
}

/** What a reader's settings say the board must match, and how it judges what it shows. */
export interface BoardReader {
  build: string;
  location: string;
  host: string;
  now: number;
  statusReadingMaxAgeMs: number;
  staleAfterMs: number;
  inUseThresholdMb: number;
}

/** The status rows the board shows `reader` now, or why the reader must ask the store itself. */
export function boardStatus(board: StatusBoard, reader: BoardReader): { rows: StatusRow[] } | { refused: string } {
  if (board.format !== BOARD_FORMAT || board.build !== reader.build) return { refused: 'written by another build' };
  if (board.location !== reader.location || board.host !== reader.host) return { refused: 'another store or host' };
  const age = reader.now - board.writtenAt;
  // A board from the future: a clock set back, so its age says nothing.
  if (!(age >= -1000 && age <= board.validForMs)) return { refused: 'not current (is the agent running?)' };
  const reading = board.reading;
  // The command would probe the GPUs itself (or warn that it cannot): it runs as it would without a board.
  if (!reading || !isFreshReading(reading, reader.now, reader.statusReadingMaxAgeMs))
    return { refused: 'no GPU reading fresh enough' };
  if (reading.usage === null) return { refused: 'the GPUs could not be read' };
  const liveness: Liveness = {
    staleAfterMs: reader.staleAfterMs,
    deadTokens: board.deadTokens.length > 0 ? new Set(board.deadTokens) : NO_TOKENS,
    liveTokens: board.liveTokens.length > 0 ? new Set(board.liveTokens) : NO_TOKENS,
  };
  const snapshot: PoolSnapshot = { gpuCount: board.slots.length, slots: board.slots };
  const rows = buildStatus({
    snapshot,
    usage: reading.usage,
    now: reader.now,
    liveness,
    inUseThresholdMb: reader.inUseThresholdMb,
  });
  return { rows };
}
