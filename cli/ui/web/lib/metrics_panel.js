// Charts of chosen runs x chosen metrics with shared controls (x axis, smoothing, log scale),
// live refresh while a shown run is running. Used by the explorer and the compare view.

import { api, fetchRuns, runPath } from './api.js';
import { debounce, el, replace } from './dom.js';
import { LineChart, fetchPoints } from './charts.js';
import { X_MODES, buildLines, runColor } from './series.js';
import { Poller } from './live.js';

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
    this.poller = new Poller(() => this.refresh());
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
    this.poller.schedule(this.runs.some((run) => run.status === 'running'));
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
    this.poller.stop();
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
