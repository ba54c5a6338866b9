// Params explorer: parallel coordinates over chosen params and a result metric, and a scatter of
// one param against the metric, both as SVG with brushing. A brush is a value range on a numeric
// axis; the owner (the runs view) turns brushes into param/metric conditions of the runs table.

import { el, replace } from './dom.js';
import { PREFERRED_PARAMS } from './defaults.js';
import { formatNumber, getPath, naturalCompare } from './format.js';

const SVG = 'http://www.w3.org/2000/svg';
const HEIGHT = 280;
const MARGIN = { top: 24, bottom: 28, side: 70 };
/** Brush targets reach this far past the data (pixels): a drag from beyond an extreme run keeps it. */
const SLACK = 8;

/** An axis is `param:PATH` or `metric:QUALIFIED_NAME`; this is a run's number on it, or null. */
export function dimValue(run, dim) {
  let value;
  if (dim.startsWith('param:')) {
    value = getPath(run.params, dim.slice(6));
  } else {
    const metric = run.metrics[dim.slice(7)];
    value = metric && metric.count > 0 ? metric.last : null;
  }
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/** Label of an axis: the path or metric name. */
export function dimLabel(dim) {
  return dim.slice(dim.indexOf(':') + 1);
}

/** [min, max] of the runs' values on `dim` (a zero span widened), or null without numbers. */
export function domainOf(runs, dim) {
  const values = runs.map((run) => dimValue(run, dim)).filter((v) => v !== null);
  if (values.length === 0) return null;
  let min = Math.min(...values);
  let max = Math.max(...values);
  if (min === max) {
    const pad = Math.abs(min) * 0.05 || 1;
    min -= pad;
    max += pad;
  }
  return [min, max];
}

/** True when the run lies inside every brush ({dim, lo, hi}). */
export function inBrushes(run, brushes) {
  return brushes.every(({ dim, lo, hi }) => {
    const v = dimValue(run, dim);
    return v !== null && v >= lo && v <= hi;
  });
}

/**
 * The runs-table conditions of brushes: {param: ['path >= lo', 'path <= hi'], metric: [...]}
 * in the filter syntax the server parses (tracker filter expressions).
 */
export function brushConditions(brushes) {
  const out = { param: [], metric: [] };
  for (const { dim, lo, hi } of brushes) {
    const kind = dim.startsWith('param:') ? 'param' : 'metric';
    out[kind].push(`${dimLabel(dim)} >= ${lo}`, `${dimLabel(dim)} <= ${hi}`);
  }
  return out;
}

/** Brushes in the URL: "LO~HI~DIM" (the axis last: it may contain anything but leads with a kind). */
export function parseBrush(text) {
  const [lo, hi, ...rest] = text.split('~');
  const dim = rest.join('~');
  if (!/^(param|metric):./.test(dim) || !Number.isFinite(Number(lo)) || !Number.isFinite(Number(hi)) || lo === '' || hi === '') return null;
  return { dim, lo: Math.min(Number(lo), Number(hi)), hi: Math.max(Number(lo), Number(hi)) };
}

export function formatBrush({ dim, lo, hi }) {
  return `${lo}~${hi}~${dim}`;
}

/** Rounds a brush edge to 4 significant digits outward, so the edge run stays inside. */
function edge(value, up) {
  if (value === 0) return 0;
  const scale = 10 ** (Math.floor(Math.log10(Math.abs(value))) - 3);
  const rounded = (up ? Math.ceil(value / scale) : Math.floor(value / scale)) * scale;
  return Number(rounded.toPrecision(12));  // no 0.30000000000000004 in URLs and conditions
}

function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) if (value !== undefined && value !== null) node.setAttribute(key, String(value));
  for (const child of children.flat()) if (child) node.append(child);
  return node;
}

/** Maps pointer drags on an SVG element to a value range via `toValue(pixelY or X)`. */
function dragRange(target, axisOf, onDone) {
  target.addEventListener('pointerdown', (down) => {
    down.preventDefault();
    target.setPointerCapture(down.pointerId);
    const start = axisOf(down);
    const move = (e) => onDone(start, axisOf(e), false);
    const up = (e) => {
      target.removeEventListener('pointermove', move);
      target.removeEventListener('pointerup', up);
      onDone(start, axisOf(e), true);
    };
    target.addEventListener('pointermove', move);
    target.addEventListener('pointerup', up);
  });
}

/**
 * Parallel coordinates and a scatter for `runs` over `dims`; `onBrush([{dim, range}])` is
 * called when a brush is drawn (range {lo, hi}) or cleared (range null: a click without drag).
 */
