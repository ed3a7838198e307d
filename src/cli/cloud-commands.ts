// `canhazgpu cloud`: reserving cloud GPUs through a canhazgpu server.
import type { Command } from 'commander';
import type { CommandDefiners } from './command-definers.js';

const cloud = {
  offers: () => import('./commands/cloud-offers.js'),
  reserve: () => import('./commands/cloud-reserve.js'),
  list: () => import('./commands/cloud-list.js'),
  destroy: () => import('./commands/cloud-destroy.js'),
  reconcile: () => import('./commands/cloud-reconcile.js'),
};

export const cloudCommands: CommandDefiners = {
  cloud: ({ program, act }) => {
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
};
