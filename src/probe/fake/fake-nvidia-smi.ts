// A stand-in `nvidia-smi` executable for machines without GPUs: put it on PATH as `nvidia-smi` and
// point CANHAZGPU_FAKE_GPUS at a state file. Built to dist/fake-nvidia-smi.js.
import { renderNvidiaSmi } from './render.js';
import { FakeStateError, loadFakeState } from './state.js';

try {
  const out = renderNvidiaSmi(loadFakeState(process.env['CANHAZGPU_FAKE_GPUS']), process.argv.slice(2));
  if (out.hang) setInterval(() => {}, 1 << 30);
  else {
    process.stdout.write(out.stdout);
    process.exitCode = out.exitCode;
  }
} catch (err) {
  if (!(err instanceof FakeStateError)) throw err;
  process.stderr.write(`${err.message}\n`);
  process.exitCode = 1;
}
