// Series data for charts, as pure functions (no DOM, no uPlot): x values per axis mode, EMA
// smoothing, alignment of several lines on one x array, colours. Unit-tested under Node
// (tests/ui/web/*.test.mjs).

import { getPath, naturalCompare, runLabel } from './format.js';

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2',
                 '#17becf', '#7f7f7f', '#bcbd22'];

/**
 * Colour of the i-th run (or group) of a view: the ten Tableau colours, then hues spread by the
 * golden angle at alternating lightness, so 50 lines stay distinguishable.
 */
export function runColor(index) {
  if (index < PALETTE.length) return PALETTE[index];
  const k = index - PALETTE.length;
  const hue = Math.round((k * 137.508 + 20) % 360);
  const lightness = [42, 58, 34][k % 3];
  return `hsl(${hue}, 70%, ${lightness}%)`;
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
    lines.push({ label: runLabel(run), color, x, y, run });
  }
  return lines;
}

/**
 * Coarse points of a whole series with `fine` points (a full-resolution read of steps
 * [lo, hi]) in place of the coarse ones inside that range. Columnar like the API's points.
 */
export function mergeRange(coarse, fine, lo, hi) {
  const keys = ['step', 'epoch', 'value', 'time'];
  const out = Object.fromEntries(keys.map((k) => [k, []]));
  const push = (source, i) => { for (const k of keys) out[k].push(source[k][i]); };
  let i = 0;
  for (; i < coarse.step.length && coarse.step[i] < lo; i++) push(coarse, i);
  for (let j = 0; j < fine.step.length; j++) push(fine, j);
  while (i < coarse.step.length && coarse.step[i] <= hi) i++;
  for (; i < coarse.step.length; i++) push(coarse, i);
  return out;
}

/**
 * The step range [lo, hi] a zoom to x in [min, max] shows, from a series' points and their x
 * values (any x mode): the steps of the points inside, widened by one neighbour on each side so
 * lines reach the edges; null when no point falls inside.
 */
export function stepRangeFor(points, xs, min, max) {
  let first = -1;
  let last = -1;
  for (let i = 0; i < xs.length; i++) {
    if (xs[i] === null || xs[i] < min || xs[i] > max) continue;
    if (first < 0) first = i;
    last = i;
  }
  if (first < 0) {
    // Zoomed between two coarse points: the gap's neighbours bound it.
    const after = xs.findIndex((x) => x !== null && x > max);
    if (after <= 0) return null;
    return { lo: points.step[after - 1], hi: points.step[after] };
  }
  const lo = points.step[Math.max(0, first - 1)];
  const hi = points.step[Math.min(points.step.length - 1, last + 1)];
  return { lo, hi };
}

/** Number of x values of aligned uPlot data within [min, max] that some line has a y at. */
export function pointsInRange(data, min, max) {
  let count = 0;
  for (let i = 0; i < data[0].length; i++) {
    if (data[0][i] < min || data[0][i] > max) continue;
    for (let s = 1; s < data.length; s++) if (data[s][i] !== null && data[s][i] !== undefined) count++;
  }
  return count;
}

/**
 * Groups lines by `key(line)` (lines with an undefined key form the group "—") and reduces each
 * group to its mean and min-max band over the lines' shared x values (aligned first; at an x
 * only the lines with a value there count). Returns {data: [xs, ...], groups: [{label, color,
 * size, mean, min, max}]} with data = [xs, mean0, min0, max0, mean1, ...].
 */
export function aggregateGroups(lines, key) {
  const order = [];
  const members = new Map();
  lines.forEach((line, i) => {
    const k = key(line) === undefined ? '—' : String(key(line));
    if (!members.has(k)) {
      members.set(k, []);
      order.push(k);
    }
    members.get(k).push(i);
  });
  const aligned = alignLines(lines);
  const xs = aligned[0];
  const data = [xs];
  const groups = order.map((label, g) => {
    const rows = members.get(label).map((i) => aligned[i + 1]);
    const mean = new Array(xs.length).fill(null);
    const min = new Array(xs.length).fill(null);
    const max = new Array(xs.length).fill(null);
    for (let x = 0; x < xs.length; x++) {
      let sum = 0;
      let n = 0;
      for (const row of rows) {
        const v = row[x];
        if (v === null) continue;
        sum += v;
        n++;
        min[x] = min[x] === null ? v : Math.min(min[x], v);
        max[x] = max[x] === null ? v : Math.max(max[x], v);
      }
      if (n > 0) mean[x] = sum / n;
    }
    data.push(mean, min, max);
    return { label, color: runColor(g), size: rows.length, mean, min, max };
  });
  return { data, groups };
}

/** `color` ('#rrggbb' or 'hsl(h, s%, l%)') with opacity `alpha` (0-1). */
export function withAlpha(color, alpha) {
  if (color.startsWith('#') && color.length === 7) {
    return `${color}${Math.round(alpha * 255).toString(16).padStart(2, '0')}`;
  }
  const hsl = color.match(/^hsl\((.*)\)$/);
  return hsl ? `hsla(${hsl[1]}, ${alpha})` : color;
}

/**
 * Colours of `runs`: by position, or with `groupBy` (a param path) one colour per distinct
 * value of that param, values in natural order.
 */
export function runColors(runs, groupBy) {
  if (!groupBy) return runs.map((run, i) => runColor(i));
  const keys = runs.map((run) => JSON.stringify(getPath(run.params, groupBy) ?? null));
  const order = [...new Set(keys)].sort(naturalCompare);
  return keys.map((key) => runColor(order.indexOf(key)));
}
