// The pool's commands: setting up, reserving, running, releasing, and reading its state.
import type { Command } from 'commander';
import { adminCommand } from './commands/admin.js';
import { queueCommand } from './commands/queue.js';
import { releaseCommand } from './commands/release.js';
import { reportCommand } from './commands/report.js';
import { type ReserveOptions, reserveCommand } from './commands/reserve.js';
import { type RunOptions, runCommand } from './commands/run.js';
import { statusCommand } from './commands/status.js';
import type { CommandDefiners } from './command-definers.js';

// The agent's command loads on demand: only the agent needs its socket service.
const agent = () => import('./commands/agent.js');

export const poolCommands: CommandDefiners = {
  admin: ({ program, act }) => {
    program
      .command('admin')
      .description('Initialize GPU pool for this machine')
      .option('--gpus <count>', 'Number of GPUs available on this machine (required)')
      .option('--force', 'Force reinitialization even if already initialized', false)
      .option('--private', "A new store only its owner may write; others' commands go through 'canhazgpu agent'", false)
      .option('--policy <policy>', 'How free GPUs are chosen: lru (default) or mru-per-user')
      .action(function (this: Command) {
        const o = this.opts<{ gpus?: string; force: boolean; private: boolean; policy?: string }>();
        return act((ctx) =>
          adminCommand({ gpus: o.gpus, force: o.force, private: o.private, policy: o.policy }, ctx),
        )();
      });
  },
  release: ({ program, act }) => {
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
  reserve: ({ program, act }) => {
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
  run: ({ program, act, argv }) => {
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
  agent: ({ program, act }) => {
    program
      .command('agent')
      .description("Keep this host's GPU reading fresh for the other commands")
      .option('--interval <seconds>', 'seconds between readings', '1')
      .option('--trust <users>', "users who may act for others in a private store (the server's user), comma-separated")
      .action(function (this: Command) {
        const o = this.opts<{ interval: string; trust?: string }>();
        return act(async (ctx) => (await agent()).agentCommand({ interval: o.interval, trust: o.trust }, ctx))();
      });
  },
  queue: ({ program, act }) => {
    program
      .command('queue')
      .description('Show the requests waiting for GPUs, in order')
      .option('--json', 'Machine-readable output', false)
      .action(function (this: Command) {
        const o = this.opts<{ json: boolean }>();
        return act((ctx) => queueCommand(o, ctx))();
      });
  },
  status: ({ program, act }) => {
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
  report: ({ program, act }) => {
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
