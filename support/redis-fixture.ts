// A real redis-server and a client of it for one test file: started before its tests, gone after.
import { after, before } from 'node:test';
import { Redis } from 'ioredis';
import { RedisServer } from './redis-server.js';

export interface RedisFixture {
  readonly server: RedisServer;
  /** A plain client, to set up and inspect keys behind the store's back. */
  readonly redis: Redis;
}

export function redisFixture(): RedisFixture {
  let server: RedisServer | undefined;
  let redis: Redis | undefined;
  before(async () => {
    server = await RedisServer.start();
    redis = new Redis(server.url);
  });
  after(async () => {
    redis?.disconnect();
    await server?.destroy();
  });
  return {
    get server() {
      return server!;
    },
    get redis() {
      return redis!;
    },
  };
}
