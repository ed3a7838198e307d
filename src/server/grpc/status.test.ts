import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Code } from '@connectrpc/connect';
import { API_STATUS, type ApiCode } from '../errors.js';

test("each API error's gRPC number is the Connect code of that name", () => {
  const expected: Record<ApiCode, Code> = {
    INVALID_ARGUMENT: Code.InvalidArgument,
    FAILED_PRECONDITION: Code.FailedPrecondition,
    INTERNAL: Code.Internal,
    PERMISSION_DENIED: Code.PermissionDenied,
    NOT_FOUND: Code.NotFound,
    UNAUTHENTICATED: Code.Unauthenticated,
    RESOURCE_EXHAUSTED: Code.ResourceExhausted,
    ABORTED: Code.Aborted,
    UNPROCESSABLE: Code.InvalidArgument,
    UNAVAILABLE: Code.Unavailable,
    PAYMENT_REQUIRED: Code.FailedPrecondition,
  };
  assert.deepEqual(Object.fromEntries(Object.entries(API_STATUS).map(([k, v]) => [k, v.grpc])), expected);
});
