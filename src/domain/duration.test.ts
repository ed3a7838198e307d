import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatCompactDuration, formatDuration, formatTrimmedDuration, parseDuration } from './duration.js';

test('parses every duration form of the original manual', () => {
  const cases: Array<[string, number]> = [
    ['30m', 1800],
    ['2h', 7200],
    ['1d', 86400],
    ['0.5h', 1800],
    ['90m', 5400],
    ['3.5d', 302400],
    ['45s', 45],
    ['1h30m', 5400],
    ['8h', 28800],
    ['7d', 604800],
    [' 2H ', 7200],
    ['1d2h3m4s', 93784],
  ];
  for (const [input, seconds] of cases) assert.equal(parseDuration(input), seconds, input);
});

test('rejects what is not a duration', () => {
  for (const input of [
    '2hours',
    '',
    'h',
    '2',
    '-1h',
    '0m',
    '0.001s',
    '1h 30m',
    '1.h',
    'abc',
    '1e3h',
    '99999d',
    'Infinityh',
    '30m30',
  ]) {
    assert.equal(parseDuration(input), null, input);
  }
});

test('formats durations as the original manual prints them', () => {
  assert.equal(formatDuration(4 * 3600), '4h 0m 0s');
  assert.equal(formatDuration(930), '0h 15m 30s');
  assert.equal(formatDuration(100 * 3600 + 61.9), '100h 1m 1s');
  assert.equal(formatDuration(-5), '0h 0m 0s');
  assert.equal(formatCompactDuration(5), '5s');
  assert.equal(formatCompactDuration(45 * 60), '45m 0s');
  assert.equal(formatCompactDuration(5400), '1h 30m 0s');
  assert.equal(formatCompactDuration(7 * 3600 + 15 * 60), '7h 15m 0s');
});

test("the table's `free for` drops zero units at both ends, as the original manual's `free for 2h`", () => {
  const cases: Array<[number, string]> = [
    [7200, '2h'],
    [5400, '1h 30m'],
    [45, '45s'],
    [1815, '30m 15s'],
    [3605, '1h 0m 5s'],
    [2700, '45m'],
    [0, '0s'],
  ];
  for (const [seconds, text] of cases) assert.equal(formatTrimmedDuration(seconds), text, String(seconds));
});
