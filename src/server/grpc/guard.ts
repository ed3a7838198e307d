// The gRPC listener's request handler: Connect's routes (as connectNodeAdapter serves them), with
// bounds on what a call holds before its handler runs. Connect keeps a message until it is whole, so
// streams that send a length prefix and part of a message would otherwise fill memory, unauthenticated.
import { constants, type Http2ServerRequest, type Http2ServerResponse } from 'node:http2';
import {
  Code,
  ConnectError,
  createConnectRouter,
  type ConnectRouter,
  type ConnectRouterOptions,
  type ContextValues,
} from '@connectrpc/connect';
import { universalRequestFromNodeRequest, universalResponseToNodeResponse } from '@connectrpc/connect-node';

export interface GuardOptions extends ConnectRouterOptions {
  routes(router: ConnectRouter): void;
  contextValues(req: Http2ServerRequest): ContextValues;
  /** Whether the call's metadata carries credentials that are good (checked before its body is read). */
  credentialed(req: Http2ServerRequest): Promise<boolean>;
  /** Bytes a call without good credentials may send (Login, HealthCheck and token-bearing calls fit). */
  unauthenticatedBytes: number;
  /**
   * Bytes all such calls in flight may have sent together: each call's own bound times every stream of
   * every connection would still add up to hundreds of MB.
   */
  unauthenticatedTotalBytes: number;
  /** A call that has not sent its whole request by then is reset (RST_STREAM CANCEL). */
  streamTimeoutMs: number;
  onError(err: unknown): void;
}

/**
 * The request's bytes, failing the call once they pass `limit`. The rest is then read and dropped, not
 * kept: the answer still goes out with its status, and the stream ends when the client stops or the
 * deadline resets it.
 */
async function* capped(req: Http2ServerRequest, limit: number, shared: ByteBudget): AsyncIterable<Uint8Array> {
  let seen = 0;
  let refused = false;
  // Given back once, when the stream closes or the body is done with: Connect may drop this iterator without
  // finishing it (a unary call's extra message), and then no `finally` below ever runs.
  let given = false;
  const giveBack = () => {
    if (given || limit === Infinity) return;
    given = true;
    shared.give(seen);
  };
  req.stream.once('close', giveBack);
  try {
    for await (const chunk of req.iterator({ destroyOnReturn: false }) as AsyncIterable<Uint8Array>) {
      seen += chunk.byteLength;
      if (seen > limit) {
        refused = true;
        const message = `a call without valid credentials may send at most ${limit} bytes`;
        throw new ConnectError(message, Code.ResourceExhausted);
      }
      if (limit !== Infinity && (given || !shared.take(chunk.byteLength))) {
        seen -= chunk.byteLength;
        refused = true;
        throw new ConnectError('too many calls without valid credentials at once; try again', Code.ResourceExhausted);
      }
      yield chunk;
    }
  } finally {
    req.stream.off('close', giveBack);
    giveBack();
    if (refused) req.resume();
  }
}

/** Bytes taken by calls in flight, all together, up to a total. */
export class ByteBudget {
  private used = 0;
  constructor(readonly total: number) {}

  take(bytes: number): boolean {
    if (this.used + bytes > this.total) return false;
    this.used += bytes;
    return true;
  }

  give(bytes: number): void {
    this.used = Math.max(0, this.used - bytes);
  }

  get inUse(): number {
    return this.used;
  }
}

type Handler = (req: Http2ServerRequest, res: Http2ServerResponse) => void;

export function guardedGrpcHandler(o: GuardOptions): Handler {
  const router = createConnectRouter(o);
  o.routes(router);
  const handlers = new Map(router.handlers.map((h) => [h.requestPath, h]));
  const shared = new ByteBudget(o.unauthenticatedTotalBytes);

  const serve = async (req: Http2ServerRequest, res: Http2ServerResponse) => {
    const handler = handlers.get(req.url.split('?')[0] ?? '');
    if (!handler) {
      res.writeHead(404).end();
      return;
    }
    const limit = (await o.credentialed(req)) ? Infinity : o.unauthenticatedBytes;
    const universal = universalRequestFromNodeRequest(req, res, undefined, o.contextValues(req));
    await universalResponseToNodeResponse(await handler({ ...universal, body: capped(req, limit, shared) }), res);
  };

  return (req, res) => {
    const deadline = setTimeout(() => req.stream.close(constants.NGHTTP2_CANCEL), o.streamTimeoutMs);
    const received = () => clearTimeout(deadline);
    req.once('end', received);
    req.stream.once('close', received);
    serve(req, res).catch((err: unknown) => {
      const code = ConnectError.from(err).code;
      if (code !== Code.Aborted && code !== Code.Canceled) o.onError(err);
      if (!res.headersSent && !req.stream.destroyed) res.writeHead(500).end();
    });
  };
}
