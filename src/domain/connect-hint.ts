// How to reach a reserved instance, in one line a user can paste: the `cloud` commands and the dashboard show it.

/** What a user needs to connect, from an instance's metadata (vast ssh_host/ssh_port, io.net addresses). */
export function connectHint(i: { provider: string; metadata: Record<string, string> }): string {
  const m = i.metadata;
  if (m['ssh_host']) return `ssh -p ${m['ssh_port'] ?? '22'} root@${m['ssh_host']}`;
  if (m['ip_address'] || m['public_ip']) return `ssh ${m['ip_address'] ?? m['public_ip']}`;
  return i.provider === 'local' ? 'this host' : '-';
}
