// A child for `run` tests: records each signal it gets in a file, exits 42 half a second after the first.
import { writeFileSync } from 'node:fs';

const [record] = process.argv.slice(2);
const seen = [];
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    seen.push(signal);
    writeFileSync(record, seen.join('\n'));
    if (seen.length === 1) setTimeout(() => process.exit(42), 500);
  });
}
writeFileSync(`${record}.ready`, process.env.CUDA_VISIBLE_DEVICES ?? '');
setInterval(() => {}, 1000);
