// A stand-in `amd-smi` executable for machines without AMD GPUs: put it on PATH as `amd-smi` and point
// CANHAZGPU_FAKE_GPUS at a state file. Built to dist/fake-amd-smi.js.
import { renderAmdSmi } from './render-amd.js';
import { runFakeTool } from './run-fake.js';

runFakeTool(renderAmdSmi);
