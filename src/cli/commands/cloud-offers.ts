// `canhazgpu cloud offers [filters] [--json]`: what the server can reserve now, cheapest first, with
// $/h and $/GPU-h; a provider that did not answer is one warning line.
import type { Context } from '../context.js';
import { filterFields, type FilterFlags } from '../cloud/filters.js';
import { offerTable, type InstanceJson } from '../cloud/offer-table.js';
import { serverClient } from '../cloud/server-client.js';

export interface CloudOffersOptions extends FilterFlags {
  server?: string | undefined;
  json: boolean;
}

export async function cloudOffersCommand(o: CloudOffersOptions, ctx: Context): Promise<number> {
  const client = serverClient(ctx.env, o.server);
  const query = new URLSearchParams(Object.entries(filterFields(o)).map(([k, v]) => [k, String(v)]));
  const answer = (await client.call('GET', `/api/v1/gpu/instances?${query}`)) as {
    instances: InstanceJson[];
    providers?: Record<string, string>;
  };
  const instances = [...answer.instances].sort((a, b) => a.price_per_hour - b.price_per_hour);
  if (o.json) {
    ctx.stdout.write(`${JSON.stringify({ instances, providers: answer.providers ?? {} }, null, 2)}\n`);
    return 0;
  }
  for (const [name, said] of Object.entries(answer.providers ?? {})) {
    if (said !== 'ok') ctx.stderr.write(`Warning: ${name} did not answer: ${said}\n`);
  }
  ctx.stdout.write(instances.length ? offerTable(instances) : 'No instances match the filters\n');
  return 0;
}
