// One client must not take every connection a listener allows (the listener-wide limit alone lets a
// single address hold them all, and /health with them): connections beyond a few per remote address
// are closed as they arrive, before a byte of theirs is read.
import type { Server, Socket } from 'node:net';

export function capConnectionsPerAddress(server: Server, max: number): void {
  const open = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress ?? 'unknown';
    const count = (open.get(address) ?? 0) + 1;
    if (count > max) {
      socket.destroy();
      return;
    }
    open.set(address, count);
    socket.once('close', () => {
      const left = (open.get(address) ?? 1) - 1;
      if (left > 0) open.set(address, left);
      else open.delete(address);
    });
  });
}
