// `canhazgpu user add` and `canhazgpu apikey create|list|revoke`: the server's accounts, for whoever
// may open them (the server's user, or root). Only `user add` and `apikey create` make the file.
import { hostname } from 'node:os';
import { CanhazError, UsageError } from '../../domain/errors.js';
import type { Records, RecordsOpenOptions, User, UserRecords } from '../../server/records/ports.js';
import { hashApiKey, hashPassword, newApiKey } from '../../server/auth.js';
import { MAX_KEY_NAME_LENGTH } from '../../server/request-limits.js';
import type { Context } from '../context.js';

export interface UserAddOptions {
  email: string | undefined;
  name: string | undefined;
  admin: boolean;
  /** The password, read by the caller from stdin (never a flag: flags show up in `ps`). */
  password: string | null;
}

const EMAIL = /^[^\s@]+@[^\s@]+$/;

export function requireLongPassword(password: string): void {
  if (password.length < 8) throw new UsageError('the password must have at least 8 characters');
}

/** Opens the accounts for one command (only `create` makes the file) and closes them however it ends. */
export async function withAccounts(
  ctx: Context,
  fn: (accounts: Records) => Promise<void>,
  mode: RecordsOpenOptions['mode'] = 'create',
): Promise<number> {
  const accounts = await ctx.openAccounts({ mode });
  try {
    await fn(accounts);
  } finally {
    accounts.close();
  }
  return 0;
}

export async function userAddCommand(opts: UserAddOptions, ctx: Context): Promise<number> {
  if (!opts.email || !EMAIL.test(opts.email))
    throw new UsageError(
      '--email must be an email address. Usage: canhazgpu user add --email EMAIL [--name NAME] [--admin] [--password-stdin]',
    );
  if (opts.password !== null) requireLongPassword(opts.password);
  const email = opts.email;
  return withAccounts(ctx, async (accounts) => {
    const hash = opts.password === null ? null : await hashPassword(opts.password);
    const user = await accounts.addUser(email, opts.name ?? email.split('@')[0]!, opts.admin, hash, ctx.clock.now());
    ctx.stdout.write(`Added ${user.isAdmin ? 'admin ' : ''}user ${user.email} (${user.id})\n`);
  });
}

/** The user of `email`, or one clear line saying there is none. */
export async function existingUser(accounts: Pick<UserRecords, 'userByEmail'>, email: string): Promise<User> {
  const user = await accounts.userByEmail(email);
  if (!user) throw new CanhazError(`no user ${email}; add one with 'canhazgpu user add --email ${email}'`);
  return user;
}

/** `--user EMAIL`, or the account of the local user, made on first use when `create` says so. */
async function targetUser(
  accounts: UserRecords,
  email: string | undefined,
  ctx: Context,
  create = false,
): Promise<User> {
  if (email) return existingUser(accounts, email);
  const login = await ctx.currentUser();
  const local = `${login}@${hostname()}`;
  const user = await accounts.userByEmail(local);
  if (user) return user;
  if (!create) throw new CanhazError(`no user ${local} yet: 'canhazgpu apikey create --name NAME' makes it`);
  return accounts.addUser(local, login, false, null, ctx.clock.now());
}

export async function apiKeyCreateCommand(
  opts: { name: string | undefined; user: string | undefined },
  ctx: Context,
): Promise<number> {
  if (!opts.name || opts.name.length > MAX_KEY_NAME_LENGTH) {
    throw new UsageError(
      `--name must be 1 to ${MAX_KEY_NAME_LENGTH} characters. ` +
        'Usage: canhazgpu apikey create --name NAME [--user EMAIL]',
    );
  }
  const name = opts.name;
  return withAccounts(ctx, async (accounts) => {
    const user = await targetUser(accounts, opts.user, ctx, true);
    const key = newApiKey();
    const record = await accounts.addApiKey(user.id, name, hashApiKey(key), ctx.clock.now());
    ctx.stdout.write(`${key}\n`);
    ctx.stderr.write(`API key '${record.name}' (${record.id}) for ${user.email}: shown once, only its hash is kept\n`);
  });
}

export async function apiKeyListCommand(opts: { user: string | undefined }, ctx: Context): Promise<number> {
  return withAccounts(
    ctx,
    async (accounts) => {
      const user = await targetUser(accounts, opts.user, ctx);
      for (const k of await accounts.listApiKeys(user.id)) {
        const state = k.revokedAt === null ? 'active' : `revoked ${new Date(k.revokedAt).toISOString()}`;
        ctx.stdout.write(`${k.id}  ${k.name}  created ${new Date(k.createdAt).toISOString()}  ${state}\n`);
      }
    },
    'read',
  );
}

export async function apiKeyRevokeCommand(
  opts: { id: string | undefined; user: string | undefined },
  ctx: Context,
): Promise<number> {
  if (!opts.id) throw new UsageError('Usage: canhazgpu apikey revoke KEY_ID [--user EMAIL]');
  const id = opts.id;
  return withAccounts(
    ctx,
    async (accounts) => {
      const user = await targetUser(accounts, opts.user, ctx);
      if (!(await accounts.revokeApiKey(user.id, id, ctx.clock.now()))) {
        throw new CanhazError(`${user.email} has no active API key ${id}`);
      }
      ctx.stdout.write(`Revoked API key ${id}\n`);
    },
    'existing',
  );
}
