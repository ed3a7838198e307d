// What every route module shares: the app's type and the pieces of OpenAPI route descriptions.
import type { OpenAPIHono, z } from '@hono/zod-openapi';
import type { User } from '../records/ports.js';
import { ErrorBody } from './schemas.js';

/** The authenticated caller, set by middleware/authenticate.ts for /api/v1. */
export type Env = { Variables: { user: User } };
export type ApiApp = OpenAPIHono<Env>;

export const json = <T extends z.ZodTypeAny>(schema: T) => ({ content: { 'application/json': { schema } } });
export const errors = {
  400: { description: 'bad request', ...json(ErrorBody) },
  401: { description: 'no valid key', ...json(ErrorBody) },
};
export const secured: Array<Record<string, string[]>> = [{ ApiKey: [] }, { Bearer: [] }];
