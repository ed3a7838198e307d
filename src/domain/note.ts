// `--note TEXT`: what a reservation is for, shown to every user by `status`. One line of printable
// text, so a note cannot forge lines of someone else's status; the other tools' notes are escaped.

export const MAX_NOTE_LENGTH = 200;

// C0 and C1 controls, DEL, and the line and paragraph separators.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
const EVERY_CONTROL = new RegExp(CONTROL.source, 'g');

/** The note to store (null for none), or the problem as one line. */
export function parseNote(raw: string | undefined): { note: string | null } | { error: string } {
  if (raw === undefined) return { note: null };
  const note = raw.trim();
  if (CONTROL.test(note)) return { error: '--note must be one line of printable text' };
  if (note.length > MAX_NOTE_LENGTH) return { error: `--note must be at most ${MAX_NOTE_LENGTH} characters` };
  return { note: note === '' ? null : note };
}

/** A stored note (perhaps written by another tool) made safe to print on one line. */
export function printableNote(note: string): string {
  return note.replace(EVERY_CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
