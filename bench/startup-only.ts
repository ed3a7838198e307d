// `npm run bench:startup`: only the start-up figures (see startup.ts).
import { RedisServer, redisServerAvailable } from '../support/redis-server.js';
import { Sandbox } from '../support/sandbox.js';
import { printTable, withoutExtraCaCerts } from './support.js';
import { nvmlReading, racingReservesVersusOriginal, statusWithAgent } from './startup.js';

const caCerts = withoutExtraCaCerts();
const box = new Sandbox();
const redis = redisServerAvailable() ? await RedisServer.start() : null;
try {
  const rows = [
    ['benchmark', 'figure', 'target', 'verdict'],
    ...(caCerts ? [caCerts] : []),
    await statusWithAgent(box),
  ];
  if (redis) rows.push(await statusWithAgent(box, redis.url));
  rows.push(await nvmlReading());
  if (redis) rows.push(...(await racingReservesVersusOriginal(box, redis)));
  else rows.push(['Redis rows', 'not run: redis-server is not installed', '', '']);
  printTable(rows);
} finally {
  await redis?.destroy();
  box.cleanup();
}
