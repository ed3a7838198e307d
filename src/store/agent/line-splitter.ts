// Lines of the agent's wire format (protocol.ts), apart from the rest of it: the small client the launcher loads
// (cli/agent-client.ts) splits the agent's answers with it too, without the error classes the protocol carries.

/** A line longer than this is refused: a snapshot of the largest pool with its reading fits many times over. */
export const MAX_LINE_BYTES = 4 << 20;
/**
 * The agent's answers: the history of a busy host over months runs to tens of MB, and the agent is root's
 * (what it sends is trusted); this only stops a runaway.
 */
export const MAX_ANSWER_BYTES = 512 << 20;

/** Splits a byte stream into lines, refusing one that grows past `limit` bytes (MAX_LINE_BYTES by default). */
export class LineSplitter {
  private pending = '';

  constructor(private readonly limit = MAX_LINE_BYTES) {}

  /** The complete lines in `chunk`; throws when a line is too long. */
  push(chunk: string): string[] {
    // Only a chunk with a newline splits what came before: a long line sent a byte at a time costs its length,
    // not its length squared.
    if (!chunk.includes('\n')) {
      this.pending += chunk;
      if (this.pending.length > this.limit) throw new Error(`a line longer than ${this.limit} bytes`);
      return [];
    }
    const lines = (this.pending + chunk).split('\n');
    this.pending = lines.pop() ?? '';
    if (this.pending.length > this.limit) throw new Error(`a line longer than ${this.limit} bytes`);
    return lines.filter((l) => l.length > 0);
  }
}
