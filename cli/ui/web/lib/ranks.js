// Distributed runs on the run page: the rank table (GET /api/runs/{id}/ranks) and the grouping
// of per-rank series (`loss`, `loss{rank=1}`, ...) into one chart with one line per rank.

import { el, statusBadge } from './dom.js';
import { formatTime } from './format.js';

/** The context of a qualified name `name{k=v,...}` without its `rank` key, and the rank. */
function splitRank(series) {
  const context = { ...(series.context || {}) };
  const rank = Object.prototype.hasOwnProperty.call(context, 'rank') ? Number(context.rank) : null;
  delete context.rank;
  const keys = Object.keys(context).sort();
  const key = `${series.name}{${keys.map((k) => `${k}=${JSON.stringify(context[k])}`).join(',')}}`;
  return { key, rank };
}

/**
 * Groups series summaries ({name, context, qualified_name}) so that the series of one metric
 * on several ranks share a chart: a group is [{rank, series}] sorted by rank, where a series
 * without a rank in its context is rank 0's when another series of its group has one (rank 0
 * logs the plain series). Groups keep the order of their first series; a series alone in its
 * group stays a group of one with rank null.
 */
export function groupByRank(seriesList) {
  const groups = new Map();
  for (const series of seriesList) {
    const { key, rank } = splitRank(series);
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push({ rank, series });
  }
  return [...groups.values()].map((members) => {
    if (members.length === 1) return members;
    return members.map((m) => ({ rank: m.rank === null ? 0 : m.rank, series: m.series }))
      .sort((a, b) => a.rank - b.rank);
  });
}

/** The title of a group's chart: the metric with its context but without the rank. */
export function groupTitle(group) {
  if (group.length === 1) return group[0].series.qualified_name;
  const { name, context } = group[0].series;
  const rest = Object.entries(context || {}).filter(([k]) => k !== 'rank').sort(([a], [b]) => (a < b ? -1 : 1));
  return rest.length === 0 ? name : `${name}{${rest.map(([k, v]) => `${k}=${v}`).join(',')}}`;
}

/** The rank table of a distributed run; null for a run of one process (no ranks). */
export function rankTable(ranks) {
  if (!Array.isArray(ranks) || ranks.length === 0) return null;
  const head = ['Rank', 'Local', 'Host', 'Pid', 'Device', 'Status', 'Last heartbeat', 'Finished', 'Error'];
  return el('table', { class: 'ranks' },
    el('thead', {}, el('tr', {}, head.map((h) => el('th', { text: h })))),
    el('tbody', {}, ranks.map((r) => el('tr', { dataset: { rank: String(r.rank) } },
      el('td', { text: `${r.rank} / ${r.world_size}` }),
      el('td', { text: String(r.local_rank) }),
      el('td', { text: r.host }),
      el('td', { text: String(r.pid) }),
      el('td', { text: r.device || '—' }),
      el('td', {}, statusBadge(r.status)),
      el('td', { text: formatTime(r.heartbeat_at) }),
      el('td', { text: formatTime(r.finished_at) }),
      el('td', { class: r.error ? 'error' : 'muted', text: r.error || '—' })))));
}
