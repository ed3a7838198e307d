// Who is at the other end of a Unix socket, as the kernel tells it (SO_PEERCRED): the agent trusts this,
// never a name the client sends. Read through koffi, loaded on first use (Node has no call for it).
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import type * as Koffi from 'koffi';

export interface PeerCredentials {
  pid: number;
  uid: number;
  gid: number;
}

// <sys/socket.h> on Linux (asm-generic: x86-64, arm64); `struct ucred` is three 32-bit ints.
const SOL_SOCKET = 1;
const SO_PEERCRED = 17;
const UCRED_BYTES = 12;

type GetSockOpt = (fd: number, level: number, name: number, value: Buffer, length: number[]) => number;
let getsockopt: GetSockOpt | undefined;

function libcGetsockopt(): GetSockOpt {
  if (!getsockopt) {
    const koffi = createRequire(import.meta.url)('koffi') as typeof Koffi;
    getsockopt = koffi
      .load('libc.so.6')
      .func('int getsockopt(int, int, int, _Out_ uint8_t *, _Inout_ uint32_t *)') as GetSockOpt;
  }
  return getsockopt;
}

/** The peer of a connected Unix socket; throws when the kernel cannot say. */
export function peerCredentials(socket: Socket): PeerCredentials {
  // A connected socket's handle exposes its descriptor on Unix (libuv's uv_fileno).
  const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) throw new Error('the connection has no descriptor');
  const value = Buffer.alloc(UCRED_BYTES);
  const length = [UCRED_BYTES];
  if (libcGetsockopt()(fd, SOL_SOCKET, SO_PEERCRED, value, length) !== 0 || length[0] !== UCRED_BYTES) {
    throw new Error('getsockopt(SO_PEERCRED) failed');
  }
  return { pid: value.readInt32LE(0), uid: value.readUInt32LE(4), gid: value.readUInt32LE(8) };
}
