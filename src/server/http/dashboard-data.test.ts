import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { StatusRow } from '../../domain/status.js';
import type { GpuService } from '../service/gpu-service.js';
import { type DashboardQueueRow, dashboardData } from './dashboard-data.js';

const NOW = 1_800_000_000_000;

const vllm: StatusRow = {
  gpuId: 0,
  state: 'unreserved',
  notFound: false,
  usage: {
    index: 0,
    uuid: null,
    name: 'H100',
    memoryUsedMb: 50_000,
    memoryTotalMb: 81_559,
    processes: [
      { pid: 1, name: 'python3', usedMemoryMb: 10, user: 'bob', model: null },
      { pid: 2, name: 'python3', usedMemoryMb: 49_990, user: 'bob', model: 'Qwen/Qwen2-7B' },
    ],
  },
};

function sources(queue?: () => Promise<DashboardQueueRow[]>) {
  let now = NOW;
  const reports: number[] = [];
  const data = dashboardData({
    poolRows: async () => [vllm, { gpuId: 1, state: 'available', lastReleased: null, usage: null, notFound: false }],
    ...(queue ? { queue } : {}),
    report: async (days) => {
      reports.push(days);
      return {
        from: '',
        to: '',
        days,
        total_gpu_hours: days,
        users: [
          {
            user: 'bob',
            gpu_hours: days,
            share: 1,
            runs: 1,
            manual: 0,
            in_progress: 0,
            ended: { expired: 0, stale: 0, crashed: 0, forced: 0, timed_out: 0 },
          },
        ],
        total_unreserved_gpu_hours: 0,
        unreserved: [],
      };
    },
    service: { reconcile: async () => [], strategy: 'round_robin' } as unknown as GpuService,
    users: { userById: async () => null, cloudReservations: async () => [] },
    now: () => now,
  });
  return { data, reports, later: (ms: number) => (now += ms) };
}

test('each GPU carries the model its processes serve, as `status --table` finds it', async () => {
  const d = await sources().data();
  assert.deepEqual(
    d.gpus.map((g) => (g as { model: string | null }).model),
    ['Qwen/Qwen2-7B', null],
  );
});

test('no queue source: an empty queue; with one, its rows as given', async () => {
  assert.deepEqual((await sources().data()).queue, []);
  const waiter: DashboardQueueRow = {
    position: 1,
    user: 'ann',
    gpus: 2,
    gpu_ids: null,
    type: 'run',
    note: null,
    waited_seconds: 3,
    estimated_start: null,
  };
  assert.deepEqual((await sources(async () => [waiter]).data()).queue, [waiter]);
});

test('GPU-hours per user for 7 and 30 days, read again only every half minute', async () => {
  const s = sources();
  const d = await s.data();
  assert.deepEqual(d.usage, [
    { days: 7, total_gpu_hours: 7, users: [{ user: 'bob', gpu_hours: 7 }] },
    { days: 30, total_gpu_hours: 30, users: [{ user: 'bob', gpu_hours: 30 }] },
  ]);
  s.later(1_500); // past the page's one-second cache, within the usage's half minute
  await s.data();
  assert.deepEqual(s.reports, [7, 30]);
  s.later(30_000);
  await s.data();
  assert.deepEqual(s.reports, [7, 30, 7, 30]);
});
