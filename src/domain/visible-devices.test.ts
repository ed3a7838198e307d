import assert from 'node:assert/strict';
import { test } from 'node:test';
import { visibleDevicesEnv } from './visible-devices.js';

test('NVIDIA: CUDA_VISIBLE_DEVICES names the GPUs in PCI order', () => {
  assert.deepEqual(visibleDevicesEnv([1, 3]), { CUDA_VISIBLE_DEVICES: '1,3', CUDA_DEVICE_ORDER: 'PCI_BUS_ID' });
});

test('AMD: ROCR_VISIBLE_DEVICES names the GPUs, HIP and CUDA number what ROCr leaves from 0', () => {
  assert.deepEqual(visibleDevicesEnv([2, 5], 'amd'), {
    ROCR_VISIBLE_DEVICES: '2,5',
    HIP_VISIBLE_DEVICES: '0,1',
    CUDA_VISIBLE_DEVICES: '0,1',
  });
});
