// Failures the APIs report, each with its HTTP status and gRPC code.
import { PoolNotInitializedError, StoreUnavailableError } from '../domain/errors.js';

export type ApiCode = 'INVALID_ARGUMENT' | 'FAILED_PRECONDITION' | 'INTERNAL' | 'PERMISSION_DENIED' | 'NOT_FOUND' | 'UNAUTHENTICATED' | 'RESOURCE_EXHAUSTED' | 'ABORTED' | 'UNPROCESSABLE' | 'UNAVAILABLE';

export const HTTP_STATUS: Record<ApiCode, 400 | 401 | 403 | 404 | 409 | 422 | 429 | 500 | 503> = {
  INVALID_ARGUMENT: 400, FAILED_PRECONDITION: 400, INTERNAL: 500, PERMISSION_DENIED: 403, NOT_FOUND: 404,
  UNAUTHENTICATED: 401, RESOURCE_EXHAUSTED: 429, ABORTED: 409, UNPROCESSABLE: 422, UNAVAILABLE: 503,
};

export class ApiError extends Error {
  constructor(readonly code: ApiCode, message: string, readonly details: Record<string, unknown> = {}) {
    super(message);
  }
}

/** What clients are told when the pool's store fails: its path and insides stay in the server's log. */
export const STORE_UNAVAILABLE = "this host's GPU pool is unavailable (its store cannot be used); try again shortly";

/** A store that went away or was never set up is the server's trouble, not a bug: 503 / UNAVAILABLE. */
export function storeTrouble(err: unknown): ApiError | null {
  return err instanceof StoreUnavailableError || err instanceof PoolNotInitializedError ? new ApiError('UNAVAILABLE', STORE_UNAVAILABLE) : null;
}
