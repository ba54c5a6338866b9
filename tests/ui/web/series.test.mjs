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

import { aggregateGroups, mergeRange, pointsInRange, runColor, stepRangeFor, withAlpha } from '../../../cli/ui/web/lib/series.js';

const columns = (steps, offset = 0) => ({
  step: steps, epoch: steps.map(() => null), value: steps.map((s) => s + offset), time: steps.map((s) => 1000 + s),
});

test('mergeRange puts the fine points of [lo, hi] in place of the coarse ones there', () => {
  const coarse = columns([0, 10, 20, 30, 40]);
  const fine = columns([11, 12, 13, 14], 0.5);
  const merged = mergeRange(coarse, fine, 11, 29);
  assert.deepEqual(merged.step, [0, 10, 11, 12, 13, 14, 30, 40]);
  assert.deepEqual(merged.value.slice(2, 6), [11.5, 12.5, 13.5, 14.5]);
  assert.deepEqual(merged.time, merged.step.map((s) => 1000 + s));
});

test('stepRangeFor widens the visible points by one neighbour on each side', () => {
  const points = columns([0, 100, 200, 300, 400]);
  assert.deepEqual(stepRangeFor(points, points.step, 150, 320), { lo: 100, hi: 400 });
  // x values of another axis mode map back to steps the same way.
  const xs = [0, 1, 2, 3, 4];
  assert.deepEqual(stepRangeFor(points, xs, 0, 0.5), { lo: 0, hi: 100 });
});

test('stepRangeFor between two coarse points returns those two; outside the data, null', () => {
  const points = columns([0, 100, 200]);
  assert.deepEqual(stepRangeFor(points, points.step, 120, 150), { lo: 100, hi: 200 });
  assert.equal(stepRangeFor(points, points.step, 500, 600), null);
});

test('pointsInRange counts y values (not gaps) whose x lies in the range', () => {
  const data = [[0, 1, 2, 3], [1, null, 3, 4], [null, 2, 2, null]];
  assert.equal(pointsInRange(data, 1, 2), 3);
  assert.equal(pointsInRange(data, 0, 3), 5);
});

test('aggregateGroups reduces each group to mean, min and max per x', () => {
  const lines = [
    { x: [0, 1], y: [1, 3], group: 'a' },
    { x: [0, 1], y: [3, 5], group: 'a' },
    { x: [0, 1], y: [10, null], group: 'b' },
  ];
  const { data, groups } = aggregateGroups(lines, (line) => line.group);
  assert.deepEqual(groups.map((g) => [g.label, g.size]), [['a', 2], ['b', 1]]);
  assert.deepEqual(data[0], [0, 1]);
  assert.deepEqual(groups[0].mean, [2, 4]);
  assert.deepEqual(groups[0].min, [1, 3]);
  assert.deepEqual(groups[0].max, [3, 5]);
  assert.deepEqual(groups[1].mean, [10, null]);  // no value at x=1: a gap, not 0
  assert.equal(data.length, 1 + 3 * 2);
  assert.notEqual(groups[0].color, groups[1].color);
});

test('runColor gives 50 distinct colours', () => {
  const colours = Array.from({ length: 50 }, (_, i) => runColor(i));
  assert.equal(new Set(colours).size, 50);
  assert.equal(runColor(0), '#1f77b4');
});

test('withAlpha adds opacity to hex and hsl colours', () => {
  assert.equal(withAlpha('#1f77b4', 0.2), '#1f77b433');
  assert.equal(withAlpha('hsl(10, 70%, 42%)', 0.5), 'hsla(10, 70%, 42%, 0.5)');
});

import { runColors } from '../../../cli/ui/web/lib/series.js';

test('runColors gives one colour per group value, values in natural order', () => {
  const runs = [{ params: { opt: 'sgd' } }, { params: { opt: 'adam' } }, { params: { opt: 'sgd' } }, { params: {} }];
  const colours = runColors(runs, 'opt');
  assert.equal(colours[0], colours[2]);
  assert.equal(colours[1], runColor(0));  // "adam" sorts first
  assert.equal(new Set(colours).size, 3);  // the run without the param is a group of its own
  assert.deepEqual(runColors(runs, ''), [0, 1, 2, 3].map(runColor));
});
