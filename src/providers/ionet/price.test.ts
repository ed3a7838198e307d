// io.net's price quote judged against the listing and the request's max_price.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { GpuInstance } from '../../domain/instances.js';
import { deployHours, QUOTE_TOLERANCE, quoteQuery, readQuote } from './price.js';

const offer: GpuInstance = {
  id: '7@1x2',
  provider: 'io.net',
  status: 'available',
  pricePerHour: 2,
  vramGb: 80,
  gpuModel: 'A100',
  numGpus: 2,
  location: 'Atlantis',
  metadata: { hardware_id: '7', location_id: '1', gpus_per_vm: '2' },
};

test('the query: numeric location ids stay numbers in the JSON array, one VM, usdc', () => {
  assert.deepEqual(quoteQuery(offer, 5), {
    location_ids: '[1]',
    hardware_id: '7',
    currency: 'usdc',
    duration_hours: '5',
    gpus_per_vm: '2',
    replica_count: '1',
  });
});

test('whole prepaid hours: rounded up, at least 1, at most 8760', () => {
  assert.deepEqual([1, 3_600_000, 3_600_001, 1e12].map(deployHours), [1, 1, 2, 8760]);
});

test('the quote is total_cost_usdc over the hours; within the tolerance either way it stands', () => {
  assert.deepEqual(readQuote({ total_cost_usdc: 10.5 }, 5, offer), { pricePerHour: 2.1, total: 10.5 });
  assert.deepEqual(readQuote({ total_cost_usdc: 9.5 }, 5, offer), { pricePerHour: 1.9, total: 9.5 });
  const over = 2 * (1 + QUOTE_TOLERANCE) + 0.001;
  assert.deepEqual(readQuote({ total_cost_usdc: over }, 1, offer), { refused: `quoted $${over}/h, listed $2/h` });
  assert.deepEqual(readQuote({ total_cost_usdc: 1 }, 1, offer), { refused: 'quoted $1/h, listed $2/h' });
});

test("above the request's max_price, none left, or no usable total: not deployed", () => {
  assert.deepEqual(readQuote({ total_cost_usdc: 2.05 }, 1, offer, 2), {
    refused: 'quoted $2.05/h, above max_price $2/h',
  });
  assert.deepEqual(readQuote({ total_cost_usdc: 2, available_replica_count: [0, 0] }, 1, offer), {
    refused: 'none left',
  });
  assert.deepEqual(readQuote({ total_cost_usdc: 2, available_replica_count: [0, 3] }, 1, offer), {
    pricePerHour: 2,
    total: 2,
  });
  for (const data of [undefined, {}, { total_cost_usdc: '2' }, { total_cost_usdc: -1 }, { total_cost_usdc: NaN }]) {
    assert.equal(readQuote(data, 1, offer), null);
  }
});
