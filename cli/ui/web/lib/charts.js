// Line charts on uPlot (global `uPlot`, embedded from node_modules/uplot): one line per run,
// x axis by step, epoch, wall time or time since start, EMA smoothing, log scale, drag-zoom
// (double-click resets), hover values in the legend.

import { el, formatNumber } from './dom.js';
import { api, runPath } from './api.js';

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2',
                 '#17becf', '#7f7f7f', '#bcbd22'];

/** Colour of the i-th run of a view. */
export function runColor(index) {
  return PALETTE[index % PALETTE.length];
}

export const X_MODES = {
  step: 'Step',
  epoch: 'Epoch',
  time: 'Wall time',
  relative: 'Time since start (s)',
};

/** Max points asked of the server per series (it downsamples min/max per bucket). */
export const MAX_POINTS = 2000;

/** Fetches one series' points: { step, epoch, value, time, count, downsampled }. */
export function fetchPoints(runId, metric, maxPoints = MAX_POINTS) {
  const query = new URLSearchParams({ metric, max_points: String(maxPoints) });
  return api(`${runPath(runId, '/points')}?${query}`);
}

function numeric(value) {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/**
 * x values of a series for `mode`. Epoch: points of one epoch are spread over [e, e+1) so
 * per-step series logged with an epoch stay a line; points without epoch are dropped (null).
 */
export function xValues(points, mode, startTime) {
  const n = points.step.length;
  if (mode === 'time') return points.time.slice();
  if (mode === 'relative') return points.time.map((t) => t - startTime);
  if (mode !== 'epoch') return points.step.slice();
  const xs = new Array(n).fill(null);
  let i = 0;
  while (i < n) {
    const epoch = points.epoch[i];
    let j = i;
    while (j < n && points.epoch[j] === epoch) j++;
    if (epoch !== null && epoch !== undefined) {
      const count = j - i;
      // A single point per epoch (per-epoch series) sits on the epoch number itself.
      for (let k = i; k < j; k++) xs[k] = count === 1 ? epoch : epoch + (k - i) / count;
    }
    i = j;
  }
  return xs;
}

/** TensorBoard-style debiased exponential moving average; weight 0 = raw values. */
export function ema(values, weight) {
  if (!(weight > 0)) return values.slice();
  const out = new Array(values.length);
  let last = 0;
  let count = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null) {
      out[i] = null;
      continue;
    }
    last = last * weight + (1 - weight) * v;
    count++;
    out[i] = last / (1 - Math.pow(weight, count));
  }
  return out;
}

/**
 * uPlot's aligned data from lines with their own x arrays: [xs, ys1, ys2, ...], x sorted
 * ascending and unique, null where a line has no point at that x.
 */
export function alignLines(lines) {
  const all = new Set();
  for (const line of lines) for (const x of line.x) if (x !== null) all.add(x);
  const xs = Float64Array.from(all).sort();
  const index = new Map();
  xs.forEach((x, i) => index.set(x, i));
  const data = [Array.from(xs)];
  for (const line of lines) {
    const ys = new Array(xs.length).fill(null);
    line.x.forEach((x, i) => {
      if (x !== null) ys[index.get(x)] = line.y[i];
    });
    data.push(ys);
  }
  return data;
}

/**
 * Builds the plotted lines of one metric: for each run with points, x by mode, y raw or
 * smoothed, non-positive values dropped on a log scale.
 */
export function buildLines(entries, { xMode, smoothing, logScale }) {
  const lines = [];
  for (const { run, color, points } of entries) {
    if (!points || points.step.length === 0) continue;
    const start = Date.parse(run.started_at) / 1000;
    const x = xValues(points, xMode, Number.isFinite(start) ? start : points.time[0]);
    let y = points.value.map(numeric);
    y = ema(y, smoothing);
    if (logScale) y = y.map((v) => (v !== null && v > 0 ? v : null));
    lines.push({ label: run.name || run.id.slice(0, 8), color, x, y });
  }
  return lines;
}

/** One uPlot chart in a card; recreated when its shape changes, updated in place otherwise. */
export class LineChart {
  constructor(title, { height = 280, compact = false } = {}) {
    this.height = height;
    this.compact = compact;
    this.plotHost = el('div', { class: 'plot' });
    this.note = el('div', { class: 'chart-note muted' });
    this.element = el('section', { class: compact ? 'chart compact' : 'chart', dataset: { metric: title } },
                      el('h3', { class: 'chart-title', text: title }), this.plotHost, this.note);
    this.plot = null;
    this.shape = '';
    this.zoomed = false;
    this.resizer = new ResizeObserver(() => this.resize());
    this.resizer.observe(this.plotHost);
  }

  width() {
    return Math.max(200, Math.floor(this.plotHost.clientWidth || (this.compact ? 300 : 800)));
  }

  resize() {
    if (this.plot) this.plot.setSize({ width: this.width(), height: this.height });
  }

  /** Draws `lines` ({label, color, x, y}); keeps the zoom on live updates of the same shape. */
  setLines(lines, { xMode, logScale }) {
    this.element.dataset.lines = String(lines.length);
    this.note.textContent = lines.length === 0 ? 'No points for the selected runs.' : '';
    const shape = JSON.stringify([xMode, logScale, lines.map((l) => [l.label, l.color])]);
    const data = alignLines(lines);
    this.element.dataset.points = String(data[0].length);
    if (this.plot && shape === this.shape) {
      this.plot.setData(data, !this.zoomed);
      return;
    }
    this.destroyPlot();
    this.shape = shape;
    this.zoomed = false;
    if (lines.length === 0) return;
    const options = {
      width: this.width(),
      height: this.height,
      legend: { show: !this.compact, live: true },
      cursor: { drag: { x: true, y: false, setScale: true } },
      scales: { x: { time: xMode === 'time' }, y: { distr: logScale ? 3 : 1 } },
      axes: [
        { label: this.compact ? undefined : X_MODES[xMode], stroke: '#555', grid: { stroke: '#eee' } },
        { stroke: '#555', grid: { stroke: '#eee' }, size: 60,
          values: (u, ticks) => ticks.map((v) => (v === null ? '' : formatNumber(v))) },
      ],
      series: [
        { label: X_MODES[xMode], value: (u, v) => (v === null ? '—' : xMode === 'time' ? new Date(v * 1000).toLocaleString() : formatNumber(v)) },
        ...lines.map((line) => ({
          label: line.label,
          stroke: line.color,
          width: this.compact ? 1.25 : 1.75,
          spanGaps: true,
          points: { show: false },
          value: (u, v) => (v === null ? '—' : formatNumber(v)),
        })),
      ],
      hooks: {
        setScale: [(u, key) => {
          if (key !== 'x' || !u.data[0].length) return;
          const xs = u.data[0];
          this.zoomed = u.scales.x.min > xs[0] || u.scales.x.max < xs[xs.length - 1];
        }],
      },
    };
    this.plot = new uPlot(options, data, this.plotHost);
  }

  destroyPlot() {
    if (this.plot) this.plot.destroy();
    this.plot = null;
  }

  destroy() {
    this.resizer.disconnect();
    this.destroyPlot();
  }
}
