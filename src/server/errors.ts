// Failures the APIs report, each with its HTTP status and gRPC code: the one mapping both transports use.
import { PoolNotInitializedError, StoreUnavailableError } from '../domain/errors.js';

export type ApiCode =
  | 'INVALID_ARGUMENT'
  | 'FAILED_PRECONDITION'
  | 'INTERNAL'
  | 'PERMISSION_DENIED'
  | 'NOT_FOUND'
  | 'UNAUTHENTICATED'
  | 'RESOURCE_EXHAUSTED'
  | 'ABORTED'
  | 'UNPROCESSABLE'
  | 'PAYMENT_REQUIRED'
  | 'UNAVAILABLE';

type HttpStatus = 400 | 401 | 402 | 403 | 404 | 409 | 422 | 429 | 500 | 503;

/**
 * Each code's HTTP status and gRPC status, for both transports. The gRPC numbers are those of gRPC's
 * status codes (google.rpc.Code), which Connect's `Code` enum takes as they are.
 */
export const API_STATUS: Record<ApiCode, { http: HttpStatus; grpc: number }> = {
  INVALID_ARGUMENT: { http: 400, grpc: 3 },
  FAILED_PRECONDITION: { http: 400, grpc: 9 },
  INTERNAL: { http: 500, grpc: 13 },
  PERMISSION_DENIED: { http: 403, grpc: 7 },
  NOT_FOUND: { http: 404, grpc: 5 },
  UNAUTHENTICATED: { http: 401, grpc: 16 },
  RESOURCE_EXHAUSTED: { http: 429, grpc: 8 },
  ABORTED: { http: 409, grpc: 10 },
  // gRPC has no "unprocessable": a request the server will not take as sent.
  UNPROCESSABLE: { http: 422, grpc: 3 },
  UNAVAILABLE: { http: 503, grpc: 14 },
  // A spending cap: gRPC has no "payment required", and the request may pass once spend falls.
  PAYMENT_REQUIRED: { http: 402, grpc: 9 },
};

export class ApiError extends Error {
  constructor(
    readonly code: ApiCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/** What clients are told when the pool's store fails: its path and insides stay in the server's log. */
export const STORE_UNAVAILABLE = "this host's GPU pool is unavailable (its store cannot be used); try again shortly";

/** A store that went away or was never set up is the server's trouble, not a bug: 503 / UNAVAILABLE. */
export function storeTrouble(err: unknown): ApiError | null {
  return err instanceof StoreUnavailableError || err instanceof PoolNotInitializedError
    ? new ApiError('UNAVAILABLE', STORE_UNAVAILABLE)
    : null;
}

/**
 * What a failure tells the client: itself when it is an ApiError, 503 / UNAVAILABLE for the store's
 * trouble, and null for anything else (a bug: the transport logs it and answers "internal error").
 */
export function apiErrorOf(err: unknown): ApiError | null {
  return err instanceof ApiError ? err : storeTrouble(err);
}

/** A failure as clients may read it: one line, and nothing of the store's insides. */
export function firstLineOf(err: unknown): string {
  return storeTrouble(err)?.message ?? String((err as Error)?.message ?? err).split('\n')[0]!;
}
