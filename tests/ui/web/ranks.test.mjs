// Unit tests of the pure parts of cli/ui/web/lib/ranks.js (per-rank series on the run page).
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { groupByRank, groupTitle } from '../../../cli/ui/web/lib/ranks.js';

const series = (name, context = {}) => ({ name, context, qualified_name: name + JSON.stringify(context) });

test('groupByRank puts one metric of every rank in one group, rank 0 being the plain series', () => {
  const groups = groupByRank([
    series('loss'), series('loss', { rank: 2 }), series('loss', { rank: 1 }), series('lr'),
  ]);
  assert.equal(groups.length, 2);
  assert.deepEqual(groups[0].map((m) => m.rank), [0, 1, 2]);
  assert.equal(groups[0][0].series.context.rank, undefined);
  assert.deepEqual(groups[1].map((m) => m.rank), [null], 'a series alone keeps no rank');
});

test('groupByRank keeps other context keys apart and groups system metrics per GPU', () => {
  const groups = groupByRank([
    series('loss', { subset: 'val' }), series('loss', { subset: 'train' }),
    series('sys.gpu_util_percent', { gpu: 0, rank: 0 }), series('sys.gpu_util_percent', { gpu: 0, rank: 1 }),
    series('sys.gpu_util_percent', { gpu: 1, rank: 0 }),
  ]);
  assert.equal(groups.length, 4);
  assert.deepEqual(groups[2].map((m) => m.rank), [0, 1]);
  assert.equal(groupTitle(groups[2]), 'sys.gpu_util_percent{gpu=0}');
  assert.equal(groupTitle(groups[3]), groups[3][0].series.qualified_name);
});

test('groupTitle drops the rank from a shared chart title', () => {
  const [group] = groupByRank([series('sys.rss_bytes', { rank: 0 }), series('sys.rss_bytes', { rank: 1 })]);
  assert.equal(groupTitle(group), 'sys.rss_bytes');
});
