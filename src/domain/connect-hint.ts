// How to reach a reserved instance, in one line a user can paste: the `cloud` commands and the dashboard show it.

/** What a user needs to connect, from an instance's metadata (vast ssh_host/ssh_port, io.net addresses). */
export function connectHint(i: { provider: string; metadata: Record<string, string> }): string {
  const m = i.metadata;
  // io.net's own SSH line for a running VM (src/providers/ionet/vms.ts), as its console shows it.
  if (m['ssh_access']) return m['ssh_access'];
  if (m['ssh_host']) return `ssh -p ${m['ssh_port'] ?? '22'} root@${m['ssh_host']}`;
  const port = m['public_port'] && m['public_port'] !== '22' ? `-p ${m['public_port']} ` : '';
  if (m['ip_address'] || m['public_ip']) return `ssh ${port}${m['ip_address'] ?? m['public_ip']}`;
  return i.provider === 'local' ? 'this host' : '-';
}
