// A child for the hangup tests: records each SIGHUP and SIGTERM it gets (a line each) when it handles
// them (ARGV[2] 'ignore'), else dies of them; writes its pid to `<dir>/ready`, exits once `<dir>/go` exists.
// It never writes to the terminal, which is gone after the hangup.
import { appendFileSync, existsSync, writeFileSync } from 'node:fs';

const [dir, mode] = process.argv.slice(2);
if (mode === 'ignore')
  for (const signal of ['SIGHUP', 'SIGTERM']) process.on(signal, () => appendFileSync(`${dir}/signals`, `${signal}\n`));
writeFileSync(`${dir}/ready`, String(process.pid));
setInterval(() => {
  if (existsSync(`${dir}/go`)) process.exit(0);
}, 50);
