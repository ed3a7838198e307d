// Log lines a client cannot forge: paths, names and error texts carry what callers sent (a decoded %0a
// is a newline), so every non-printable character is escaped before it reaches the log.

/** Control, format (bidi), separator and unassigned characters; a plain space is printable. */
const NON_PRINTABLE = /[\p{C}\p{Z}]/gu;

const hex = (code: number, width: number) => code.toString(16).toUpperCase().padStart(width, '0');

/** For text logs: `\x0A`, `\u{202E}` in place of non-printable characters, `\\` for a backslash. */
export function printable(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(NON_PRINTABLE, (ch) => {
    if (ch === ' ') return ch;
    const code = ch.codePointAt(0)!;
    return code <= 0xff ? `\\x${hex(code, 2)}` : `\\u{${hex(code, 4)}}`;
  });
}

/**
 * For JSON logs: JSON.stringify escapes C0 controls but leaves U+2028, C1 controls and bidi marks raw;
 * those become \uXXXX too, so a parser reads the very value and the raw line stays one printable line.
 */
export function jsonLine(entry: object): string {
  return JSON.stringify(entry).replace(NON_PRINTABLE, (ch) => {
    if (ch === ' ') return ch;
    let out = '';
    for (let i = 0; i < ch.length; i++) out += `\\u${hex(ch.charCodeAt(i), 4).toLowerCase()}`;
    return out;
  });
}
