// The params explorer panel of the runs view: picks the axes (params and one result metric),
// loads the runs matching the table's filters (without the brushes) and draws them with
// ParamsPlot. Brushes live in the URL (`brush=LO~HI~DIM`); the runs view adds them to the
// table's filters, so brushing filters the runs table on the server.

import { api } from './api.js';
import { PREFERRED_METRICS } from './defaults.js';
import { el, replace } from './dom.js';
import { naturalCompare } from './format.js';
import { ParamsPlot, defaultAxes, dimLabel, formatBrush, numericDims, parseBrush } from './params_plot.js';

/** Most runs drawn (newest first); more would make the SVG slow to redraw. */
export const MAX_PLOTTED_RUNS = 2000;
const DEFAULT_AXES = 4;

/** Brushes of the URL state, malformed ones dropped. */
export function brushesOf(state) {
  return state.getAll('brush').map(parseBrush).filter(Boolean);
}

export class ParamsExplorer {
  /** `change(changes)` applies URL changes ({key: value | [values] | ''}). */
  constructor(change) {
    this.change = change;
    this.plot = new ParamsPlot((updates) => this.brush(updates));
    this.controls = el('div', { class: 'params-controls' });
    this.note = el('p', { class: 'muted params-note' });
    this.body = el('div', { class: 'params-body' }, this.controls, this.plot.element, this.note);
    this.element = el('details', { class: 'params-explorer card', ontoggle: () => this.toggled() },
      el('summary', { text: 'Params explorer: parallel coordinates and scatter (drag on an axis to filter the table)' }), this.body);
    this.key = null;
  }

  toggled() {
    const open = this.element.open;
    if (open !== (this.state && this.state.get('pe') === '1')) this.change({ pe: open ? '1' : '' });
  }

  /** Shows the panel for the URL `state`; `query` lists the runs to draw (filters, no brushes). */
  async update(state, query, facets) {
    this.state = state;
    this.element.open = state.get('pe') === '1';
    if (!this.element.open) return;
    const key = query.toString();
    if (key !== this.key) {
      this.key = key;
      const listing = new URLSearchParams(query);
      listing.set('offset', '0');
      listing.set('limit', String(MAX_PLOTTED_RUNS));
      const result = await api(`runs?${listing}`).catch((error) => ({ error }));
      if (this.key !== key) return;
      this.runs = result.error ? [] : result.runs;
      this.total = result.error ? 0 : result.total;
      this.error = result.error ? result.error.message : '';
    }
    this.draw(facets);
  }

  /** The chosen axes: `pcd` params (default: defaultAxes) then the `pcm` metric. */
  axes(facets) {
    const params = numericDims(this.runs, facets.params.map((p) => `param:${p}`));
    const metrics = numericDims(this.runs, facets.metrics.map((m) => `metric:${m}`));
    const chosen = this.state.getAll('pcd').map((p) => `param:${p}`);
    const paramAxes = chosen.length ? chosen : defaultAxes(this.runs, params, DEFAULT_AXES);
    const preferred = PREFERRED_METRICS.map((m) => `metric:${m}`).find((m) => metrics.includes(m));
    const metric = this.state.get('pcm') ? `metric:${this.state.get('pcm')}` : preferred || metrics[0];
    return { params, metrics, dims: metric ? [...paramAxes, metric] : paramAxes };
  }

  draw(facets) {
    const { params, metrics, dims } = this.axes(facets);
    const brushes = brushesOf(this.state);
    const scatterX = this.state.get('pcx') ? `param:${this.state.get('pcx')}` : dims.find((d) => d.startsWith('param:'));
    this.renderControls(params, metrics, dims, scatterX);
    this.plot.render(this.runs, dims, brushes, scatterX);
    const shown = this.runs.length < this.total ? `the newest ${this.runs.length.toLocaleString()} of ${this.total.toLocaleString()} runs` : `${this.runs.length.toLocaleString()} runs`;
    this.note.textContent = this.error ? `Cannot load runs: ${this.error}` :
      `${shown} matching the filters above. ${brushes.length ? `Brushed: ${brushes.map((b) => `${dimLabel(b.dim)} in [${b.lo}, ${b.hi}]`).join(', ')}.` : 'Drag along an axis (or a rectangle in the scatter) to filter; click an axis to clear its brush.'}`;
  }

  renderControls(params, metrics, dims, scatterX) {
    const chosenParams = dims.filter((d) => d.startsWith('param:')).map(dimLabel);
    const metric = dims.find((d) => d.startsWith('metric:'));
    const toggle = (path, on) => this.change({ pcd: on ? [...chosenParams, path] : chosenParams.filter((p) => p !== path) });
    replace(this.controls,
      el('details', { class: 'columns' }, el('summary', { text: `Axes (${chosenParams.length} params)` }),
        el('div', { class: 'columns-panel' }, el('fieldset', {}, el('legend', { text: 'Params' }),
          params.map(dimLabel).sort(naturalCompare).map((path) => el('label', { class: 'check' },
            el('input', { type: 'checkbox', checked: chosenParams.includes(path), onchange: (e) => toggle(path, e.target.checked) }), path))))),
      el('label', { class: 'inline' }, 'Metric ',
        el('select', { 'aria-label': 'Params explorer metric', onchange: (e) => this.change({ pcm: e.target.value }) },
          metrics.map((m) => el('option', { value: dimLabel(m), text: dimLabel(m), selected: m === metric })))),
      el('label', { class: 'inline' }, 'Scatter x ',
        el('select', { 'aria-label': 'Scatter x axis', onchange: (e) => this.change({ pcx: e.target.value }) },
          params.map((p) => el('option', { value: dimLabel(p), text: dimLabel(p), selected: p === scatterX })))),
      el('button', { type: 'button', disabled: brushesOf(this.state).length === 0, onclick: () => this.change({ brush: [], page: '' }) }, 'Clear brushes'));
  }

  /** Applies brush updates [{dim, range|null}] to the URL. */
  brush(updates) {
    const dims = new Set(updates.map((u) => u.dim));
    const kept = brushesOf(this.state).filter((b) => !dims.has(b.dim));
    const added = updates.filter((u) => u.range).map((u) => ({ dim: u.dim, ...u.range }));
    this.change({ brush: [...kept, ...added].map(formatBrush), page: '' });
  }
}
