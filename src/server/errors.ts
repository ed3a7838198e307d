// Failures the APIs report, each with its HTTP status and gRPC code.
export type ApiCode = 'INVALID_ARGUMENT' | 'FAILED_PRECONDITION' | 'INTERNAL' | 'PERMISSION_DENIED' | 'NOT_FOUND' | 'UNAUTHENTICATED' | 'RESOURCE_EXHAUSTED' | 'ABORTED' | 'UNPROCESSABLE';

export const HTTP_STATUS: Record<ApiCode, 400 | 401 | 403 | 404 | 409 | 422 | 429 | 500> = {
  INVALID_ARGUMENT: 400, FAILED_PRECONDITION: 400, INTERNAL: 500, PERMISSION_DENIED: 403, NOT_FOUND: 404,
  UNAUTHENTICATED: 401, RESOURCE_EXHAUSTED: 429, ABORTED: 409, UNPROCESSABLE: 422,
};

export class ApiError extends Error {
  constructor(readonly code: ApiCode, message: string, readonly details: Record<string, unknown> = {}) {
    super(message);
  }
}
