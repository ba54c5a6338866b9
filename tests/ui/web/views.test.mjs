// Unit tests of the pure helpers that views export (importing a view module needs no DOM).
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { groupableParams, chartOptions } from '../../../cli/ui/web/lib/metrics_panel.js';
import { metricFamily } from '../../../cli/ui/web/lib/run_view.js';
import { brushesOf } from '../../../cli/ui/web/lib/params_explorer.js';

test('groupableParams lists leaf params whose value differs, in natural order', () => {
  const runs = [
    { params: { optimizer: { name: 'adam', lr: 0.1 }, layer_10: 1, layer_2: 1, seed: 1, betas: [0.9] } },
    { params: { optimizer: { name: 'sgd', lr: 0.1 }, layer_10: 2, layer_2: 3, seed: 1, betas: [0.8] } },
  ];
  assert.deepEqual(groupableParams(runs), ['layer_2', 'layer_10', 'optimizer.name']);
});

test('chartOptions reads grouping from the URL and bounds smoothing', () => {
  const options = chartOptions(new URLSearchParams('x=epoch&smooth=5&group=optimizer.name&agg=1&split=1'));
  assert.deepEqual(options, { xMode: 'epoch', smoothing: 0.99, logScale: false, groupBy: 'optimizer.name',
                              aggregate: true, split: true });
  assert.equal(chartOptions(new URLSearchParams('x=bogus')).xMode, 'step');
});

test('metricFamily groups by the part before a slash, else the name', () => {
  assert.equal(metricFamily('train/loss'), 'train');
  assert.equal(metricFamily('loss'), 'loss');
  assert.equal(metricFamily('/odd'), '/odd');
});

test('brushesOf drops malformed brushes of the URL', () => {
  const state = new URLSearchParams('brush=0~1~param:lr&brush=junk&brush=2~1~metric:loss');
  assert.deepEqual(brushesOf(state), [{ dim: 'param:lr', lo: 0, hi: 1 }, { dim: 'metric:loss', lo: 1, hi: 2 }]);
});

import { axisSize } from '../../../cli/ui/web/lib/charts.js';

test('the y axis is as wide as its longest tick label needs', () => {
  const narrow = axisSize(null, ['0', '0.5', '1']);
  const wide = axisSize(null, ['-1.235e+5', '0', '1.235e+5']);
  assert.ok(wide >= 14 + 9 * 7.2, `${wide}`);
  assert.ok(narrow >= 40 && narrow < wide);
  assert.equal(axisSize(null, null), 50);  // before uPlot has ticks
});
