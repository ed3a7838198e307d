import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { GpuInstance } from './instances.js';
import { newSelectionState, selectInstances, type LoadFacts } from './selection.js';

const inst = (id: string, provider: string, price: number, vram = 80, location = 'here'): GpuInstance => ({
  id,
  provider,
  status: 'available',
  pricePerHour: price,
  vramGb: vram,
  gpuModel: 'H100',
  numGpus: 1,
  location,
  metadata: { contract_id: id },
});
const noLoad: LoadFacts = { active: new Map(), totalByProvider: new Map(), avgResponseMs: new Map() };
const ids = (xs: GpuInstance[]) => xs.map((x) => x.id);

test('round_robin rotates through the matching instances across requests', () => {
  const pool = ['a', 'b', 'c'].map((id) => inst(id, 'local', 0));
  const state = newSelectionState();
  assert.deepEqual(ids(selectInstances('round_robin', pool, 2, state, noLoad)), ['a', 'b']);
  assert.deepEqual(ids(selectInstances('round_robin', pool, 2, state, noLoad)), ['c', 'a']);
  assert.deepEqual(ids(selectInstances('round_robin', pool, 1, state, noLoad)), ['b']);
});

test('equal_weighted balances total reservations across providers', () => {
  const pool = [inst('l1', 'local', 0), inst('l2', 'local', 0), inst('v1', 'vast.ai', 1), inst('v2', 'vast.ai', 1)];
  const load = {
    ...noLoad,
    totalByProvider: new Map([
      ['local', 3],
      ['vast.ai', 0],
    ]),
  };
  assert.deepEqual(ids(selectInstances('equal_weighted', pool, 3, newSelectionState(), load)), ['v1', 'v2', 'l1']);
});

test('weighted_round_robin gives instances turns in proportion to VRAM x GPUs per dollar', () => {
  const cheap = inst('cheap', 'x', 1, 80); // weight 80
  const dear = inst('dear', 'x', 4, 80); // weight 20
  const state = newSelectionState();
  const picks = Array.from(
    { length: 10 },
    () => selectInstances('weighted_round_robin', [cheap, dear], 1, state, noLoad)[0]!.id,
  );
  assert.equal(picks.filter((p) => p === 'cheap').length, 8);
  assert.equal(picks.filter((p) => p === 'dear').length, 2);
  // One request never gets the same instance twice.
  assert.deepEqual(ids(selectInstances('weighted_round_robin', [cheap, dear], 2, state, noLoad)).sort(), [
    'cheap',
    'dear',
  ]);
});

test('least_connections prefers the provider/host with the fewest active reservations', () => {
  const pool = [
    inst('a1', 'local', 0, 80, 'box-a'),
    inst('a2', 'local', 0, 80, 'box-a'),
    inst('b1', 'local', 0, 80, 'box-b'),
  ];
  const load = {
    ...noLoad,
    active: new Map([
      ['local/box-a', 1],
      ['local/box-b', 0],
    ]),
  };
  assert.deepEqual(ids(selectInstances('least_connections', pool, 2, newSelectionState(), load)), ['b1', 'a1']);
});

test('least_response_time prefers the provider that answered fastest', () => {
  const pool = [inst('s1', 'slow', 0), inst('f1', 'fast', 0), inst('f2', 'fast', 0)];
  const load = {
    ...noLoad,
    avgResponseMs: new Map([
      ['slow', 40],
      ['fast', 3],
    ]),
  };
  assert.deepEqual(ids(selectInstances('least_response_time', pool, 3, newSelectionState(), load)), ['f1', 'f2', 's1']);
});

test('no strategy gives more instances than match, or one twice', () => {
  const pool = [inst('a', 'p', 1), inst('b', 'q', 2)];
  for (const s of [
    'round_robin',
    'equal_weighted',
    'weighted_round_robin',
    'least_connections',
    'least_response_time',
  ] as const) {
    const got = ids(selectInstances(s, pool, 5, newSelectionState(), noLoad));
    assert.equal(got.length, 2, s);
    assert.equal(new Set(got).size, 2, s);
  }
});
