// The command line: commander parses flags into each command's options; commands do the rest.
import { Command, CommanderError } from 'commander';
import { CanhazError } from '../domain/errors.js';
import { resolveConfig, type GlobalFlags } from './config.js';
import { systemContext, type Context, type Output } from './context.js';
import { adminCommand } from './commands/admin.js';
import { releaseCommand } from './commands/release.js';
import { queueCommand } from './commands/queue.js';
import { type ReserveOptions, reserveCommand } from './commands/reserve.js';
import { type RunOptions, runCommand } from './commands/run.js';
import { reportCommand } from './commands/report.js';
import { statusCommand } from './commands/status.js';
// The server's commands load on demand (a chunk of their own in the bundle), so `status`, `run` and
// the rest never pay for HTTP, gRPC and their dependencies at start-up.
const server = () => import('./commands/serve.js');
const accounts = () => import('./commands/accounts.js');
const agent = () => import('./commands/agent.js');
const users = () => import('./commands/users.js');
const cloud = {
  offers: () => import('./commands/cloud-offers.js'),
  reserve: () => import('./commands/cloud-reserve.js'),
  list: () => import('./commands/cloud-list.js'),
  destroy: () => import('./commands/cloud-destroy.js'),
  reconcile: () => import('./commands/cloud-reconcile.js'),
};
import { GLOBAL_OPTIONS, USAGE } from './usage.js';

export interface Io {
  stdout: Output;
  stderr: Output;
  env: NodeJS.ProcessEnv;
  readStdin(): Promise<string>;
}

export type ContextFactory = (flags: GlobalFlags, io: Io) => Context;

const defaultContext: ContextFactory = (flags, io) => {
  const config = resolveConfig(flags, io.env);
  for (const why of config.ignoredFiles) io.stderr.write(`Warning: ${why}\n`);
  return systemContext(config, io);
};

/** Global options that take a value (`--store x`); before the command word, they are skipped. */
const VALUED_GLOBALS = new Set(['--store', '--provider', '--config']);

/**
 * The command `argv` names, or null when it names none before some other option (`--help`): only that
 * command is then defined, as defining all of them (their options, descriptions) costs every command.
 */
function commandWord(argv: readonly string[]): string | null {
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    if (VALUED_GLOBALS.has(word)) i++;
    else if (!VALUED_GLOBALS.has(word.split('=')[0]!)) return word.startsWith('-') ? null : word;
  }
  return null;
}

