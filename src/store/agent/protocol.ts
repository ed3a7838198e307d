// The agent's wire format over its Unix socket: one JSON object a line, each way. Requests carry an id the
// answer repeats, so one connection serves several calls at once. Sets (a Liveness's tokens) travel as
// `{"$set": [...]}`; errors travel by name, so a caller prints the very line a direct store would.
import {
  CanhazError,
  HeldForQueueError,
  NotEnoughGpusError,
  PoolAlreadyInitializedError,
  PoolNotInitializedError,
  QueueChangedError,
  StoreUnavailableError,
  UsageError,
} from '../../domain/errors.js';
import { GpusUnavailableError } from '../../domain/gpu-ids.js';

export { LineSplitter, MAX_ANSWER_BYTES, MAX_LINE_BYTES } from './line-splitter.js';

export interface AgentRequest {
  id: number;
  method: string;
  args: unknown[];
}

export interface WireError {
  name: string;
  message: string;
  fields?: Record<string, number>;
  /** GpusUnavailableError: its sentences, one per GPU. */
  reasons?: string[];
}

export type AgentAnswer = { id: number; result?: unknown; error?: WireError };

const replacer = (_key: string, value: unknown) => (value instanceof Set ? { $set: [...value] } : value);
const reviver = (_key: string, value: unknown) => {
  const set = (value as { $set?: unknown } | null)?.$set;
  return Array.isArray(set) && Object.keys(value as object).length === 1 ? new Set(set) : value;
};

export const encodeLine = (message: AgentRequest | AgentAnswer): string => `${JSON.stringify(message, replacer)}\n`;
export const decodeLine = (line: string): unknown => JSON.parse(line, reviver);

export function isRequest(value: unknown): value is AgentRequest {
  const v = value as Partial<AgentRequest> | null;
  return (
    !!v && Number.isSafeInteger(v.id) && typeof v.method === 'string' && Array.isArray(v.args) && v.args.length <= 8
  );
}

export function toWire(err: unknown): WireError {
  if (err instanceof NotEnoughGpusError) {
    const { requested, available, unreservedInUse, notFound } = err;
    return { name: err.name, message: err.message, fields: { requested, available, unreservedInUse, notFound } };
  }
  if (err instanceof PoolAlreadyInitializedError) {
    return { name: err.name, message: err.message, fields: { gpuCount: err.gpuCount } };
  }
  if (err instanceof GpusUnavailableError) return { name: err.name, message: err.message, reasons: [...err.reasons] };
  if (err instanceof CanhazError) return { name: err.name, message: err.message };
  // Not a user's error but the store's answer to an allocation that judged an old queue: the caller looks again.
  if (err instanceof QueueChangedError) return { name: 'QueueChangedError', message: 'the wait queue changed' };
  // Not a user's error: its text stays in the agent's log, the caller learns only that it failed.
  return { name: 'StoreUnavailableError', message: 'the canhazgpu agent failed to serve the request (see its log)' };
}

export function fromWire(wire: WireError): CanhazError | QueueChangedError {
  const f = wire.fields ?? {};
  switch (wire.name) {
    case 'NotEnoughGpusError':
      return new NotEnoughGpusError(f.requested ?? 0, f.available ?? 0, f.unreservedInUse ?? 0, f.notFound ?? 0);
    case 'HeldForQueueError': {
      // The agent judged the queue itself: its sentence, as the CLI prints it, and a class the CLI waits on.
      const held = new HeldForQueueError(f.requested ?? 0, f.available ?? 0, 0, 0);
      held.message = wire.message;
      return held;
    }
    case 'PoolAlreadyInitializedError':
      return new PoolAlreadyInitializedError(f.gpuCount ?? 0);
    case 'PoolNotInitializedError':
      return new PoolNotInitializedError();
    case 'UsageError':
      return new UsageError(wire.message);
    case 'QueueChangedError':
      return new QueueChangedError();
    case 'GpusUnavailableError':
      return new GpusUnavailableError((wire.reasons ?? [wire.message]).map(String));
    default:
      return new StoreUnavailableError(wire.message);
  }
}
