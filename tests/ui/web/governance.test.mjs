// Unit tests of the Governance page's pure helpers and the score bar's levels.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { binLabel, complianceData, histogramData } from '../../../cli/ui/web/lib/governance_charts.js';
import { auditDetails, percentText, waiverTarget } from '../../../cli/ui/web/lib/governance_view.js';
import { outcomeText } from '../../../cli/ui/web/lib/run_view.js';
import { scoreLevel } from '../../../cli/ui/web/lib/format.js';

test('complianceData turns buckets into uPlot columns, keeping gaps as null', () => {
  const overTime = [
    { start: '2026-11-23', time: 1795392000, pass_rate: 50, mean_score: 70 },
    { start: '2026-11-30', time: 1795996800, pass_rate: null, mean_score: null },
  ];
  assert.deepEqual(complianceData(overTime), [[1795392000, 1795996800], [50, null], [70, null]]);
  assert.deepEqual(complianceData([]), [[], [], []]);
});

test('histogram bins are labelled by their range, the last one including 100', () => {
  const histogram = [{ from: 0, to: 10, runs: 2 }, { from: 90, to: 100, runs: 3 }];
  assert.equal(binLabel(histogram[0]), '0-9');
  assert.equal(binLabel(histogram[1]), '90-100');
  assert.deepEqual(histogramData(histogram), [[0, 1], [2, 3]]);
});

test('scoreLevel colours by band and clamps the bar, but keeps the number', () => {
  assert.deepEqual(scoreLevel(80), { level: 'good', width: 80, text: '80' });
  assert.deepEqual(scoreLevel(79.96), { level: 'fair', width: 79.96, text: '80' });
  assert.equal(scoreLevel(50).level, 'fair');
  assert.equal(scoreLevel(49.9).level, 'poor');
  assert.deepEqual(scoreLevel(130), { level: 'good', width: 100, text: '130' });
  assert.equal(scoreLevel(-5).width, 0);
  for (const missing of [null, undefined, 'NaN', Number.NaN]) assert.equal(scoreLevel(missing).level, 'none');
});

test('governance texts: rates, waiver targets, audit details, outcome counts', () => {
  assert.equal(percentText(60), '60.0%');
  assert.equal(percentText(null), '—');
  assert.equal(waiverTarget({ run_id: '0123456789abcdef', experiment: null }), 'run 01234567');
  assert.equal(waiverTarget({ run_id: null, experiment: 'gov-b' }), 'experiment gov-b');
  assert.equal(auditDetails({ verdict: 'FAIL', score: 40, error: '', extra: null, tags: ['a'] }),
               'verdict=FAIL score=40 tags=["a"]');
  assert.equal(auditDetails(null), '');
  assert.equal(outcomeText({ counted: 1, info: 0, waived: 1, audited: 0 }), '1 counted, 1 waived');
  assert.equal(outcomeText({ counted: 0 }), 'no violations');
});
