// Series data for charts, as pure functions (no DOM, no uPlot): x values per axis mode, EMA
// smoothing, alignment of several lines on one x array, colours. Unit-tested under Node
// (tests/ui/web/*.test.mjs).

import { runLabel } from './format.js';

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
    lines.push({ label: runLabel(run), color, x, y });
  }
  return lines;
}
