// Unit tests of the pure parts of the params explorer (cli/ui/web/lib/params_plot.js).
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { brushConditions, dimValue, domainOf, formatBrush, inBrushes, parseBrush } from '../../../cli/ui/web/lib/params_plot.js';

const run = (lr, loss, count = 1) => ({ params: { optimizer: { lr, name: 'adam' } }, metrics: { loss: { last: loss, count } } });

test('dimValue reads numeric params and metric last values; anything else is null', () => {
  assert.equal(dimValue(run(0.1, 0.5), 'param:optimizer.lr'), 0.1);
  assert.equal(dimValue(run(0.1, 0.5), 'metric:loss'), 0.5);
  assert.equal(dimValue(run(0.1, 0.5), 'param:optimizer.name'), null);
  assert.equal(dimValue(run(0.1, 'NaN'), 'metric:loss'), null);
  assert.equal(dimValue(run(0.1, 0.5, 0), 'metric:loss'), null);  // declared, no points
});

test('domainOf spans the values and widens a single value', () => {
  assert.deepEqual(domainOf([run(0.1, 1), run(0.3, 2)], 'param:optimizer.lr'), [0.1, 0.3]);
  const [lo, hi] = domainOf([run(2, 1)], 'param:optimizer.lr');
  assert.ok(lo < 2 && hi > 2);
  assert.equal(domainOf([run(2, 1)], 'param:missing'), null);
});

test('inBrushes needs every brush to contain the value', () => {
  const brushes = [{ dim: 'param:optimizer.lr', lo: 0, hi: 0.2 }, { dim: 'metric:loss', lo: 0, hi: 1 }];
  assert.equal(inBrushes(run(0.1, 0.5), brushes), true);
  assert.equal(inBrushes(run(0.3, 0.5), brushes), false);
  assert.equal(inBrushes(run(0.1, 2), brushes), false);
});

test('brushConditions become the filter expressions of the runs table', () => {
  const conditions = brushConditions([{ dim: 'param:optimizer.lr', lo: 0.001, hi: 0.01 },
                                      { dim: 'metric:accuracy{subset=val}', lo: 0.5, hi: 1 }]);
  assert.deepEqual(conditions.param, ['optimizer.lr >= 0.001', 'optimizer.lr <= 0.01']);
  assert.deepEqual(conditions.metric, ['accuracy{subset=val} >= 0.5', 'accuracy{subset=val} <= 1']);
});

test('brushes round-trip through the URL form and malformed ones are refused', () => {
  const brush = { dim: 'metric:loss{a=b~c}', lo: -1, hi: 2.5 };
  assert.deepEqual(parseBrush(formatBrush(brush)), brush);
  assert.equal(parseBrush('1~x~param:lr'), null);
  assert.equal(parseBrush('1~2~lr'), null);
  assert.equal(parseBrush('~2~param:lr'), null);
});

import { defaultAxes } from '../../../cli/ui/web/lib/params_plot.js';

test('defaultAxes keeps varying params, tuning knobs first', () => {
  const runs = [
    { params: { a: 1, batch_size: 32, optimizer: { lr: 0.1 }, constant: 5 }, metrics: {} },
    { params: { a: 2, batch_size: 64, optimizer: { lr: 0.01 }, constant: 5 }, metrics: {} },
  ];
  const dims = ['param:a', 'param:batch_size', 'param:constant', 'param:optimizer.lr'];
  assert.deepEqual(defaultAxes(runs, dims, 4), ['param:optimizer.lr', 'param:batch_size', 'param:a']);
  assert.deepEqual(defaultAxes(runs, dims, 1), ['param:optimizer.lr']);
});
