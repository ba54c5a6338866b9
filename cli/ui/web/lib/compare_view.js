// Compare two or more runs: summary and params side by side with differing rows highlighted,
// then their curves overlaid.

import { fetchRuns } from './api.js';
import { el, replace, scoreBar, statusBadge, verdictBadge } from './dom.js';
import { flatten, foldText, formatDuration, formatTime, formatValue, naturalCompare, runLabel } from './format.js';
import { runColor } from './series.js';
import { MetricsPanel, chartOptions } from './metrics_panel.js';
import { navigate, withChanges } from './router.js';

/** A value cell: short values as text, long or multi-line ones folded (click to expand). */
function valueCell(value) {
  if (value === undefined) return el('td', { class: 'muted', text: '—' });
  const { text, preview } = foldText(formatValue(value));
  if (!preview) return el('td', { text });
  const full = value !== null && typeof value === 'object' ? JSON.stringify(value, null, 2) : text;
  return el('td', { class: 'folded' }, el('details', {}, el('summary', { text: preview }), el('pre', { class: 'folded', text: full })));
}

export class CompareView {
  constructor(root) {
    this.root = root;
    this.seq = 0;
  }

  mount(route) {
    this.error = el('div', { class: 'error', hidden: true });
    this.onlyDiff = el('input', { type: 'checkbox', 'aria-label': 'Only differences',
      onchange: () => navigate('/compare', withChanges(this.params, { diff: this.onlyDiff.checked ? '1' : '' })) });
    this.table = el('table', { class: 'compare' });
    this.panel = new MetricsPanel((changes) => navigate('/compare', withChanges(this.params, changes)));
    this.root.append(el('div', { class: 'compare-view' },
      el('h2', { text: 'Compare runs' }), this.error,
      el('label', { class: 'inline' }, this.onlyDiff, ' Only rows that differ'),
      el('div', { class: 'table-wrap' }, this.table),
      el('h3', { text: 'Curves' }), this.panel.element));
    this.update(route);
  }

  unmount() {
    this.seq++;
    this.panel.destroy();
  }

  async update(route) {
    const seq = ++this.seq;
    this.params = route.params;
    this.onlyDiff.checked = route.params.get('diff') === '1';
    const ids = route.params.getAll('run');
    let runs = [];
    try {
      runs = await fetchRuns(ids);
    } catch (error) {
      if (seq !== this.seq) return;
      this.error.hidden = false;
      this.error.textContent = `Cannot load runs: ${error.message}`;
      return;
    }
    if (seq !== this.seq) return;
    this.error.hidden = runs.length >= 2;
    this.error.textContent = 'Pick two or more runs in the runs table to compare them.';
    // Changing curves (or their default being filled in) keeps the table and what is unfolded.
    const shown = JSON.stringify([runs, this.onlyDiff.checked]);
    if (shown !== this.shown) {
      this.shown = shown;
      this.renderTable(runs);
    }
    const metrics = route.params.getAll('metric');
    await this.panel.show(runs, metrics, chartOptions(route.params));
    if (seq !== this.seq || metrics.length > 0 || runs.length === 0) return;
    // Default curves: metrics every run has, up to four.
    const common = this.panel.available().filter((name) => runs.every((run) => name in run.metrics)).slice(0, 4);
    if (common.length) navigate('/compare', withChanges(this.params, { metric: common }));
  }

  renderTable(runs) {
    const summary = [
      ['status', (r) => statusBadge(r.status), (r) => r.status],
      ['experiment', (r) => r.experiment, (r) => r.experiment],
      ['created', (r) => formatTime(r.created_at), (r) => r.created_at],
      ['duration', (r) => formatDuration(r.duration), (r) => r.duration],
      ['verdict', (r) => verdictBadge(r.verdict), (r) => r.verdict],
      ['score', (r) => scoreBar(r.score), (r) => r.score],
      ['tags', (r) => r.tags.join(', '), (r) => r.tags.join(',')],
    ];
    const flat = runs.map((run) => flatten(run.params));
    const results = runs.map((run) => flatten(run.results));
    const keys = (maps) => [...new Set(maps.flatMap((m) => [...m.keys()]))].sort(naturalCompare);
    const section = (title) => el('tr', { class: 'section' }, el('th', { colspan: String(runs.length + 1), text: title }));
    const valueRow = (label, values) => {
      const texts = values.map((v) => (v === undefined ? '\u0000missing' : JSON.stringify(v)));
      const differs = new Set(texts).size > 1;
      if (this.onlyDiff.checked && !differs) return null;
      return el('tr', { class: differs ? 'diff' : '' }, el('th', { text: label }), values.map(valueCell));
    };
    const head = el('tr', {}, el('th', { text: '' }), runs.map((run, i) => el('th', {},
      el('span', { class: 'swatch', style: { background: runColor(i) } }),
      el('a', { href: `#/run/${run.id}`, text: runLabel(run), title: run.id }))));
    const rows = [
      section('Run'),
      summary.map(([label, show, raw]) => {
        const differs = new Set(runs.map((r) => JSON.stringify(raw(r) ?? null))).size > 1;
        if (this.onlyDiff.checked && !differs) return null;
        return el('tr', { class: differs ? 'diff' : '' }, el('th', { text: label }), runs.map((r) => el('td', {}, show(r))));
      }),
      section('Params'),
      keys(flat).map((key) => valueRow(key, flat.map((m) => m.get(key)))),
      section('Results'),
      keys(results).map((key) => valueRow(key, results.map((m) => m.get(key)))),
      section('Metrics (last value)'),
      [...new Set(runs.flatMap((r) => Object.keys(r.metrics)))].sort(naturalCompare).map((name) =>
        valueRow(name, runs.map((r) => (r.metrics[name] && r.metrics[name].count > 0 ? r.metrics[name].last : undefined)))),
    ];
    const columns = el('colgroup', {}, el('col', { class: 'key' }), runs.map(() => el('col', {})));
    replace(this.table, columns, el('thead', {}, head), el('tbody', {}, rows));
  }
}
