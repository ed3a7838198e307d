// Text other people wrote (request paths, notes of the other tools) made safe to print on one line:
// every non-printable character escaped, so it cannot forge a line or reorder one (bidi marks).

/** Control, format (bidi), separator and unassigned characters; a plain space is printable. */
export const NON_PRINTABLE = /[\p{C}\p{Z}]/gu;

export const hex = (code: number, width: number) => code.toString(16).toUpperCase().padStart(width, '0');

/** For text logs: `\x0A`, `\u{202E}` in place of non-printable characters, `\\` for a backslash. */
export function printable(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(NON_PRINTABLE, (ch) => {
    if (ch === ' ') return ch;
    const code = ch.codePointAt(0)!;
    return code <= 0xff ? `\\x${hex(code, 2)}` : `\\u{${hex(code, 4)}}`;
  });
}