function buildProgram(
  io: Io,
  argv: readonly string[],
  makeContext: ContextFactory,
  done: (code: number) => void,
): Command {
  const program = new Command('canhazgpu')
    .option('--store <url>', 'state store')
    .option('--provider <name>', 'GPU probe: nvidia, amd or fake')
    .option('--config <file>', 'JSON settings file')
    .helpOption('-h, --help')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      outputError: (s, write) => write(`Error: ${s.replace(/^error: /, '').replace(/^./, (c) => c.toUpperCase())}`),
    });
  program.helpInformation = () => USAGE + GLOBAL_OPTIONS;

  const act = (fn: (ctx: Context) => Promise<number>, accounts?: string) => async () => {
    const flags = program.opts<GlobalFlags>();
    done(await fn(makeContext(accounts ? { ...flags, accounts } : flags, io)));
  };

  const commands: Record<string, () => void> = {
    admin: () => {
      program
        .command('admin')
        .description('Initialize GPU pool for this machine')
        .option('--gpus <count>', 'Number of GPUs available on this machine (required)')
        .option('--force', 'Force reinitialization even if already initialized', false)
        .option(
          '--private',
          "A new store only its owner may write; others' commands go through 'canhazgpu agent'",
          false,
        )
        .option('--policy <policy>', 'How free GPUs are chosen: lru (default) or mru-per-user')
        .action(function (this: Command) {
          const o = this.opts<{ gpus?: string; force: boolean; private: boolean; policy?: string }>();
          return act((ctx) =>
            adminCommand({ gpus: o.gpus, force: o.force, private: o.private, policy: o.policy }, ctx),
          )();
        });
    },
    release: () => {
      program
        .command('release')
        .description('Release all manually reserved GPUs held by the current user')
        .option('-G, --gpu-ids <ids>', 'Release only these of your manually reserved GPUs, e.g. 1,3')
        .option('--json', 'Machine-readable output', false)
        .option('--host <name>', "Another host of the fleet sharing the store's Redis")
        .action(function (this: Command) {
          const o = this.opts<{ gpuIds?: string; json: boolean; host?: string }>();
          return act((ctx) => releaseCommand(ctx, o))();
        });
    },
    reserve: () => {
      program
        .command('reserve')
        .description('Reserve GPUs manually for a specified duration')
        .option('--gpus <count>', 'Number of GPUs to reserve (default: 1)')
        .option('--duration <time>', 'Duration to reserve GPUs, e.g. 30m, 2h, 1d, 0.5h (default: 8h)')
        .option('-G, --gpu-ids <ids>', 'Exactly these GPUs, e.g. 1,3 (yours already: extended to the new end)')
        .option('-n, --note <text>', 'What the GPUs are for, shown by status')
        .option('--extend <time>', 'Add this much time to all your manual reservations')
        .option('--json', 'Machine-readable output', false)
        .option('--host <name>', "Another host of the fleet sharing the store's Redis, or 'any' for the best fit")
        .option('--wait [duration]', 'Wait in the queue when too few GPUs are free (for at most DURATION)')
        .action(function (this: Command) {
          const o = this.opts<ReserveOptions>();
          return act((ctx) => reserveCommand(o, ctx))();
        });
    },
    run: () => {
      program
        .command('run')
        .description('Reserve GPUs and run a command with CUDA_VISIBLE_DEVICES set')
        .usage('[--gpus <count>] -- <command> [args]...')
        .option('--gpus <count>', 'Number of GPUs to reserve (default: 1)')
        .option('-G, --gpu-ids <ids>', 'Exactly these GPUs, e.g. 1,3')
        .option('-n, --note <text>', 'What the GPUs are for, shown by status')
        .option('-t, --timeout <time>', 'SIGTERM to the command after this long; exit status 124')
        .option('--kill-after <time>', 'SIGKILL this long after the timeout if still running (default: 30s)')
        .option('--json', 'The grant line on stderr as JSON', false)
        .option('--wait [duration]', 'Wait in the queue when too few GPUs are free (for at most DURATION)')
        .argument('[command...]')
        .allowUnknownOption()
        .action(function (this: Command) {
          const o = this.opts<Omit<RunOptions, 'command' | 'stray'>>();
          // Commander drops `--`; take the command from the raw arguments so its own flags stay its own.
          const dashes = argv.indexOf('--');
          const command = dashes < 0 ? null : argv.slice(dashes + 1);
          // Words before `--` that are not run's own options would be silently lost.
          const stray = command === null ? [] : this.args.slice(0, this.args.length - command.length);
          return act((ctx) => runCommand({ ...o, command, stray }, ctx))();
        });
    },
    agent: () => {
      program
        .command('agent')
        .description("Keep this host's GPU reading fresh for the other commands")
        .option('--interval <seconds>', 'seconds between readings', '1')
        .option(
          '--trust <users>',
          "users who may act for others in a private store (the server's user), comma-separated",
        )
        .action(function (this: Command) {
          const o = this.opts<{ interval: string; trust?: string }>();
          return act(async (ctx) => (await agent()).agentCommand({ interval: o.interval, trust: o.trust }, ctx))();
        });
    },
    serve: () => {
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
        .option(
          '--accounts <file>',
          "the server's users, keys and ledger (default /var/lib/canhazgpu-server/server.db)",
        )
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
    user: () => {
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
          return act(
            async (ctx) => (await users()).userListCommand(ctx),
            this.opts<{ accounts?: string }>().accounts,
          )();
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
    apikey: () => {
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
    cloud: () => {
      const cloudGroup = program.command('cloud').description('Reserve cloud GPUs through a canhazgpu server');
      const serverOption = (c: Command) =>
        c.option('--server <url>', 'the server (env CANHAZGPU_SERVER; default http://127.0.0.1:8080)');
      const filterOptions = (c: Command) =>
        c
          .option('--min-vram <gb>', 'GB of memory per GPU, at least')
          .option('--max-price <usd>', 'dollars per hour per instance, at most')
          .option('--provider <name>', 'vast.ai, io.net, local (default: all)')
          .option('--gpu-model <name>', 'GPU model, or part of its name ("RTX 4090", A100)')
          .option('--location <text>', 'part of the location')
          .option('--num-gpus <n>', 'GPUs per instance (default 1)');
      serverOption(filterOptions(cloudGroup.command('offers').description('What can be reserved now, cheapest first')))
        .option('--json', 'Machine-readable output', false)
        .action(function (this: Command) {
          const o = this.opts<import('./commands/cloud-offers.js').CloudOffersOptions>();
          return act(async (ctx) => (await cloud.offers()).cloudOffersCommand(o, ctx))();
        });
      serverOption(filterOptions(cloudGroup.command('reserve').description('Reserve instances; prints how to connect')))
        .requiredOption('--count <n>', 'instances to reserve (1 to 16)')
        .option('--hours <h>', "how long (default: the server's, 8)")
        .option('--all-or-nothing', 'destroy what was made unless every instance is', false)
        .option('--json', 'Machine-readable output', false)
        .action(function (this: Command) {
          const o = this.opts<import('./commands/cloud-reserve.js').CloudReserveOptions>();
          return act(async (ctx) => (await cloud.reserve()).cloudReserveCommand(o, ctx))();
        });
      serverOption(cloudGroup.command('list').description('Your reservations, with their cost so far'))
        .option('--json', 'Machine-readable output', false)
        .action(function (this: Command) {
          const o = this.opts<import('./commands/cloud-list.js').CloudListOptions>();
          return act(async (ctx) => (await cloud.list()).cloudListCommand(o, ctx))();
        });
      serverOption(cloudGroup.command('destroy').description('End one of your reservations'))
        .argument('<contract_id>')
        .option('--provider <name>', 'its provider (looked up when not given)')
        .action(function (this: Command, contractId: string) {
          const o = this.opts<import('./commands/cloud-destroy.js').CloudDestroyOptions>();
          return act(async (ctx) => (await cloud.destroy()).cloudDestroyCommand(contractId, o, ctx))();
        });
      serverOption(cloudGroup.command('reconcile').description("Marketplaces' instances against the records (admins)"))
        .option('--fix', 'also destroy labelled instances no record knows', false)
        .option('--json', 'Machine-readable output', false)
        .action(function (this: Command) {
          const o = this.opts<import('./commands/cloud-reconcile.js').CloudReconcileOptions>();
          return act(async (ctx) => (await cloud.reconcile()).cloudReconcileCommand(o, ctx))();
        });
    },
    queue: () => {
      program
        .command('queue')
        .description('Show the requests waiting for GPUs, in order')
        .option('--json', 'Machine-readable output', false)
        .action(function (this: Command) {
          const o = this.opts<{ json: boolean }>();
          return act((ctx) => queueCommand(o, ctx))();
        });
    },
    status: () => {
      program
        .command('status')
        .description('Show current GPU allocation status')
        .option('--table', 'Show a table with users, models and processes', false)
        .option('--json', 'Machine-readable output', false)
        .option('--all', "Every host of the fleet sharing the store's Redis", false)
        .option('--host <name>', 'Only this host of the fleet (repeatable)', (v: string, acc: string[] = []) => [
          ...acc,
          v,
        ])
        .action(function (this: Command) {
          const o = this.opts<{ table: boolean; json: boolean; all: boolean; host?: string[] }>();
          return act((ctx) => statusCommand({ table: o.table, json: o.json, all: o.all, hosts: o.host }, ctx))();
        });
    },
    report: () => {
      program
        .command('report')
        .description('GPU-hours per user over the last days, from the history of reservations')
        .option('--days <n>', 'how many days back from now (default: 30)')
        .option('--json', 'Machine-readable output', false)
        .option('--csv', 'Comma-separated values, a header line first', false)
        .action(function (this: Command) {
          const o = this.opts<{ days?: string; json: boolean; csv: boolean }>();
          return act((ctx) => reportCommand(o, ctx))();
        });
    },
  };
  const only = commandWord(argv);
  if (only !== null && Object.hasOwn(commands, only)) commands[only]!();
  else for (const define of Object.values(commands)) define();

  return program;
}

/** Runs the CLI on `argv` (without node and script) and resolves to the exit code. */
export async function main(
  argv: readonly string[],
  io: Io,
  makeContext: ContextFactory = defaultContext,
): Promise<number> {
  if (argv.length === 0) {
    io.stdout.write(USAGE + GLOBAL_OPTIONS);
    return 0;
  }
  let exitCode = 0;
  const program = buildProgram(io, argv, makeContext, (code) => (exitCode = code));
  try {
    // Up to `--`, commander parses; after it, everything is the command of `run`.
    const dashes = argv.indexOf('--');
    await program.parseAsync(dashes < 0 ? [...argv] : [...argv.slice(0, dashes), '--', ...argv.slice(dashes + 1)], {
      from: 'user',
    });
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 1;
    if (err instanceof CanhazError) {
      io.stderr.write(`Error: ${err.message}\n`);
      return err.exitCode;
    }
    throw err;
  }
}
