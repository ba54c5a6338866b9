// Metrics explorer: chosen runs x chosen metrics as line charts (one colour per run), x axis,
// smoothing and log scale in the URL, live refresh while a shown run is running.

import { api, fetchRuns, runPath } from './api.js';
import { debounce, el, replace, runLabel, statusBadge } from './dom.js';
import { LineChart, X_MODES, buildLines, fetchPoints, runColor } from './charts.js';
import { navigate } from './router.js';

/** How often charts of running runs refresh. */
export const LIVE_INTERVAL_MS = 3000;

/**
 * Charts for a set of runs and metrics with shared controls; used by the explorer and the
 * compare view. `onChange(changes)` writes control changes to the URL.
 */
export class MetricsPanel {
  constructor(onChange) {
    this.onChange = onChange;
    this.charts = new Map();  // metric -> LineChart
    this.points = new Map();  // `${id}|${metric}` -> points
    this.series = new Map();  // run id -> [series summary]
    this.timer = null;
    this.seq = 0;
    this.smoothingLabel = el('output', {});
    this.controls = el('div', { class: 'chart-controls' });
    this.metricPicker = el('div', { class: 'metric-picker' });
    this.grid = el('div', { class: 'chart-grid' });
    this.element = el('div', { class: 'metrics-panel' }, this.controls, this.metricPicker, this.grid);
    this.setSmoothing = debounce((value) => this.onChange({ smooth: value === '0' ? '' : value }), 150);
  }

  /** Shows `runs` (run objects, colours by index) and `metrics` with the given options. */
  async show(runs, metrics, options) {
    const seq = ++this.seq;
    this.runs = runs;
    this.metrics = metrics;
    this.options = options;
    this.renderControls();
    await Promise.all(runs.filter((run) => !this.series.has(run.id)).map(async (run) => {
      this.series.set(run.id, await api(runPath(run.id, '/series')).catch(() => []));
    }));
    if (seq !== this.seq) return;
    this.renderMetricPicker();
    await this.loadPoints(false);
    if (seq !== this.seq) return;
    this.draw();
    this.schedule();
  }

  available() {
    const names = new Set();
    for (const run of this.runs) for (const s of this.series.get(run.id) || []) names.add(s.qualified_name);
    return [...names].sort();
  }

  renderControls() {
    const { xMode, smoothing, logScale } = this.options;
    this.smoothingLabel.textContent = smoothing.toFixed(2);
    replace(this.controls,
      el('label', { class: 'inline' }, 'X axis ',
        el('select', { 'aria-label': 'X axis', onchange: (e) => this.onChange({ x: e.target.value === 'step' ? '' : e.target.value }) },
          Object.entries(X_MODES).map(([value, label]) => el('option', { value, text: label, selected: value === xMode })))),
      el('label', { class: 'inline' }, 'Smoothing ',
        el('input', { type: 'range', min: '0', max: '0.99', step: '0.01', value: String(smoothing), 'aria-label': 'Smoothing',
          oninput: (e) => { this.smoothingLabel.textContent = Number(e.target.value).toFixed(2); this.setSmoothing(e.target.value); } }),
        this.smoothingLabel),
      el('label', { class: 'inline' },
        el('input', { type: 'checkbox', checked: logScale, 'aria-label': 'Log scale',
                      onchange: (e) => this.onChange({ log: e.target.checked ? '1' : '' }) }), ' Log scale'),
      el('span', { class: 'muted hint', text: 'Drag to zoom, double-click to reset.' }));
  }

  renderMetricPicker() {
    const available = this.available();
    if (available.length === 0) {
      replace(this.metricPicker, el('p', { class: 'muted', text: this.runs.length ? 'These runs have no metrics.' : '' }));
      return;
    }
    replace(this.metricPicker, el('span', { class: 'label', text: 'Metrics: ' }), available.map((name) =>
      el('label', { class: 'check' }, el('input', { type: 'checkbox', checked: this.metrics.includes(name),
        onchange: (e) => this.onChange({ metric: e.target.checked ? [...this.metrics, name] : this.metrics.filter((m) => m !== name) }) }), name)));
  }

