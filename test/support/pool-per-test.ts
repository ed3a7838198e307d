// Inside a describe block: one sandbox for its tests, with a pool of idle fake GPUs set up anew before each.
import { after, before, beforeEach } from 'node:test';
import { Sandbox } from '../../support/sandbox.js';

/** Call the returned function for the sandbox; `admin --gpus <gpus> --force` runs before each test. */
export function poolPerTest(gpus: number): () => Sandbox {
  let box: Sandbox | null = null;
  before(() => {
    box = new Sandbox();
  });
  after(() => box?.cleanup());
  beforeEach(async () => {
    box!.setGpus({ gpus: Array.from({ length: gpus }, () => ({})) });
    await box!.run(['admin', '--gpus', String(gpus), '--force']);
  });
  return () => box!;
}
