// A user as every records implementation first stores it: enabled, no failed logins, tokens of generation 0.
import { randomUUID } from 'node:crypto';
import type { User } from './ports.js';

export function newUser(email: string, name: string, isAdmin: boolean, passwordHash: string | null, now: number): User {
  return {
    id: randomUUID(),
    email,
    name,
    isAdmin,
    passwordHash,
    createdAt: now,
    disabledAt: null,
    deletedAt: null,
    tokenGeneration: 0,
    failedLogins: 0,
    lockedUntil: null,
  };
}
