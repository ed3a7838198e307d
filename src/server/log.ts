// Log lines a client cannot forge: paths, names and error texts carry what callers sent (a decoded %0a
// is a newline), so every non-printable character is escaped before it reaches the log.
import { hex, NON_PRINTABLE } from '../domain/printable.js';

export { printable } from '../domain/printable.js';

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
