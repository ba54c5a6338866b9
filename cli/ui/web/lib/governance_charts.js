// Charts of the Governance page on uPlot (global `uPlot`): compliance over time (PASS rate and
// mean score per day or week, both 0-100) and the score distribution (runs per score range,
// as bars). The data shaping is pure and unit-tested (tests/ui/web/governance.test.mjs).

import { el } from './dom.js';
import { formatNumber } from './format.js';

export const PASS_COLOR = '#16a34a';
export const SCORE_COLOR = '#2563eb';
export const BAR_COLOR = '#7c3aed';

/**
 * uPlot data of /api/governance/summary's over_time: [bucket start times (s), PASS rate %,
 * mean score]; a bucket without a value (null) stays a gap.
 */
export function complianceData(overTime) {
  return [
    overTime.map((b) => b.time),
    overTime.map((b) => (typeof b.pass_rate === 'number' ? b.pass_rate : null)),
    overTime.map((b) => (typeof b.mean_score === 'number' ? b.mean_score : null)),
  ];
}

/** "0-9", "10-19", ..., "90-100": the label of a histogram bin {from, to}. */
export function binLabel(bin) {
  return bin.to >= 100 ? `${bin.from}-100` : `${bin.from}-${bin.to - 1}`;
}

/** uPlot data of the summary's histogram: [bin index, runs]. */
export function histogramData(histogram) {
  return [histogram.map((_, i) => i), histogram.map((bin) => bin.runs)];
}

function cssColor(name, fallback) {
  const value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return value || fallback;
}

/** One uPlot chart in a card, resized with its box; `data-values` holds what it draws (tests). */
class GovernanceChart {
  constructor(title, className) {
    this.plotHost = el('div', { class: 'plot' });
    this.note = el('div', { class: 'chart-note muted' });
    this.element = el('section', { class: `chart ${className}` }, el('div', { class: 'chart-head' },
      el('h3', { class: 'chart-title', text: title })), this.plotHost, this.note);
    this.plot = null;
    this.resizer = new ResizeObserver(() => {
      if (this.plot) this.plot.setSize({ width: this.width(), height: this.height });
    });
    this.resizer.observe(this.plotHost);
    this.height = 240;
  }

  width() {
    return Math.max(300, Math.floor(this.plotHost.clientWidth || 500));
  }

  draw(options, data, emptyNote) {
    this.element.dataset.values = JSON.stringify(data.slice(1));
    this.note.textContent = data[0].length === 0 ? emptyNote : '';
    if (this.plot) this.plot.destroy();
    this.plot = data[0].length === 0 ? null : new uPlot({ width: this.width(), height: this.height, ...options }, data, this.plotHost);
  }

  axes(xValues) {
    const axis = cssColor('--chart-axis', '#555');
    const grid = cssColor('--chart-grid', '#eee');
    return [
      { stroke: axis, grid: { stroke: grid }, ticks: { stroke: grid }, values: xValues },
      { stroke: axis, grid: { stroke: grid }, ticks: { stroke: grid },
        values: (u, ticks) => ticks.map((v) => formatNumber(v)) },
    ];
  }

  destroy() {
    this.resizer.disconnect();
    if (this.plot) this.plot.destroy();
    this.plot = null;
  }
}

/** PASS rate and mean score per bucket, both on a 0-100 axis. */
export class ComplianceChart extends GovernanceChart {
  constructor() {
    super('Compliance over time', 'compliance-chart');
  }

  /** `overTime`: the summary's over_time; `bucket`: 'day' or 'week' (axis dates). */
  update(overTime, bucket) {
    const data = complianceData(overTime);
    const day = (v) => new Date(v * 1000).toISOString().slice(0, 10);
    const value = (u, v) => (v === null || v === undefined ? '—' : formatNumber(Number(v.toFixed(1))));
    const axes = this.axes((u, ticks) => ticks.map(day));
    this.draw({
      scales: { x: { time: false }, y: { range: [0, 100] } },
      axes,
      legend: { live: true },
      series: [
        { label: bucket === 'week' ? 'week of' : 'day', value: (u, v) => (v === null || v === undefined ? '—' : day(v)) },
        { label: 'PASS rate %', stroke: PASS_COLOR, width: 2, points: { show: true, size: 7, fill: PASS_COLOR }, spanGaps: true, value },
        { label: 'mean score', stroke: SCORE_COLOR, width: 2, points: { show: true, size: 7, fill: SCORE_COLOR }, spanGaps: true, value },
      ],
    }, data, 'No validated runs in this selection.');
  }
}

/** Runs per score range, one bar per range. */
export class HistogramChart extends GovernanceChart {
  constructor() {
    super('Score distribution', 'histogram-chart');
  }

  update(histogram) {
    const data = histogramData(histogram);
    const labels = histogram.map(binLabel);
    const bars = uPlot.paths.bars({ size: [0.7, 60] });
    this.draw({
      scales: { x: { time: false, range: [-0.5, histogram.length - 0.5] }, y: { range: (u, min, max) => [0, Math.max(1, max)] } },
      axes: this.axes((u, ticks) => ticks.map((t) => (Number.isInteger(t) && labels[t] !== undefined ? labels[t] : ''))),
      legend: { live: true },
      series: [
        { label: 'score', value: (u, v) => (v === null || v === undefined ? '—' : labels[v]) },
        { label: 'runs', stroke: BAR_COLOR, fill: BAR_COLOR, width: 1, paths: bars, points: { show: false } },
      ],
    }, histogram.every((bin) => bin.runs === 0) ? [[], []] : data, 'No validated runs in this selection.');
  }
}
