// Line charts on uPlot (global `uPlot`, embedded from node_modules/uplot): one line per run,
// x axis by step, epoch, wall time or time since start, EMA smoothing, log scale, drag-zoom
// (double-click resets), hover values in the legend.

import { el } from './dom.js';
import { formatNumber } from './format.js';
import { X_MODES, alignLines } from './series.js';
import { api, runPath } from './api.js';

/** Max points asked of the server per series (it downsamples min/max per bucket). */
export const MAX_POINTS = 2000;

/** Fetches one series' points: { step, epoch, value, time, count, downsampled }. */
export function fetchPoints(runId, metric, maxPoints = MAX_POINTS) {
  const query = new URLSearchParams({ metric, max_points: String(maxPoints) });
  return api(`${runPath(runId, '/points')}?${query}`);
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
