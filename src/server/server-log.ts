// The server's log: one line per request, warnings, errors and store outages, as text or JSON, every
// field escaped so nothing a client sends can forge a line.
import { jsonLine, printable } from './log.js';

/** What the request log says of one HTTP request. */
export interface RequestLogEntry {
  time: string;
  method: string;
  path: string;
  status: number;
  ms: number;
}

export interface ServerLog {
  error(err: unknown): void;
  warn(text: string): void;
  line(text: string): void;
  /** One line per HTTP request (the middleware in http/middleware/observe.ts times it). */
  request(entry: RequestLogEntry): void;
  /** The pool's store stopped answering, with why; and when it answers again. */
  storeDown(cause: string): void;
  storeUp(): void;
}

export function serverLog(write: (line: string) => void, format: 'text' | 'json', now: () => number): ServerLog {
  const json = format === 'json';
  const time = () => new Date(now()).toISOString();
  return {
    error: (err) => {
      const text = String((err as Error)?.stack ?? err);
      write(json ? jsonLine({ time: time(), level: 'error', error: text }) : `error: ${printable(text)}`);
    },
    warn: (text) =>
      write(json ? jsonLine({ time: time(), level: 'warning', message: text }) : `warning: ${printable(text)}`),
    line: write,
    request: (entry) => {
      const { time: at, method, path, status } = entry;
      write(json ? jsonLine(entry) : `${at} ${printable(method)} ${printable(path)} ${status} ${entry.ms}ms`);
    },
    storeDown: (cause) =>
      write(
        json
          ? jsonLine({ time: time(), level: 'error', event: 'store_unavailable', error: cause })
          : `${time()} store unavailable: ${printable(cause)}`,
      ),
    storeUp: () =>
      write(
        json ? jsonLine({ time: time(), level: 'info', event: 'store_available' }) : `${time()} store available again`,
      ),
  };
}
