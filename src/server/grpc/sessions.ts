// The gRPC listener's connections: known for shutdown, and closed (GOAWAY) once they have had no call
// open for `idleMs`, so connections that sit silent do not hold sockets and memory for ever.
import type { Http2SecureServer, Http2Server, ServerHttp2Session } from 'node:http2';

export function trackSessions(server: Http2Server | Http2SecureServer, idleMs: number): Set<ServerHttp2Session> {
  const sessions = new Set<ServerHttp2Session>();
  server.on('session', (session: ServerHttp2Session) => {
    sessions.add(session);
    let open = 0;
    let idle: NodeJS.Timeout | undefined;
    // A call that runs long (a slow provider) is not idleness: the clock runs only while no call is open.
    const arm = () => {
      idle = setTimeout(() => session.close(), idleMs);
    };
    session.on('stream', (stream) => {
      open++;
      clearTimeout(idle);
      stream.once('close', () => {
        if (--open === 0 && !session.closed) arm();
      });
    });
    session.once('close', () => {
      clearTimeout(idle);
      sessions.delete(session);
    });
    arm();
  });
  return sessions;
}
