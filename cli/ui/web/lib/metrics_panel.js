// Charts of chosen runs x chosen metrics with shared controls (x axis, smoothing, log scale,
// grouping by a param with mean and min-max band), zoom that fetches the visible step range at
// full resolution, live refresh while a shown run is running. Used by the explorer and the
// compare view.

import { api, fetchRuns, runPath } from './api.js';
import { debounce, el, replace } from './dom.js';
import { LineChart, MAX_POINTS, fetchPoints } from './charts.js';
import { flatten, getPath, naturalCompare } from './format.js';
import { X_MODES, aggregateGroups, buildLines, mergeRange, runColors, stepRangeFor, xValues } from './series.js';
import { Poller } from './live.js';

/** Param paths worth grouping by: leaves whose value differs between the runs (at most 60). */
export function groupableParams(runs) {
  const values = new Map();
  for (const run of runs) {
    for (const [path, value] of flatten(run.params)) {
      if (value !== null && typeof value === 'object') continue;
      if (!values.has(path)) values.set(path, new Set());
      values.get(path).add(JSON.stringify(value));
    }
  }
  return [...values].filter(([, set]) => set.size > 1).map(([path]) => path).sort(naturalCompare).slice(0, 60);
}

/**
 * Charts for a set of runs and metrics with shared controls; used by the explorer and the
 * compare view. `onChange(changes)` writes control changes to the URL.
 */
export class MetricsPanel {
  constructor(onChange) {
    this.onChange = onChange;
    this.charts = new Map();  // metric -> LineChart
    this.points = new Map();  // `${id}|${metric}` -> points of the whole series (downsampled)
    this.zooms = new Map();   // metric -> { min, max, fine: Map(run id -> {lo, hi, points}) }
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
    if (this.options && (this.options.xMode !== options.xMode)) this.zooms.clear();
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
    return [...names].sort(naturalCompare);
  }

