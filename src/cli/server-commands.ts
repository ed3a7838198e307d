// The server's commands: serving, and its users and API keys.
import type { Command } from 'commander';
import type { CommandDefiners } from './command-definers.js';
import type { Context } from './context.js';

// They load on demand (modules of their own in the bundle), so `status`, `run` and the rest never pay for
// HTTP, gRPC and their dependencies at start-up.
const server = () => import('./commands/serve.js');
const accounts = () => import('./commands/accounts.js');
const users = () => import('./commands/users.js');

export const serverCommands: CommandDefiners = {
  serve: ({ program, act }) => {
    program
      .command('serve')
      .description('Serve the HTTP API, dashboard and metrics on this pool')
      .option(
        '--http <host:port>',
        'HTTP address, loopback unless told otherwise (default: "127.0.0.1:8080", or env CANHAZGPU_HTTP)',
      )
      .option('--grpc <host:port>', 'gRPC address, or \'off\' (default: "127.0.0.1:9090", or env CANHAZGPU_GRPC)')
      .option('--log-format <format>', 'text or json, one line per request', 'text')
      .option('--rate-limit <n>', 'requests per second per API key (0: no limit)', '100')
      .option('--price-per-gpu-hour <usd>', "this host's chargeback price per GPU-hour (default 0)")
      .option('--accounts <file>', "the server's users, keys and ledger (default /var/lib/canhazgpu-server/server.db)")
      .option('--allowed-hosts <names>', 'host names HTTP answers besides loopback ones, comma-separated')
      .option('--tls-cert <file>', 'PEM certificate: serve HTTPS and gRPC over TLS (with --tls-key)')
      .option('--tls-key <file>', 'PEM private key of --tls-cert')
      .option('--env-file <file>', 'VASTAI_API_KEY, IONET_API_KEY and their URLs (default: .env here, if present)')
      .action(function (this: Command) {
        const o = this.opts<{
          http?: string;
          grpc?: string;
          logFormat: string;
          rateLimit: string;
          pricePerGpuHour?: string;
          accounts?: string;
        }>();
        const net = this.opts<{ allowedHosts?: string; tlsCert?: string; tlsKey?: string; envFile?: string }>();
        const serve = async (ctx: Context) =>
          (await server()).serveCommand(
            {
              http: o.http,
              grpc: o.grpc,
              logFormat: o.logFormat,
              rateLimit: o.rateLimit,
              pricePerGpuHour: o.pricePerGpuHour,
              ...net,
            },
            ctx,
          );
        return act(serve, o.accounts)();
      });
  },
  user: ({ program, act, io }) => {
    const user = program.command('user').description("Manage the server's users");
    user
      .command('add')
      .description('Add a user who can log in to the server')
      .option('--email <email>')
      .option('--name <name>')
      .option('--admin', 'may change the strategy and destroy any reservation', false)
      .option('--password-stdin', 'read the password from standard input', false)
      .option('--accounts <file>')
      .action(function (this: Command) {
        const o = this.opts<{
          email?: string;
          name?: string;
          admin: boolean;
          passwordStdin: boolean;
          accounts?: string;
        }>();
        return act(async (ctx) => {
          const password = o.passwordStdin ? (await io.readStdin()).replace(/\r?\n$/, '') : null;
          return (await accounts()).userAddCommand({ email: o.email, name: o.name, admin: o.admin, password }, ctx);
        }, o.accounts)();
      });
    user
      .command('list')
      .description('List the users, and whether each is disabled or locked out')
      .option('--accounts <file>')
      .action(function (this: Command) {
        return act(async (ctx) => (await users()).userListCommand(ctx), this.opts<{ accounts?: string }>().accounts)();
      });
    user
      .command('passwd')
      .description("Change a user's password; their login tokens stop working")
      .option('--email <email>')
      .option('--password-stdin', 'read the password from standard input', false)
      .option('--accounts <file>')
      .action(function (this: Command) {
        const o = this.opts<{ email?: string; passwordStdin: boolean; accounts?: string }>();
        return act(async (ctx) => {
          const password = o.passwordStdin ? (await io.readStdin()).replace(/\r?\n$/, '') : null;
          return (await users()).userPasswdCommand({ email: o.email, password }, ctx);
        }, o.accounts)();
      });
    const changes = [
      ['disable', "Stop a user's API keys and login tokens from working"],
      ['enable', "Let a disabled user's API keys work again"],
      ['delete', 'Delete a user who holds no active reservation (the ledger is kept)'],
      ['revoke-tokens', 'End every login token of a user'],
    ] as const;
    for (const [change, description] of changes) {
      user
        .command(change)
        .description(description)
        .option('--email <email>')
        .option('--accounts <file>')
        .action(function (this: Command) {
          const o = this.opts<{ email?: string; accounts?: string }>();
          return act(async (ctx) => (await users()).userChangeCommand(change, { email: o.email }, ctx), o.accounts)();
        });
    }
  },
  apikey: ({ program, act }) => {
    const apikey = program.command('apikey').description('Manage API keys for the server');
    apikey
      .command('create')
      .description('Create an API key (printed once) for you, or for --user')
      .option('--name <name>')
      .option('--user <email>')
      .option('--accounts <file>')
      .action(function (this: Command) {
        const o = this.opts<{ name?: string; user?: string; accounts?: string }>();
        return act(
          async (ctx) => (await accounts()).apiKeyCreateCommand({ name: o.name, user: o.user }, ctx),
          o.accounts,
        )();
      });
    apikey
      .command('list')
      .description('List API keys')
      .option('--user <email>')
      .option('--accounts <file>')
      .action(function (this: Command) {
        const o = this.opts<{ user?: string; accounts?: string }>();
        return act(async (ctx) => (await accounts()).apiKeyListCommand({ user: o.user }, ctx), o.accounts)();
      });
    apikey
      .command('revoke')
      .description('Revoke an API key')
      .argument('[id]')
      .option('--user <email>')
      .option('--accounts <file>')
      .action(function (this: Command, id: string | undefined) {
        const o = this.opts<{ user?: string; accounts?: string }>();
        return act(async (ctx) => (await accounts()).apiKeyRevokeCommand({ id, user: o.user }, ctx), o.accounts)();
      });
  },
};
