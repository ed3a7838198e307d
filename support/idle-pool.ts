// A pool service on `store` whose machine has `size` idle GPUs, on the system clock: what queue tests
// and the hand-over benchmark run waiters on.
import { type Store, systemClock } from '../src/domain/ports.js';
import type { GpuUsage } from '../src/domain/usage.js';
import { PoolService } from '../src/pool/pool-service.js';

export function idlePool(store: Store, size: number): PoolService {
  const idle: GpuUsage[] = Array.from({ length: size }, (_, index) => ({
    index,
    uuid: `GPU-${index}`,
    name: 'H100',
    memoryUsedMb: 0,
    memoryTotalMb: 81_559,
    processes: [],
  }));
  return new PoolService({
    store,
    probe: { toolName: 'nvidia-smi', probe: async () => idle },
    clock: systemClock,
    owners: { state: () => 'unknown' },
    staleAfterMs: 300_000,
    inUseThresholdMb: 1024,
  });
}
