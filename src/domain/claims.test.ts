import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Claims } from './claims.js';

test('claims: taken instances are off every listing; created ones only off listings older than their creation', () => {
  const claims = new Claims();
  const early = claims.beginListing();
  claims.take('a');
  assert.equal(claims.free('a', early), false, 'in flight');
  assert.equal(claims.free('b', early), true);
  claims.settle('a', true);
  assert.equal(claims.free('a', early), false, 'created after the early listing began: it may still show a as free');
  const late = claims.beginListing();
  assert.equal(claims.free('a', late), true, 'a listing begun after the creation sees it for itself');
  claims.take('b');
  claims.settle('b', false);
  assert.equal(claims.free('b', early), true, 'a failed creation leaves the instance to others');
  claims.endListing(early);
  claims.endListing(late);
  assert.equal(claims.size, 0, 'nothing kept once no listing needs it');
});