  /** Fetches missing points; with `refresh`, refetches those of running runs. */
  async loadPoints(refresh) {
    const jobs = [];
    for (const run of this.runs) {
      const names = new Set((this.series.get(run.id) || []).map((s) => s.qualified_name));
      for (const metric of this.metrics) {
        const key = `${run.id}|${metric}`;
        if (!names.has(metric)) continue;
        if (this.points.has(key) && !(refresh && run.status === 'running')) continue;
        jobs.push(fetchPoints(run.id, metric).then((p) => this.points.set(key, p)).catch(() => {}));
      }
    }
    await Promise.all(jobs);
  }

  draw() {
    for (const [metric, chart] of this.charts) {
      if (!this.metrics.includes(metric)) {
        chart.destroy();
        chart.element.remove();
        this.charts.delete(metric);
      }
    }
    if (this.metrics.length === 0) {
      replace(this.grid, el('p', { class: 'muted', text: 'Pick one or more metrics above.' }));
      return;
    }
    const placeholder = this.grid.querySelector(':scope > p');
    if (placeholder) placeholder.remove();
    for (const metric of this.metrics) {
      let chart = this.charts.get(metric);
      if (!chart) {
        chart = new LineChart(metric);
        this.charts.set(metric, chart);
      }
      this.grid.append(chart.element);  // keeps URL order
      const entries = this.runs.map((run, index) => ({ run, color: runColor(index), points: this.points.get(`${run.id}|${metric}`) }));
      chart.setLines(buildLines(entries, this.options), this.options);
    }
  }

  schedule() {
    clearTimeout(this.timer);
    if (!this.runs.some((run) => run.status === 'running')) return;
    this.timer = setTimeout(() => this.refresh(), LIVE_INTERVAL_MS);
  }

  async refresh() {
    const seq = this.seq;
    try {
      const fresh = await fetchRuns(this.runs.map((run) => run.id));
      if (seq !== this.seq) return;
      const byId = new Map(fresh.map((run) => [run.id, run]));
      const wasRunning = new Set(this.runs.filter((r) => r.status === 'running').map((r) => r.id));
      this.runs = this.runs.map((run) => byId.get(run.id) || run);
      for (const id of wasRunning) {
        this.series.set(id, await api(runPath(id, '/series')).catch(() => this.series.get(id)));
      }
      // A run that just ended still needs its final points once.
      const ended = this.runs.filter((r) => wasRunning.has(r.id) && r.status !== 'running');
      for (const run of ended) for (const m of this.metrics) this.points.delete(`${run.id}|${m}`);
      await this.loadPoints(true);
      if (seq !== this.seq) return;
      this.renderMetricPicker();
      this.draw();
      if (this.onRuns) this.onRuns(this.runs);
    } finally {
      if (seq === this.seq) this.schedule();
    }
  }

  destroy() {
    this.seq++;
    clearTimeout(this.timer);
    for (const chart of this.charts.values()) chart.destroy();
    this.charts.clear();
  }
}

/** Reads the chart options shared by explorer and compare URLs. */
export function chartOptions(params) {
  const x = params.get('x');
  const smoothing = Math.min(0.99, Math.max(0, Number(params.get('smooth')) || 0));
  return { xMode: x in X_MODES ? x : 'step', smoothing, logScale: params.get('log') === '1' };
}

/** Applies {key: value | [values] | ''} to URLSearchParams ('' or [] deletes). */
export function withChanges(params, changes) {
  const next = new URLSearchParams(params);
  for (const [key, value] of Object.entries(changes)) {
    next.delete(key);
    for (const item of [value].flat()) if (item !== '' && item !== null) next.append(key, item);
  }
  return next;
}

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
    let metrics = route.params.getAll('metric');
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
    replace(this.runList, runs.map((run, index) => el('span', { class: 'run-chip', dataset: { runId: run.id } },
      el('span', { class: 'swatch', style: { background: runColor(index) } }),
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

