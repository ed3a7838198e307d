// A stand-in `amd-smi` executable for machines without AMD GPUs: put it on PATH as `amd-smi` and point
// CANHAZGPU_FAKE_GPUS at a state file. Built to dist/fake-amd-smi.js.
import { renderAmdSmi } from './render-amd.js';
import { FakeStateError, loadFakeState } from './state.js';

try {
  const out = renderAmdSmi(loadFakeState(process.env['CANHAZGPU_FAKE_GPUS']), process.argv.slice(2));
  process.stdout.write(out.stdout);
  process.exitCode = out.exitCode;
} catch (err) {
  if (!(err instanceof FakeStateError)) throw err;
  process.stderr.write(`${err.message}\n`);
  process.exitCode = 1;
}
