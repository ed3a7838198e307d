// How to reach a running io.net deployment's VM. Neither the deployments list nor the details carry
// addresses (cloud-apis.md io.net 6); `GET vmaas/deployment/{id}/vms` (listed in cloud-apis.md io.net 2)
// answers `GetVmJobData {"data": {"total", "workers": [WorkerData]}}`, each worker with `vm_id`, `status`,
// `ssh_access` (the "SSH Access" line the console shows, a command to paste) and `network_services`
// {name: {port, public_ip, public_port, …}} — the full spec `openapi/full/IO_Explorer__IO_CLouds.json`
// (`VmJobsData`, `WorkerData`, `NetworkServiceResponse`; not yet in cloud-apis.md).

/** The path of a deployment's VMs: one page holds ours (one VM per deployment, `replica_count` 1). */
export const vmsPath = (deploymentId: string): string => `/vmaas/deployment/${encodeURIComponent(deploymentId)}/vms`;

interface NetworkService {
  port?: number;
  public_ip?: string;
  public_port?: number;
}

interface Worker {
  vm_id?: string;
  ssh_access?: string;
  network_services?: Record<string, NetworkService> | null;
}

/** The first VM's connection facts as instance metadata; empty until io.net has any. */
export function vmAddresses(data: Record<string, unknown> | undefined): Record<string, string> {
  const workers = data?.['workers'];
  const vm = (Array.isArray(workers) ? workers[0] : undefined) as Worker | undefined;
  if (!vm || typeof vm !== 'object') return {};
  const m: Record<string, string> = {};
  if (typeof vm.vm_id === 'string' && vm.vm_id) m['vm_id'] = vm.vm_id;
  if (typeof vm.ssh_access === 'string' && vm.ssh_access.trim()) m['ssh_access'] = oneLine(vm.ssh_access);
  // SSH is exposed by default (io.net docs, "Deploy VM on demand"): its service says where, when there is one.
  const ssh = Object.values(vm.network_services ?? {}).find((s) => s && s.port === 22 && s.public_ip);
  if (ssh?.public_ip) {
    m['public_ip'] = oneLine(ssh.public_ip);
    if (Number.isInteger(ssh.public_port)) m['public_port'] = String(ssh.public_port);
  }
  return m;
}

/** What a provider says is shown on one terminal line: no control characters from afar. */
const oneLine = (text: string): string =>
  text
    .replace(/[\p{Cc}\p{Cf}\u2028\u2029]+/gu, ' ')
    .trim()
    .slice(0, 300);
