// The environment that shows a command only its GPUs. On AMD, ROCr filters first and HIP then counts
// within what ROCr left (HIP also reads CUDA_VISIBLE_DEVICES): ROCR_VISIBLE_DEVICES names the GPUs, and
// HIP_VISIBLE_DEVICES and CUDA_VISIBLE_DEVICES number them from 0, or HIP would look for GPU 3 among two.
export type GpuVendor = 'nvidia' | 'amd';

export function visibleDevicesEnv(ids: readonly number[], vendor: GpuVendor = 'nvidia'): Record<string, string> {
  const named = ids.join(',');
  if (vendor === 'nvidia') return { CUDA_VISIBLE_DEVICES: named, CUDA_DEVICE_ORDER: 'PCI_BUS_ID' };
  const counted = ids.map((_, n) => n).join(',');
  return { ROCR_VISIBLE_DEVICES: named, HIP_VISIBLE_DEVICES: counted, CUDA_VISIBLE_DEVICES: counted };
}