export class ParamsPlot {
  constructor(onBrush) {
    this.onBrush = onBrush;
    this.parallel = el('div', { class: 'parallel' });
    this.scatter = el('div', { class: 'scatter' });
    this.element = el('div', { class: 'params-plot' }, this.parallel, this.scatter);
  }

  /** Draws `runs` on axes `dims` (params then the metric); `scatterX` is the scatter's x axis. */
  render(runs, dims, brushes, scatterX) {
    this.runs = runs;
    this.brushes = brushes;
    const width = Math.max(480, this.element.clientWidth || 1000);
    replace(this.parallel, this.parallelSvg(runs, dims, brushes, Math.round(width * 0.62)));
    const metric = dims.find((d) => d.startsWith('metric:'));
    replace(this.scatter, scatterX && metric ? this.scatterSvg(runs, scatterX, metric, brushes, Math.round(width * 0.34))
                                             : el('p', { class: 'muted', text: 'Pick a param and a metric for the scatter.' }));
  }

  parallelSvg(runs, dims, brushes, width) {
    const n = dims.length;
    const x = (i) => MARGIN.side + (n === 1 ? 0 : (i * (width - 2 * MARGIN.side)) / (n - 1));
    const scales = dims.map((dim) => {
      const domain = domainOf(runs, dim);
      return domain && ((v) => HEIGHT - MARGIN.bottom - ((v - domain[0]) / (domain[1] - domain[0])) * (HEIGHT - MARGIN.top - MARGIN.bottom));
    });
    const root = svg('svg', { width, height: HEIGHT, class: 'parallel-svg', role: 'img', 'aria-label': 'Parallel coordinates' });
    const lines = svg('g', { class: 'lines' });
    for (const run of runs) {
      let d = '';
      let pen = 'M';
      dims.forEach((dim, i) => {
        const v = dimValue(run, dim);
        if (v === null || !scales[i]) {
          pen = 'M';
          return;
        }
        d += `${pen}${x(i).toFixed(1)},${scales[i](v).toFixed(1)}`;
        pen = 'L';
      });
      if (d) lines.append(svg('path', { d, class: inBrushes(run, brushes) ? 'run-line match' : 'run-line' }, svg('title', {}, document.createTextNode(run.name || run.id))));
    }
    root.append(lines);
    dims.forEach((dim, i) => root.append(this.axis(dim, x(i), scales[i], domainOf(runs, dim), brushes)));
    root.dataset.runs = String(runs.length);
    return root;
  }

  axis(dim, x, scale, domain, brushes) {
    const top = MARGIN.top;
    const bottom = HEIGHT - MARGIN.bottom;
    const group = svg('g', { class: 'axis', 'data-dim': dim },
      svg('line', { x1: x, x2: x, y1: top, y2: bottom }),
      svg('text', { x, y: 14, 'text-anchor': 'middle', class: 'axis-label' }, document.createTextNode(dimLabel(dim))));
    if (!domain) {
      group.append(svg('text', { x, y: (top + bottom) / 2, 'text-anchor': 'middle', class: 'axis-note' }, document.createTextNode('not numeric')));
      return group;
    }
    group.append(svg('text', { x: x + 6, y: bottom + 14, class: 'tick' }, document.createTextNode(formatNumber(domain[0]))),
                 svg('text', { x: x + 6, y: top + 4, class: 'tick' }, document.createTextNode(formatNumber(domain[1]))));
    const brush = brushes.find((b) => b.dim === dim);
    const band = svg('rect', { x: x - 8, width: 16, class: 'brush', visibility: brush ? 'visible' : 'hidden' });
    const place = (y0, y1) => { band.setAttribute('y', Math.min(y0, y1)); band.setAttribute('height', Math.abs(y1 - y0)); };
    if (brush) place(scale(brush.hi), scale(brush.lo));
    const toValue = (y) => domain[0] + ((bottom - y) / (bottom - top)) * (domain[1] - domain[0]);
    const hit = svg('rect', { x: x - 14, y: top - SLACK, width: 28, height: bottom - top + 2 * SLACK, class: 'brush-target', 'data-dim': dim });
    const localY = (e) => Math.min(bottom, Math.max(top, e.clientY - hit.ownerSVGElement.getBoundingClientRect().top));
    dragRange(hit, localY, (y0, y1, done) => {
      band.setAttribute('visibility', 'visible');
      place(y0, y1);
      if (!done) return;
      const range = Math.abs(y1 - y0) < 3 ? null : { lo: edge(toValue(Math.max(y0, y1)), false), hi: edge(toValue(Math.min(y0, y1)), true) };
      this.onBrush([{ dim, range }]);
    });
    group.append(band, hit);
    return group;
  }

