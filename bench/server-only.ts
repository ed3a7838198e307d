// `npm run bench:server`: only the server figures (reserve+destroy rate, p99, RSS, start-up).
import { Sandbox } from '../support/sandbox.js';
import { serverFigures } from './server.js';

const box = new Sandbox();
try {
  console.log(await serverFigures(box, Number(process.argv[2] ?? 10)));
} finally {
  box.cleanup();
}
