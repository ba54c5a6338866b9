// Line charts on uPlot (global `uPlot`, embedded from node_modules/uplot): one line per run or
// one mean line with its min-max band per group, x axis by step, epoch, wall time or time since
// start, log scale, drag-zoom (double-click resets) reported to the owner so it can fetch the
// visible range at full resolution, hover values in a scrollable legend, CSV of the drawn data.

import { api, runPath } from './api.js';
import { downloadText, el } from './dom.js';
import { formatNumber, toCsv } from './format.js';
import { X_MODES, alignLines, pointsInRange, withAlpha } from './series.js';

/** Max points asked of the server per series (it downsamples min/max per bucket). */
export const MAX_POINTS = 2000;

/**
 * Fetches one series' points: { step, epoch, value, time, count, downsampled }; with `range`
 * ({lo, hi}), only steps lo..hi, at full resolution up to maxPoints.
 */
export function fetchPoints(runId, metric, maxPoints = MAX_POINTS, range = null) {
  const query = new URLSearchParams({ metric, max_points: String(maxPoints) });
  if (range) {
    query.set('min_step', String(Math.floor(range.lo)));
    query.set('max_step', String(Math.ceil(range.hi)));
  }
  return api(`${runPath(runId, '/points')}?${query}`);
}

/** Series with at most this many points are drawn with their points marked. */
const SPARSE_POINTS = 30;

/**
 * Width in pixels the y axis needs for its widest tick label (12 px system font: at most 7.2 px
 * a character, plus the tick and a gap), so labels such as -1.235e+5 are never clipped.
 */
export function axisSize(u, values) {
  if (!values) return 50;
  const longest = Math.max(...values.map((v) => String(v).length));
  return Math.max(40, 14 + Math.ceil(longest * 7.2));
}

function cssColor(name, fallback) {
  const value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return value || fallback;
}

/** uPlot series, data and bands for plain lines ({label, color, x, y}). */
export function lineSpec(lines) {
  return {
    data: alignLines(lines),
    series: lines.map((line) => ({ label: line.label, color: line.color })),
    bands: [],
  };
}

/** uPlot series, data and bands for aggregateGroups() output: mean line over a min-max band. */
export function groupSpec({ data, groups }) {
  const series = [];
  const bands = [];
  groups.forEach((group, g) => {
    const base = 1 + 3 * g;  // uPlot index of the group's mean
    series.push({ label: `${group.label} (mean of ${group.size})`, color: group.color },
                { label: `${group.label} min`, color: withAlpha(group.color, 0.35), thin: true, hideInLegend: true },
                { label: `${group.label} max`, color: withAlpha(group.color, 0.35), thin: true, hideInLegend: true });
    bands.push({ series: [base + 2, base + 1], fill: withAlpha(group.color, 0.18) });
  });
  return { data, series, bands };
}

