// Unit tests of cli/ui/web/lib/series.js under Node's built-in runner (ctest: vigil_ui_web_unit).
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { alignLines, buildLines, ema, xValues } from '../../../cli/ui/web/lib/series.js';

const near = (actual, expected, eps = 1e-9) =>
  assert.ok(Math.abs(actual - expected) < eps, `${actual} is not ${expected}`);

test('ema with weight 0 returns the raw values', () => {
  assert.deepEqual(ema([1, 2, 3], 0), [1, 2, 3]);
});

test('ema is debiased: a constant series stays constant', () => {
  for (const v of ema([5, 5, 5, 5], 0.9)) near(v, 5);
});

test('ema follows the TensorBoard recurrence and keeps gaps', () => {
  const out = ema([0, null, 10], 0.5);
  near(out[0], 0);
  assert.equal(out[1], null);
  // last = 0.5*0 + 0.5*10 = 5, debiased by 1 - 0.5^2 = 0.75
  near(out[2], 5 / 0.75);
});

test('xValues by epoch spreads points of one epoch over [e, e+1) and drops epoch-less points', () => {
  const points = { step: [0, 1, 2, 3, 4], epoch: [0, 0, 1, 1, null], time: [0, 0, 0, 0, 0] };
  assert.deepEqual(xValues(points, 'epoch', 0), [0, 0.5, 1, 1.5, null]);
});

test('xValues by epoch puts a single point per epoch on the epoch itself', () => {
  const points = { step: [10, 20], epoch: [0, 1], time: [0, 0] };
  assert.deepEqual(xValues(points, 'epoch', 0), [0, 1]);
});

test('xValues relative subtracts the start time; step copies steps', () => {
  const points = { step: [1, 2], epoch: [null, null], time: [100, 103] };
  assert.deepEqual(xValues(points, 'relative', 100), [0, 3]);
  assert.deepEqual(xValues(points, 'step', 100), [1, 2]);
});

test('alignLines merges x values, sorted and unique, with null where a line has no point', () => {
  const data = alignLines([{ x: [0, 2], y: [1, 3] }, { x: [1, 2], y: [10, 30] }]);
  assert.deepEqual(data, [[0, 1, 2], [1, null, 3], [null, 10, 30]]);
});

test('buildLines drops non-positive values on a log scale and labels by run name', () => {
  const run = { id: 'abcdef0123', name: 'r', started_at: '1970-01-01T00:00:00Z' };
  const points = { step: [0, 1, 2], epoch: [null, null, null], value: [-1, 0, 2], time: [0, 1, 2] };
  const [line] = buildLines([{ run, color: '#000', points }], { xMode: 'step', smoothing: 0, logScale: true });
  assert.equal(line.label, 'r');
  assert.deepEqual(line.y, [null, null, 2]);
});

test('buildLines turns non-finite values (sent as strings) into gaps', () => {
  const run = { id: 'abcdef0123', name: '', started_at: null };
  const points = { step: [0, 1], epoch: [null, null], value: ['NaN', 1], time: [5, 6] };
  const [line] = buildLines([{ run, color: '#000', points }], { xMode: 'relative', smoothing: 0, logScale: false });
  assert.deepEqual(line.y, [null, 1]);
  assert.deepEqual(line.x, [0, 1]);
  assert.equal(line.label, 'abcdef01');
});
