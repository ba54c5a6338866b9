// Unit tests of cli/ui/web/lib/format.js under Node's built-in runner (ctest: vigil_ui_web_unit).
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { flatten, formatDuration, formatNumber, formatValue, getPath, runLabel } from '../../../cli/ui/web/lib/format.js';

test('formatNumber keeps integers, rounds to 4 significant digits, switches to exponents', () => {
  assert.equal(formatNumber(42), '42');
  assert.equal(formatNumber(0.123456), '0.1235');
  assert.equal(formatNumber(123456.7), '1.235e+5');
  assert.equal(formatNumber(0.0001234), '1.234e-4');
  assert.equal(formatNumber(0), '0');
  assert.equal(formatNumber(null), '—');
  assert.equal(formatNumber('NaN'), 'NaN');
});

test('formatDuration spells seconds, minutes and hours; em dash when unknown', () => {
  assert.equal(formatDuration(4.24), '4.2s');
  assert.equal(formatDuration(185), '3m 05s');
  assert.equal(formatDuration(3720), '1h 02m');
  assert.equal(formatDuration(null), '—');
  assert.equal(formatDuration(NaN), '—');
});

test('formatValue shows strings as they are and objects as JSON', () => {
  assert.equal(formatValue('adam'), 'adam');
  assert.equal(formatValue([0.9, 0.999]), '[0.9,0.999]');
  assert.equal(formatValue(undefined), '—');
  assert.equal(formatValue(true), 'true');
});

test('getPath follows dotted paths and stops at arrays and missing keys', () => {
  const params = { optimizer: { lr: 0.1, betas: [0.9] }, seed: 0 };
  assert.equal(getPath(params, 'optimizer.lr'), 0.1);
  assert.equal(getPath(params, 'seed'), 0);
  assert.equal(getPath(params, 'optimizer.betas.0'), undefined);
  assert.equal(getPath(params, 'missing.key'), undefined);
});

test('flatten lists leaf paths, keeping arrays and empty objects as leaves', () => {
  const flat = flatten({ a: { b: 1, c: { d: 'x' } }, e: [1, 2], f: {} });
  assert.deepEqual([...flat.entries()], [['a.b', 1], ['a.c.d', 'x'], ['e', [1, 2]], ['f', {}]]);
});

test('runLabel prefers the name, else the id prefix', () => {
  assert.equal(runLabel({ name: 'baseline', id: 'abcdef0123456789' }), 'baseline');
  assert.equal(runLabel({ name: '', id: 'abcdef0123456789' }), 'abcdef01');
});

import { foldText, naturalCompare, toCsv } from '../../../cli/ui/web/lib/format.js';

test('naturalCompare orders numbers inside names by value', () => {
  assert.deepEqual(['layer_10', 'layer_2', 'layer_1'].sort(naturalCompare), ['layer_1', 'layer_2', 'layer_10']);
});

test('foldText folds long and multi-line texts to a one-line preview', () => {
  assert.deepEqual(foldText('short'), { text: 'short', preview: null });
  const structure = 'Cnn(\n  (conv1): torch::nn::Conv2d(1, 16)\n)';
  assert.equal(foldText(structure).preview, 'Cnn(…');
  const long = 'x'.repeat(200);
  assert.equal(foldText(long).preview.length, 81);
});

test('toCsv quotes fields with separators, keeps numbers, and defuses formulas', () => {
  const csv = toCsv([['name', 'lr', 'note'], ['a,b', 0.001, 'say "hi"'], ['=cmd()', null, 'two\nlines']]);
  assert.equal(csv, 'name,lr,note\r\n"a,b",0.001,"say ""hi"""\r\n\'=cmd(),,"two\nlines"\r\n');
});
