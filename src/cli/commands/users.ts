// `canhazgpu user list|passwd|disable|enable|delete|revoke-tokens`: how an administrator locks a user
// out. The server reads the user on every request, so each change holds from its next request on.
import { hashPassword } from '../../server/auth.js';
import { UsageError } from '../../domain/errors.js';
import type { Context } from '../context.js';
import { existingUser, requireLongPassword, withAccounts } from './accounts.js';

export type UserChange = 'disable' | 'enable' | 'delete' | 'revoke-tokens';

const iso = (ms: number) => new Date(ms).toISOString();
const needEmail = (usage: string) => new UsageError(`--email is required. Usage: canhazgpu user ${usage}`);

export async function userListCommand(ctx: Context): Promise<number> {
  return withAccounts(
    ctx,
    async (accounts) => {
      const now = ctx.clock.now();
      for (const u of await accounts.listUsers()) {
        const state =
          u.disabledAt !== null
            ? `disabled ${iso(u.disabledAt)}`
            : u.lockedUntil !== null && u.lockedUntil > now
              ? `login locked until ${iso(u.lockedUntil)}`
              : 'active';
        ctx.stdout.write(`${u.email}  ${u.name}  ${u.isAdmin ? 'admin' : 'user'}  ${state}\n`);
      }
    },
    'read',
  );
}

export async function userChangeCommand(
  change: UserChange,
  opts: { email: string | undefined },
  ctx: Context,
): Promise<number> {
  if (!opts.email) throw needEmail(`${change} --email EMAIL`);
  const email = opts.email;
  return withAccounts(
    ctx,
    async (accounts) => {
      const user = await existingUser(accounts, email);
      const now = ctx.clock.now();
      if (change === 'disable') await accounts.setDisabled(user.id, true, now);
      else if (change === 'enable') await accounts.setDisabled(user.id, false, now);
      else if (change === 'delete') await accounts.deleteUser(user, now);
      else await accounts.revokeTokens(user.id);
      ctx.stdout.write(
        {
          disable: `Disabled ${user.email}: its API keys and login tokens no longer work\n`,
          enable: `Enabled ${user.email}: its API keys work again (it logs in anew)\n`,
          delete: `Deleted ${user.email}: its API keys are revoked, its ledger is kept\n`,
          'revoke-tokens': `Revoked every login token of ${user.email}\n`,
        }[change],
      );
    },
    'existing',
  );
}

/** A new password, read by the caller from stdin; the user's login tokens die with the old one. */
export async function userPasswdCommand(
  opts: { email: string | undefined; password: string | null },
  ctx: Context,
): Promise<number> {
  if (!opts.email) throw needEmail('passwd --email EMAIL --password-stdin');
  if (opts.password === null) throw new UsageError('the password is read from standard input: add --password-stdin');
  requireLongPassword(opts.password);
  const [email, password] = [opts.email, opts.password];
  return withAccounts(
    ctx,
    async (accounts) => {
      const user = await existingUser(accounts, email);
      await accounts.setPassword(user.id, await hashPassword(password));
      ctx.stdout.write(`Changed the password of ${user.email}; its login tokens no longer work\n`);
    },
    'existing',
  );
}