/** One uPlot chart in a card; recreated when its shape changes, updated in place otherwise. */
export class LineChart {
  /** `onZoom({min, max} | null)` is called after the user zooms in or resets (debounced). */
  constructor(title, { height = 280, compact = false, onZoom = null } = {}) {
    this.title = title;
    this.height = height;
    this.compact = compact;
    this.onZoom = onZoom;
    this.plotHost = el('div', { class: 'plot' });
    this.note = el('div', { class: 'chart-note muted' });
    this.csvButton = el('button', { type: 'button', class: 'small', title: `Download the data of ${title} as CSV`,
                                    onclick: () => this.downloadCsv() }, 'CSV');
    this.element = el('section', { class: compact ? 'chart compact' : 'chart', dataset: { metric: title } },
      el('div', { class: 'chart-head' }, el('h3', { class: 'chart-title', text: title }), compact ? null : this.csvButton),
      this.plotHost, this.note);
    this.plot = null;
    this.shape = '';
    this.zoomed = false;
    this.reported = null;  // last zoom range given to onZoom
    this.zoomTimer = null;
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
  setLines(lines, options) {
    this.draw(lineSpec(lines), options, lines.length === 0 ? 'No points for the selected runs.' : '');
  }

  /** Draws aggregateGroups() output as one mean line and min-max band per group. */
  setGroups(aggregate, options) {
    this.draw(groupSpec(aggregate), options, aggregate.groups.length === 0 ? 'No points for the selected runs.' : '');
  }

  draw(spec, { xMode, logScale }, emptyNote) {
    const { data, series, bands } = spec;
    this.data = data;
    this.series = series;
    this.xMode = xMode;
    Object.assign(this.element.dataset, {
      lines: String(series.filter((s) => !s.hideInLegend).length),
      bands: String(bands.length),
      points: String(data[0].length),
    });
    this.note.textContent = emptyNote;
    const shape = JSON.stringify([xMode, logScale, series.map((s) => [s.label, s.color]), bands.length]);
    if (this.plot && shape === this.shape) {
      this.plot.setData(data, !this.zoomed);
      this.countVisible();
      return;
    }
    this.destroyPlot();
    this.shape = shape;
    this.zoomed = false;
    this.reported = null;
    if (series.length === 0) return;
    this.plot = new uPlot(this.options(spec, xMode, logScale), data, this.plotHost);
    this.plot.root.querySelectorAll('.u-legend .u-series').forEach((row, i) => {
      if (i > 0 && series[i - 1].hideInLegend) row.hidden = true;
    });
    this.countVisible();
  }

  options({ data, series, bands }, xMode, logScale) {
    // Series with few points (one value per epoch, a single validation) show their points too.
    const few = data.slice(1).map((ys) => ys.filter((v) => v !== null).length <= SPARSE_POINTS);
    const axis = cssColor('--chart-axis', '#555');
    const grid = cssColor('--chart-grid', '#eee');
    const format = (u, v) => (v === null || v === undefined ? '—' : formatNumber(v));
    return {
      width: this.width(),
      height: this.height,
      legend: { show: !this.compact, live: true },
      cursor: { drag: { x: true, y: false, setScale: true } },
      scales: { x: { time: xMode === 'time' }, y: { distr: logScale ? 3 : 1 } },
      axes: [
        { label: this.compact ? undefined : X_MODES[xMode], stroke: axis, grid: { stroke: grid }, ticks: { stroke: grid } },
        { stroke: axis, grid: { stroke: grid }, ticks: { stroke: grid }, size: axisSize,
          values: (u, ticks) => ticks.map((v) => (v === null ? '' : formatNumber(v))) },
      ],
      series: [
        { label: X_MODES[xMode], value: (u, v) => (v === null ? '—' : xMode === 'time' ? new Date(v * 1000).toLocaleString() : formatNumber(v)) },
        ...series.map((s, i) => ({
          label: s.label,
          stroke: s.color,
          width: s.thin ? 0.75 : this.compact ? 1.25 : 1.75,
          spanGaps: true,
          points: { show: few[i] && !s.thin, size: 6, fill: s.color },
          value: format,
        })),
      ],
      bands,
      hooks: { setScale: [(u, key) => { if (key === 'x') this.scaleChanged(u); }] },
    };
  }

  scaleChanged(u) {
    const xs = u.data[0];
    if (!xs.length) return;
    const { min, max } = u.scales.x;
    this.zoomed = min > xs[0] || max < xs[xs.length - 1];
    this.countVisible();
    if (!this.onZoom) return;
    clearTimeout(this.zoomTimer);
    this.zoomTimer = setTimeout(() => {
      const range = this.zoomed ? { min, max } : null;
      if (JSON.stringify(range) === JSON.stringify(this.reported)) return;
      this.reported = range;
      this.onZoom(range);
    }, 150);
  }

  /** data-visible-points: plotted points inside the x range on screen (for tests and the note). */
  countVisible() {
    if (!this.plot || !this.data[0].length) {
      this.element.dataset.visiblePoints = '0';
      return;
    }
    const { min, max } = this.plot.scales.x;
    this.element.dataset.visiblePoints = String(pointsInRange(this.data, min, max));
  }

  downloadCsv() {
    if (!this.data) return;
    const header = [X_MODES[this.xMode] || 'x', ...this.series.map((s) => s.label)];
    const rows = this.data[0].map((x, i) => [x, ...this.data.slice(1).map((ys) => ys[i])]);
    downloadText(`${this.title.replace(/[^\w.-]+/g, '_')}.csv`, toCsv([header, ...rows]), 'text/csv');
  }

  destroyPlot() {
    if (this.plot) this.plot.destroy();
    this.plot = null;
  }

  destroy() {
    clearTimeout(this.zoomTimer);
    this.resizer.disconnect();
    this.destroyPlot();
  }
}
