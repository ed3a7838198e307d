// `npm run bench:server`: only the server figures (reserve+destroy rate, p99, RSS, start-up).
import { Sandbox } from '../support/sandbox.js';
import { serverFigures } from './server.js';

const box = new Sandbox();
try {
  const seconds = Number(process.argv[2] ?? 10);
  console.log('shared store:', await serverFigures(box, seconds));
  console.log('private store:', await serverFigures(box, seconds, true));
} finally {
  box.cleanup();
}
