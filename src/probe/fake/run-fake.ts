// The body of a stand-in GPU tool (fake-nvidia-smi, fake-amd-smi): prints what `render` makes of the fake
// machine in CANHAZGPU_FAKE_GPUS for this process's arguments, with its exit code.
import type { SmiOutput } from './render.js';
import { type FakeState, FakeStateError, loadFakeState } from './state.js';

export function runFakeTool(render: (state: FakeState, args: string[]) => SmiOutput): void {
  try {
    const out = render(loadFakeState(process.env['CANHAZGPU_FAKE_GPUS']), process.argv.slice(2));
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
}
