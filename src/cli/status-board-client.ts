// `status` read from the agent's status board (domain/status-board.ts): the launcher tries this first, and a board
// that fits prints the command's very lines from one file, with no store client, no socket and none of the CLI.
// Built apart (dist/status-board.js) with its own code cache. It reads the caller's settings as the command does
// (config.ts) and uses the board only when they name the store and host it shows and fit what it holds; anything
// else returns null, and the command runs as it would without a board (it then says what is wrong, if anything).
import { readBoardFile } from '../host/board-file.js';
import { boardStatus, type StatusBoard } from '../domain/status-board.js';
import { statusText } from '../domain/status-text.js';
import { statusBoardPath } from '../store/agent/socket-path.js';
import { locationOf, parseStoreUrl } from '../store/store-url.js';
import { resolveConfig } from './config.js';

export interface BoardIo {
  env: NodeJS.ProcessEnv;
  now(): number;
  /** Writes all of `text` to standard output. */
  write(text: string): void;
  /** A line for CANHAZGPU_DEBUG: which way the command went. */
  debug(line: string): void;
}

/** The forms of `status` a board serves: plain and --json (--table, the fleet's and any other run the command). */
function jsonWanted(argv: readonly string[]): boolean | null {
  if (argv[0] !== 'status' || argv.length > 2) return null;
  if (argv.length === 1) return false;
  return argv[1] === '--json' ? true : null;
}

/** Prints `status` from the board and returns its exit code, or null when the command must run itself. */
export function showFromBoard(argv: readonly string[], build: string, io: BoardIo): number | null {
  const json = jsonWanted(argv);
  if (json === null) return null;
  let config: ReturnType<typeof resolveConfig>;
  let spec: ReturnType<typeof parseStoreUrl>;
  try {
    config = resolveConfig({}, io.env);
    spec = parseStoreUrl(config.storeUrl);
  } catch {
    return null; // settings the command itself reports
  }
  if (config.ignoredFiles.length > 0) return null; // the command warns of them
  const path = statusBoardPath(spec, config.agentSocket);
  if (path === null) return null;
  const file = readBoardFile(path);
  if (file.kind !== 'text') {
    if (file.kind === 'untrusted') io.debug(`the status board is not used: ${file.why}`);
    return null;
  }
  let board: StatusBoard;
  try {
    board = JSON.parse(file.text) as StatusBoard;
  } catch {
    io.debug(`the status board at ${path} is not used: not JSON`);
    return null;
  }
  const now = io.now();
  const shown = boardStatus(board, {
    build,
    location: locationOf(spec),
    host: config.host,
    now,
    statusReadingMaxAgeMs: config.statusReadingMaxAgeMs,
    staleAfterMs: config.staleAfterMs,
    inUseThresholdMb: config.inUseThresholdMb,
  });
  if ('refused' in shown) {
    io.debug(`the status board at ${path} is not used: ${shown.refused}`);
    return null;
  }
  io.write(statusText(shown.rows, now, config.inUseThresholdMb, json));
  io.debug(`read from the status board at ${path}`);
  return 0;
}