  renderControls() {
    const { xMode, smoothing, logScale, groupBy, aggregate, split } = this.options;
    this.smoothingLabel.textContent = smoothing.toFixed(2);
    const groupable = groupableParams(this.runs);
    if (groupBy && !groupable.includes(groupBy)) groupable.unshift(groupBy);
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
      el('label', { class: 'inline' }, 'Group by ',
        el('select', { 'aria-label': 'Group by', onchange: (e) => this.onChange({ group: e.target.value }) },
          el('option', { value: '', text: 'none (one colour per run)' }),
          groupable.map((path) => el('option', { value: path, text: path, selected: path === groupBy })))),
      el('label', { class: 'inline' },
        el('input', { type: 'checkbox', checked: aggregate, disabled: !groupBy, 'aria-label': 'Aggregate groups',
                      onchange: (e) => this.onChange({ agg: e.target.checked ? '1' : '' }) }), ' Mean and min-max band per group'),
      el('label', { class: 'inline' },
        el('input', { type: 'checkbox', checked: split, disabled: !groupBy, 'aria-label': 'Chart per group',
                      onchange: (e) => this.onChange({ split: e.target.checked ? '1' : '' }) }), ' One chart per group'),
      el('span', { class: 'muted hint', text: 'Drag to zoom (fetches full resolution), double-click to reset.' }));
  }

  renderMetricPicker() {
    const available = this.available();
    if (available.length === 0) {
      const text = this.runs.length === 0 ? '' : this.runs.length === 1 ? 'This run has logged no metrics yet, so there are no curves.' :
        `None of the ${this.runs.length} chosen runs has logged a metric yet, so there are no curves.`;
      replace(this.metricPicker, el('p', { class: 'muted no-metrics', text }));
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

  /** Points of a run's series as drawn: the zoomed range at full resolution inside the rest. */
  pointsOf(run, metric, pane) {
    const coarse = this.points.get(`${run.id}|${metric}`);
    const zoom = this.zooms.get(pane);
    const fine = zoom && zoom.fine.get(run.id);
    return coarse && fine ? mergeRange(coarse, fine.points, fine.lo, fine.hi) : coarse;
  }

  colors() {
    return runColors(this.runs, this.options.groupBy);
  }

  /**
   * The charts to show: one per metric, or with `split` one per metric and group value
   * (`metric · path=value`), each with the indexes of the runs it draws.
   */
  panes() {
    const { groupBy, split } = this.options;
    const all = this.runs.map((run, i) => i);
    if (!groupBy || !split) return this.metrics.map((metric) => ({ key: metric, metric, title: metric, members: all }));
    const groups = new Map();
    this.runs.forEach((run, i) => {
      const value = JSON.stringify(getPath(run.params, groupBy) ?? null);
      if (!groups.has(value)) groups.set(value, []);
      groups.get(value).push(i);
    });
    const values = [...groups.keys()].sort(naturalCompare);
    return this.metrics.flatMap((metric) => values.map((value) => {
      const title = `${metric} · ${groupBy}=${value}`;
      return { key: title, metric, title, members: groups.get(value) };
    }));
  }

  draw() {
    const panes = this.panes();
    const keys = new Set(panes.map((pane) => pane.key));
    for (const [key, chart] of this.charts) {
      if (!keys.has(key)) {
        chart.destroy();
        chart.element.remove();
        this.charts.delete(key);
        this.zooms.delete(key);
      }
    }
    if (this.metrics.length === 0) {
      replace(this.grid, el('p', { class: 'muted', text: this.available().length ? 'Pick one or more metrics above.' : '' }));
      return;
    }
    const placeholder = this.grid.querySelector(':scope > p');
    if (placeholder) placeholder.remove();
    this.grid.classList.toggle('split', panes.length > this.metrics.length);
    const colors = this.colors();
    for (const pane of panes) {
      let chart = this.charts.get(pane.key);
      if (!chart) {
        chart = new LineChart(pane.title, { onZoom: (range) => this.zoomTo(pane, range) });
        chart.element.dataset.metric = pane.metric;
        this.charts.set(pane.key, chart);
      }
      this.grid.append(chart.element);  // keeps URL order
      this.drawChart(pane, chart, colors);
    }
  }

  drawChart(pane, chart, colors) {
    const entries = pane.members.map((i) => ({ run: this.runs[i], color: colors[i], points: this.pointsOf(this.runs[i], pane.metric, pane.key) }));
    const lines = buildLines(entries, this.options);
    const { groupBy, aggregate } = this.options;
    if (groupBy && aggregate) {
      // Groups in natural order of their values, coloured like the lines they replace.
      const key = (line) => JSON.stringify(getPath(line.run.params, groupBy) ?? null);
      lines.sort((a, b) => naturalCompare(key(a), key(b)));
      chart.setGroups(aggregateGroups(lines, (line) => `${groupBy}=${key(line)}`), this.options);
    } else {
      chart.setLines(lines, this.options);
    }
  }

  /** Zoomed to x in [min, max] (or reset, null): fetch each run's visible steps in full. */
  async zoomTo(pane, range) {
    const chart = this.charts.get(pane.key);
    if (!chart) return;
    if (!range) {
      this.zooms.delete(pane.key);
      this.drawChart(pane, chart, this.colors());
      return;
    }
    const zoom = { ...range, fine: new Map() };
    this.zooms.set(pane.key, zoom);
    chart.element.dataset.detail = 'loading';
    await Promise.all(pane.members.map((i) => this.runs[i]).map(async (run) => {
      const coarse = this.points.get(`${run.id}|${pane.metric}`);
      if (!coarse || !coarse.downsampled) return;  // already every point
      const start = Date.parse(run.started_at) / 1000;
      const xs = xValues(coarse, this.options.xMode, Number.isFinite(start) ? start : coarse.time[0]);
      const steps = stepRangeFor(coarse, xs, range.min, range.max);
      if (!steps) return;
      const points = await fetchPoints(run.id, pane.metric, MAX_POINTS, steps).catch(() => null);
      if (points) zoom.fine.set(run.id, { ...steps, points });
    }));
    if (this.zooms.get(pane.key) !== zoom || this.charts.get(pane.key) !== chart) return;
    chart.element.dataset.detail = 'fine';
    this.drawChart(pane, chart, this.colors());
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
  return { xMode: x in X_MODES ? x : 'step', smoothing, logScale: params.get('log') === '1',
           groupBy: params.get('group') || '', aggregate: params.get('agg') === '1', split: params.get('split') === '1' };
}
