// A stand-in `nvidia-smi` executable for machines without GPUs: put it on PATH as `nvidia-smi` and
// point CANHAZGPU_FAKE_GPUS at a state file. Built to dist/fake-nvidia-smi.js.
import { renderNvidiaSmi } from './render.js';
import { runFakeTool } from './run-fake.js';

runFakeTool(renderNvidiaSmi);
