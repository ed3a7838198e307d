// Where a shared SQLite store may live: a local filesystem (network filesystems do not give SQLite
// the locks it needs).
import { statfsSync } from 'node:fs';

// statfs(2) f_type magic numbers of network filesystems.
const NETWORK_FILESYSTEMS: Record<number, string> = {
  0x6969: 'NFS',
  0xff534d42: 'CIFS',
  0xfe534d42: 'SMB2',
  0x517b: 'SMB',
  0x01021997: '9P',
  0x65735546: 'FUSE (sshfs and others)',
  0x47504653: 'GPFS',
  0x0bd00bd0: 'Lustre',
  0x19830326: 'BeeGFS',
  0x00c36400: 'CephFS',
};

/** The network filesystem `dir` is on, or null when it is local (or cannot be told). */
export function networkFilesystem(dir: string): string | null {
  try {
    return NETWORK_FILESYSTEMS[statfsSync(dir).type] ?? null;
  } catch {
    return null;
  }
}
