// `--note TEXT`: what a reservation is for, shown to every user by `status`. One line of printable
// text, so a note cannot forge lines of someone else's status (the other tools' notes are escaped
// where they are printed: status-text.ts).

export const MAX_NOTE_LENGTH = 200;

/** Control, format (bidi) and line or paragraph separator characters: never in a note we store. */
const UNPRINTABLE = /[\p{C}\p{Zl}\p{Zp}]/u;

/** The note to store (null for none), or the problem as one line. */
export function parseNote(raw: string | undefined): { note: string | null } | { error: string } {
  if (raw === undefined) return { note: null };
  const note = raw.trim();
  if (UNPRINTABLE.test(note)) return { error: '--note must be one line of printable text' };
  if (note.length > MAX_NOTE_LENGTH) return { error: `--note must be at most ${MAX_NOTE_LENGTH} characters` };
  return { note: note === '' ? null : note };
}
