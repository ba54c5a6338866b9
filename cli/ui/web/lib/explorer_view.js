// Metrics explorer: chosen runs x chosen metrics as line charts (one colour per run), x axis,
// smoothing and log scale in the URL, live refresh while a shown run is running.

import { api, fetchRuns } from './api.js';
import { debounce, el, replace, statusBadge } from './dom.js';
import { runLabel } from './format.js';
import { runColors } from './series.js';
import { MetricsPanel, chartOptions } from './metrics_panel.js';
import { navigate, withChanges } from './router.js';

export class ExplorerView {
  constructor(root) {
    this.root = root;
    this.seq = 0;
  }

  mount(route) {
    this.runList = el('div', { class: 'run-list' });
    this.error = el('div', { class: 'error', hidden: true });
    this.search = el('input', { type: 'search', placeholder: 'Add a run by name…', 'aria-label': 'Add run',
                                oninput: debounce(() => this.suggest(), 250) });
    this.suggestions = el('div', { class: 'suggestions' });
    this.panel = new MetricsPanel((changes) => navigate('/explore', withChanges(this.params, changes)));
    this.panel.onRuns = (runs) => this.renderRuns(runs);
    this.root.append(el('div', { class: 'explorer-view' },
      el('h2', { text: 'Metrics explorer' }), this.error,
      el('div', { class: 'run-picker' }, this.runList, el('div', { class: 'run-search' }, this.search, this.suggestions)),
      this.panel.element));
    this.update(route);
  }

  unmount() {
    this.seq++;
    this.panel.destroy();
  }

  async update(route) {
    const seq = ++this.seq;
    this.params = route.params;
    const ids = route.params.getAll('run');
    let runs = [];
    try {
      runs = await fetchRuns(ids);
      this.error.hidden = true;
    } catch (error) {
      this.error.hidden = false;
      this.error.textContent = `Cannot load runs: ${error.message}`;
    }
    if (seq !== this.seq) return;
    if (ids.length === 0) {
      this.error.hidden = false;
      this.error.textContent = 'No runs chosen: select runs in the runs table, or add one by name.';
    }
    this.renderRuns(runs);
    const metrics = route.params.getAll('metric');
    await this.panel.show(runs, metrics, chartOptions(route.params));
    if (seq !== this.seq) return;
    if (metrics.length === 0 && runs.length > 0) {
      // Nothing chosen yet: start with the first metric the runs have (usually `loss`).
      const available = this.panel.available();
      const first = available.includes('loss') ? 'loss' : available[0];
      if (first) navigate('/explore', withChanges(this.params, { metric: [first] }));
    }
  }

  renderRuns(runs) {
    const colors = runColors(runs, chartOptions(this.params).groupBy);
    replace(this.runList, runs.map((run, index) => el('span', { class: 'run-chip', dataset: { runId: run.id } },
      el('span', { class: 'swatch', style: { background: colors[index] } }),
      el('a', { href: `#/run/${run.id}`, text: runLabel(run), title: run.id }), ' ', statusBadge(run.status),
      el('button', { type: 'button', class: 'chip-x', title: 'Remove from chart',
                     onclick: () => navigate('/explore', withChanges(this.params, { run: this.params.getAll('run').filter((id) => id !== run.id) })) }, '×'))));
  }

  async suggest() {
    const text = this.search.value.trim();
    if (!text) {
      replace(this.suggestions);
      return;
    }
    try {
      const result = await api(`runs?${new URLSearchParams({ name: text, limit: '8' })}`);
      const chosen = new Set(this.params.getAll('run'));
      replace(this.suggestions, result.runs.filter((run) => !chosen.has(run.id)).map((run) =>
        el('button', { type: 'button', class: 'suggestion', title: run.id,
          onclick: () => { this.search.value = ''; replace(this.suggestions); navigate('/explore', withChanges(this.params, { run: [...this.params.getAll('run'), run.id] }), { push: true }); } },
          runLabel(run), ' ', el('span', { class: 'muted', text: `${run.experiment} · ${run.status}` }))));
    } catch (error) {
      replace(this.suggestions, el('span', { class: 'error', text: error.message }));
    }
  }
}