  scatterSvg(runs, xDim, yDim, brushes, width) {
    const xd = domainOf(runs, xDim);
    const yd = domainOf(runs, yDim);
    const root = svg('svg', { width, height: HEIGHT, class: 'scatter-svg', role: 'img', 'aria-label': `${dimLabel(xDim)} against ${dimLabel(yDim)}` });
    if (!xd || !yd) {
      root.append(svg('text', { x: 20, y: HEIGHT / 2, class: 'axis-note' }, document.createTextNode('No numeric values to plot.')));
      return root;
    }
    const left = 56;
    const right = width - 12;
    const top = MARGIN.top;
    const bottom = HEIGHT - MARGIN.bottom;
    const sx = (v) => left + ((v - xd[0]) / (xd[1] - xd[0])) * (right - left);
    const sy = (v) => bottom - ((v - yd[0]) / (yd[1] - yd[0])) * (bottom - top);
    root.append(svg('line', { x1: left, x2: right, y1: bottom, y2: bottom, class: 'frame' }),
                svg('line', { x1: left, x2: left, y1: top, y2: bottom, class: 'frame' }),
                svg('text', { x: (left + right) / 2, y: HEIGHT - 4, 'text-anchor': 'middle', class: 'axis-label' }, document.createTextNode(dimLabel(xDim))),
                svg('text', { x: left, y: 14, class: 'axis-label' }, document.createTextNode(dimLabel(yDim))),
                svg('text', { x: left, y: bottom + 14, class: 'tick' }, document.createTextNode(formatNumber(xd[0]))),
                svg('text', { x: right, y: bottom + 14, 'text-anchor': 'end', class: 'tick' }, document.createTextNode(formatNumber(xd[1]))));
    for (const run of runs) {
      const vx = dimValue(run, xDim);
      const vy = dimValue(run, yDim);
      if (vx === null || vy === null) continue;
      root.append(svg('circle', { cx: sx(vx).toFixed(1), cy: sy(vy).toFixed(1), r: 3.5, class: inBrushes(run, brushes) ? 'dot match' : 'dot' },
                      svg('title', {}, document.createTextNode(`${run.name || run.id}: ${formatNumber(vx)}, ${formatNumber(vy)}`))));
    }
    const band = svg('rect', { class: 'brush', visibility: 'hidden' });
    const hit = svg('rect', { x: left - SLACK, y: top - SLACK, width: right - left + 2 * SLACK, height: bottom - top + 2 * SLACK,
                              class: 'brush-target scatter-target' });
    const local = (e) => {
      const box = root.getBoundingClientRect();
      return [Math.min(right, Math.max(left, e.clientX - box.left)), Math.min(bottom, Math.max(top, e.clientY - box.top))];
    };
    dragRange(hit, local, ([x0, y0], [x1, y1], done) => {
      Object.entries({ x: Math.min(x0, x1), y: Math.min(y0, y1), width: Math.abs(x1 - x0), height: Math.abs(y1 - y0), visibility: 'visible' })
        .forEach(([k, v]) => band.setAttribute(k, v));
      if (!done) return;
      if (Math.abs(x1 - x0) < 3 && Math.abs(y1 - y0) < 3) {
        this.onBrush([{ dim: xDim, range: null }, { dim: yDim, range: null }]);
        return;
      }
      const vx = (px) => xd[0] + ((px - left) / (right - left)) * (xd[1] - xd[0]);
      const vy = (py) => yd[0] + ((bottom - py) / (bottom - top)) * (yd[1] - yd[0]);
      this.onBrush([
        { dim: xDim, range: { lo: edge(vx(Math.min(x0, x1)), false), hi: edge(vx(Math.max(x0, x1)), true) } },
        { dim: yDim, range: { lo: edge(vy(Math.max(y0, y1)), false), hi: edge(vy(Math.min(y0, y1)), true) } }]);
    });
    root.append(band, hit);
    return root;
  }
}

const PREFERRED_AXES = PREFERRED_PARAMS.map((path) => `param:${path}`);

/**
 * Default axes among numeric `dims`: those whose value differs between the runs (a constant axis
 * separates nothing), the usual tuning knobs first, at most `count`.
 */
export function defaultAxes(runs, dims, count) {
  const varies = dims.filter((dim) => new Set(runs.map((run) => dimValue(run, dim))).size > 1);
  const rank = (dim) => (PREFERRED_AXES.includes(dim) ? PREFERRED_AXES.indexOf(dim) : PREFERRED_AXES.length);
  return varies.map((dim, i) => [rank(dim), i, dim]).sort((a, b) => a[0] - b[0] || a[1] - b[1]).slice(0, count).map(([, , dim]) => dim);
}

/** Numeric dims among `candidates` (param paths or metric names with a kind), natural order. */
export function numericDims(runs, candidates) {
  return candidates.filter((dim) => runs.some((run) => dimValue(run, dim) !== null)).sort(naturalCompare);
}
