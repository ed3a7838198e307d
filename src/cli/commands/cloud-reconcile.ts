// `canhazgpu cloud reconcile [--fix] [--json]` (admins): the marketplaces' instances against the
// server's records, one line each; `--fix` also destroys labelled instances no record knows.
import type { Context } from '../context.js';
import { serverClient } from '../cloud/server-client.js';

export interface CloudReconcileOptions {
  server?: string | undefined;
  fix: boolean;
  json: boolean;
}

interface Report {
  findings: Array<{
    provider: string;
    contract_id: string | null;
    reservation_id: string | null;
    finding: string;
    action: string;
  }>;
  errors: string[];
}

const WHAT: Record<string, string> = {
  expired: 'its hours were over',
  unconfirmed: 'an end the marketplace had not confirmed',
  unrecorded: 'created, but never recorded (the server stopped in between)',
  never_created: 'on record, but the marketplace never made it',
  ended: 'still live although its reservation ended',
  unknown: 'labelled by canhazgpu, but no record here knows it',
};

export async function cloudReconcileCommand(o: CloudReconcileOptions, ctx: Context): Promise<number> {
  const r = (await serverClient(ctx.env, o.server).call('POST', `/api/v1/cloud/reconcile?fix=${o.fix}`)) as Report;
  if (o.json) {
    ctx.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
  } else {
    if (r.findings.length === 0 && r.errors.length === 0) ctx.stdout.write('Nothing to reconcile\n');
    for (const f of r.findings) {
      const what = `${f.provider}/${f.contract_id ?? '(no contract)'}`;
      ctx.stdout.write(`${what}: ${WHAT[f.finding] ?? f.finding}: ${f.action}\n`);
    }
    const left = r.findings.filter((f) => f.action === 'left alone').length;
    if (left > 0 && !o.fix) ctx.stdout.write(`${left} left alone: run with --fix to destroy them\n`);
  }
  for (const e of r.errors) ctx.stderr.write(`Warning: cannot check ${e}\n`);
  return r.errors.length > 0 ? 1 : 0;
}
