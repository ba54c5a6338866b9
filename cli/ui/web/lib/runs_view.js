// The runs table: server-side filtering, sorting and paging (stays fast with 10,000 runs),
// chosen param and metric columns, selection for the explorer, compare and bulk tagging, CSV
// export, live refresh while a run on the page is running.

import { api, meta, runPath } from './api.js';
import { debounce, downloadText, el, replace, scoreBar, statusBadge, verdictBadge } from './dom.js';
import { formatDuration, formatNumber, formatTime, formatValue, getPath, runLabel, toCsv } from './format.js';
import { PREFERRED_METRICS, PREFERRED_PARAMS } from './defaults.js';
import { Poller } from './live.js';
import { ParamsExplorer, brushesOf } from './params_explorer.js';
import { brushConditions } from './params_plot.js';
import { navigate, routeHref } from './router.js';

const PAGE_SIZES = [25, 50, 100, 200];
const DEFAULT_PAGE_SIZE = 50;
/** Param and metric columns shown until the user picks columns (fits 1,400 px with governance). */
const DEFAULT_PARAM_COLUMNS = 2;
const DEFAULT_METRIC_COLUMNS = 2;
const FILTER_KEYS = ['name', 'experiment', 'status', 'verdict', 'since', 'until'];
const LIST_KEYS = ['tag', 'param', 'metric'];

/** Splits "a < 1; b > 2" into expressions. */
function splitConditions(text) {
  return text.split(';').map((s) => s.trim()).filter(Boolean);
}

export class RunsView {
  constructor(root) {
    this.root = root;
    this.seq = 0;
    this.selected = new Map();  // id -> run, kept across pages
    this.facets = { params: [], metrics: [], tags: [] };
    this.state = null;
    this.poller = new Poller(() => this.load({ quiet: true }));
  }

  mount(route) {
    this.inputs = {};
    const input = (key, props) => (this.inputs[key] = el('input', props));
    const select = (key, options, label) => (this.inputs[key] = el('select', {
      'aria-label': label, onchange: () => this.setFilter(key, this.inputs[key].value) },
      el('option', { value: '', text: `${label}: any` }),
      options.map((o) => el('option', { value: o, text: o }))));

    const typed = debounce(() => this.setFilter('name', this.inputs.name.value), 300);
    this.tagList = el('datalist', { id: 'tag-options' });
    this.form = el('form', { class: 'filters', onsubmit: (e) => e.preventDefault() },
      input('name', { type: 'search', placeholder: 'Search name', 'aria-label': 'Search name',
                      oninput: typed }),
      select('experiment', [], 'Experiment'),
      select('status', [], 'Status'),
      select('verdict', [], 'Verdict'),
      input('tag', { type: 'text', placeholder: 'Add tag filter', list: 'tag-options',
                     'aria-label': 'Tag filter',
                     onkeydown: (e) => { if (e.key === 'Enter') this.addTag(this.inputs.tag.value); },
                     onchange: () => this.addTag(this.inputs.tag.value) }),
      this.tagList,
      el('label', { class: 'inline' }, 'From ',
         input('since', { type: 'date', onchange: () => this.setFilter('since', this.inputs.since.value) })),
      el('label', { class: 'inline' }, 'to ',
         input('until', { type: 'date', onchange: () => this.setFilter('until', this.inputs.until.value) })),
      input('param', { type: 'text', class: 'wide', placeholder: 'Params: optimizer.lr < 0.01; batch_size >= 64',
                       'aria-label': 'Param conditions',
                       onchange: () => this.setList('param', splitConditions(this.inputs.param.value)) }),
      input('metric', { type: 'text', class: 'wide', placeholder: 'Metrics: loss < 0.5; accuracy{subset=val} > 0.9',
                        'aria-label': 'Metric conditions',
                        onchange: () => this.setList('metric', splitConditions(this.inputs.metric.value)) }),
      el('button', { type: 'button', onclick: () => navigate('/runs', this.columnParams()) }, 'Clear filters'));
    this.chips = el('div', { class: 'chips' });
    this.error = el('div', { class: 'error', hidden: true });
    this.summary = el('span', { class: 'summary' });
    this.selection = el('span', { class: 'selection' });
    this.bulkError = el('div', { class: 'error', hidden: true });
    this.empty = el('div', { class: 'card empty-store', hidden: true });
    this.explorer = new ParamsExplorer((changes) => this.update$(changes));
    this.columnsPanel = el('div', { class: 'columns-panel' });
    this.columns = el('details', { class: 'columns' }, el('summary', { text: 'Columns' }), this.columnsPanel);
    this.pageSize = el('select', { 'aria-label': 'Rows per page',
      onchange: () => this.update$({ size: this.pageSize.value, page: '' }) },
      PAGE_SIZES.map((n) => el('option', { value: String(n), text: `${n} per page` })));
    this.table = el('table', { class: 'runs' });
    this.pager = el('div', { class: 'pager' });
    this.root.append(el('div', { class: 'runs-view' },
      this.form, this.chips, this.error, this.explorer.element,
      el('div', { class: 'toolbar' }, this.summary, this.selection,
         el('span', { class: 'spacer' }),
         el('button', { type: 'button', title: 'Download every run that matches the filters, with the shown columns',
                        onclick: () => this.exportCsv() }, 'Export CSV'),
         this.columns, this.pageSize),
      this.bulkError, this.empty,
      el('div', { class: 'table-wrap runs-wrap' }, this.table), this.pager));
    this.fillChoices('experiment', api('experiments'));
    this.fillChoices('status', meta().then((m) => m.statuses));
    this.fillChoices('verdict', meta().then((m) => m.verdicts));
    this.update(route);
  }

  /** Adds the names `promise` resolves to as options of a filter select (keeps its value). */
  fillChoices(key, promise) {
    promise.then((names) => {
      append$(this.inputs[key], names);
      this.inputs[key].value = this.state ? this.state.get(key) || '' : '';
    }).catch(() => {});
  }

  unmount() {
    this.seq++;
    this.poller.stop();
  }

  // --- URL state -----------------------------------------------------------------------------

  /** Navigates to the current params with `changes` applied ('' or [] removes a key). */
  update$(changes, { push = false } = {}) {
    const params = new URLSearchParams(this.state);
    for (const [key, value] of Object.entries(changes)) {
      params.delete(key);
      for (const item of [value].flat()) if (item !== '' && item !== null) params.append(key, item);
    }
    navigate('/runs', params, { push });
  }

  setFilter(key, value) {
    this.update$({ [key]: value, page: '' });
  }

  setList(key, values) {
    this.update$({ [key]: values, page: '' });
  }

  addTag(text) {
    const tag = text.trim();
    this.inputs.tag.value = '';
    if (!tag || this.state.getAll('tag').includes(tag)) return;
    this.setList('tag', [...this.state.getAll('tag'), tag]);
  }

  columnParams() {
    const params = new URLSearchParams();
    for (const key of ['cols', 'pcol', 'mcol', 'size']) {
      for (const value of this.state.getAll(key)) params.append(key, value);
    }
    return params;
  }

  update(route) {
    this.state = route.params;
    this.syncInputs();
    this.load();
  }

  syncInputs() {
    const s = this.state;
    for (const key of FILTER_KEYS) {
      const input = this.inputs[key];
      if (document.activeElement !== input) input.value = s.get(key) || '';
    }
    for (const key of ['param', 'metric']) {
      if (document.activeElement !== this.inputs[key]) this.inputs[key].value = s.getAll(key).join('; ');
    }
    this.pageSize.value = String(this.size());
    replace(this.chips, s.getAll('tag').map((tag) => el('span', { class: 'chip' }, 'tag: ', tag,
      el('button', { type: 'button', class: 'chip-x', title: `Remove tag filter ${tag}`,
                     onclick: () => this.setList('tag', s.getAll('tag').filter((t) => t !== tag)) }, '×'))));
  }

  size() {
    const size = Number(this.state.get('size'));
    return PAGE_SIZES.includes(size) ? size : DEFAULT_PAGE_SIZE;
  }

  page() {
    const page = Number(this.state.get('page'));
    return Number.isInteger(page) && page > 0 ? page : 1;
  }

  sort() {
    return { key: this.state.get('sort') || 'created_at', order: this.state.get('order') || (this.state.get('sort') ? 'asc' : 'desc') };
  }

  // --- data ----------------------------------------------------------------------------------

  /**
   * The filters and sort of the URL as /api/runs parameters; with `brushes`, the params
   * explorer's brushes as param/metric conditions too.
   */
  query({ brushes = true } = {}) {
    const query = new URLSearchParams();
    for (const key of FILTER_KEYS) if (this.state.get(key)) query.set(key, this.state.get(key));
    for (const key of LIST_KEYS) for (const value of this.state.getAll(key)) query.append(key, value);
    if (brushes) {
      const conditions = brushConditions(brushesOf(this.state));
      for (const kind of ['param', 'metric']) for (const c of conditions[kind]) query.append(kind, c);
    }
    const { key, order } = this.sort();
    query.set('sort', key);
    query.set('order', order);
    return query;
  }

  /** Lists the page; `quiet` (live refresh) keeps the table as it is until the answer comes. */
  async load({ quiet = false } = {}) {
    const seq = ++this.seq;
    this.poller.stop();
    const query = this.query();
    query.set('offset', String((this.page() - 1) * this.size()));
    query.set('limit', String(this.size()));
    query.set('facets', '1');
    if (!quiet) this.table.classList.add('loading');
    try {
      const result = await api(`runs?${query}`);
      if (seq !== this.seq) return;
      this.error.hidden = true;
      this.facets = result.facets;
      this.render(result);
      if (!quiet) this.explorer.update(this.state, this.query({ brushes: false }), this.facets);
      // Running runs refresh; so does an empty listing, where the first run will appear.
      this.poller.schedule(result.total === 0 || result.runs.some((run) => run.status === 'running'));
    } catch (error) {
      if (seq !== this.seq) return;
      this.error.hidden = false;
      this.error.textContent = `Cannot list runs: ${error.message}`;
      if (!quiet) replace(this.table);
      this.summary.textContent = '';
      this.poller.schedule(quiet);  // a live refresh that failed tries again
    } finally {
      if (seq === this.seq) this.table.classList.remove('loading');
    }
  }

  /** The columns of the table and of the CSV export: [header, value of a run]. */
  exportColumns() {
    const columns = this.chosenColumns();
    return [
      ['id', (r) => r.id], ['name', (r) => r.name], ['experiment', (r) => r.experiment],
      ['status', (r) => r.status], ['created_at', (r) => r.created_at], ['duration_s', (r) => r.duration],
      ...columns.params.map((p) => [p, (r) => getPath(r.params, p)]),
      ...columns.metrics.map((m) => [m, (r) => (r.metrics[m] && r.metrics[m].count > 0 ? r.metrics[m].last : null)]),
      ['verdict', (r) => r.verdict], ['score', (r) => r.score], ['tags', (r) => r.tags.join(' ')],
    ];
  }

  /** Downloads every run matching the filters (all pages) with the shown columns as CSV. */
  async exportCsv() {
    const query = this.query();
    query.set('offset', '0');
    query.set('limit', '0');
    try {
      const { runs } = await api(`runs?${query}`);
      const columns = this.exportColumns();
      const rows = [columns.map(([name]) => name), ...runs.map((run) => columns.map(([, value]) => value(run)))];
      downloadText('vigil-runs.csv', toCsv(rows), 'text/csv');
    } catch (error) {
      this.error.hidden = false;
      this.error.textContent = `Cannot export runs: ${error.message}`;
    }
  }

  chosenColumns() {
    if (this.state.get('cols') === 'custom') {
      return { params: this.state.getAll('pcol'), metrics: this.state.getAll('mcol') };
    }
    const pick = (preferred, available, count) => {
      const chosen = preferred.filter((p) => available.includes(p));
      for (const a of available) if (chosen.length < count && !chosen.includes(a)) chosen.push(a);
      return chosen.slice(0, count);
    };
    return { params: pick(PREFERRED_PARAMS, this.facets.params, DEFAULT_PARAM_COLUMNS),
             metrics: pick(PREFERRED_METRICS, this.facets.metrics, DEFAULT_METRIC_COLUMNS) };
  }

  setColumns(params, metrics) {
    this.update$({ cols: 'custom', pcol: params, mcol: metrics });
  }

  // --- rendering -----------------------------------------------------------------------------

  render(result) {
    const { runs, total } = result;
    const columns = this.chosenColumns();
    const first = total === 0 ? 0 : result.offset + 1;
    this.summary.textContent = total === 0 ? 'No runs match.' :
      `Runs ${first.toLocaleString()}–${(result.offset + runs.length).toLocaleString()} of ${total.toLocaleString()}`;
    replace(this.tagList, this.facets.tags.map((t) => el('option', { value: t })));
    this.renderEmptyStore(total === 0 && [...FILTER_KEYS, ...LIST_KEYS, 'brush'].every((key) => !this.state.has(key)));
    this.renderColumnsPanel(columns);
    this.renderTable(runs, columns);
    this.renderSelection();
    this.renderPager(total);
  }

  /** An empty store: where it is and the one command that records a first run. */
  renderEmptyStore(show) {
    this.empty.hidden = !show;
    if (!show || this.empty.childElementCount) return;
    meta().then((m) => replace(this.empty,
      el('h3', { text: 'No runs yet' }),
      el('p', {}, 'This dashboard shows the store ', el('code', { class: 'store-path', text: m.store }), '. Record a first run into it with:'),
      el('pre', {}, el('code', { class: 'command', text: `vigil-mnist --store ${m.store} --epochs 1` })),
      el('p', { class: 'muted', text: 'or track your own LibTorch loop with vigil::plugin::Session (README, "Track a LibTorch loop"). New runs appear here by themselves.' })))
      .catch(() => {});
  }

  renderColumnsPanel(columns) {
    if (this.columns.open) return;  // do not rebuild under the user's pointer
    const group = (title, names, chosen, onToggle) => el('fieldset', {},
      el('legend', { text: title }),
      names.length === 0 ? el('p', { class: 'muted', text: 'none' }) : null,
      names.map((name) => el('label', { class: 'check' },
        el('input', { type: 'checkbox', checked: chosen.includes(name),
                      onchange: (e) => onToggle(name, e.target.checked) }), name)));
    const toggle = (list, name, on) => (on ? [...list, name] : list.filter((n) => n !== name));
    // The panel stays open across several clicks: read the current columns at click time.
    replace(this.columnsPanel,
      group('Params', this.facets.params, columns.params, (name, on) => {
        const now = this.chosenColumns();
        this.setColumns(toggle(now.params, name, on), now.metrics);
      }),
      group('Metrics (last value)', this.facets.metrics, columns.metrics, (name, on) => {
        const now = this.chosenColumns();
        this.setColumns(now.params, toggle(now.metrics, name, on));
      }));
  }

  renderTable(runs, columns) {
    const { key: sortKey, order } = this.sort();
    // A button in each header: reachable with Tab, sorts with Enter or Space.
    const header = (label, key, numeric = false) => {
      const active = sortKey === key;
      const arrow = active ? (order === 'asc' ? ' ▲' : ' ▼') : '';
      return el('th', { class: numeric ? 'num sortable' : 'sortable',
                        'aria-sort': active ? (order === 'asc' ? 'ascending' : 'descending') : 'none' },
                el('button', { type: 'button', class: 'sort', title: `Sort by ${label}`, dataset: { sort: key },
                               onclick: () => this.update$({ sort: key, order: active && order === 'asc' ? 'desc' : 'asc', page: '' }) },
                   label, arrow));
    };
    const pageIds = runs.map((r) => r.id);
    const allSelected = pageIds.length > 0 && pageIds.every((id) => this.selected.has(id));
    const head = el('tr', {},
      el('th', { class: 'select' }, el('input', { type: 'checkbox', 'aria-label': 'Select page', checked: allSelected,
        onchange: (e) => { for (const run of runs) this.toggle(run, e.target.checked); this.renderTable(runs, columns); this.renderSelection(); } })),
      header('Name', 'name'), header('Experiment', 'experiment'), header('Status', 'status'),
      header('Created', 'created_at'), header('Duration', 'duration', true),
      columns.params.map((p) => header(p, `param:${p}`, true)),
      columns.metrics.map((m) => header(m, `metric:${m}`, true)),
      header('Verdict', 'verdict'), header('Score', 'score', true), header('Tags', 'tags'));
    const now = Date.now() / 1000;
    const rows = runs.map((run) => {
      const duration = run.duration !== null && run.duration !== undefined ? run.duration :
        (run.status === 'running' ? now - Date.parse(run.started_at) / 1000 : null);
      return el('tr', { class: this.selected.has(run.id) ? 'selected' : '', dataset: { runId: run.id } },
        el('td', { class: 'select' }, el('input', { type: 'checkbox', 'aria-label': 'Select run', checked: this.selected.has(run.id),
          onchange: (e) => { this.toggle(run, e.target.checked); e.target.closest('tr').classList.toggle('selected', e.target.checked); this.renderSelection(); } })),
        el('td', { class: 'name' }, el('a', { href: `#/run/${run.id}`, title: run.id, text: runLabel(run) })),
        el('td', { text: run.experiment }),
        el('td', { title: run.error || null }, statusBadge(run.status)),
        el('td', { text: formatTime(run.created_at) }),
        el('td', { class: 'num duration', text: formatDuration(duration) }),
        columns.params.map((p) => {
          const text = formatValue(getPath(run.params, p));
          return el('td', { class: 'num clip', title: text, text });
        }),
        columns.metrics.map((m) => el('td', { class: 'num', dataset: { metric: m },
          text: run.metrics[m] && run.metrics[m].count > 0 ? formatNumber(run.metrics[m].last) : '—' })),
        el('td', {}, verdictBadge(run.verdict)),
        el('td', { class: 'num score' }, scoreBar(run.score)),
        el('td', { class: 'tags' }, run.tags.map((tag) => el('button', { type: 'button', class: 'tag', title: `Filter by tag ${tag}`,
          onclick: () => this.addTag(tag), text: tag }))));
    });
    // Keep keyboard focus on the same sort header across re-renders (live refresh, sorting).
    const focused = this.table.contains(document.activeElement) ? document.activeElement.dataset.sort : undefined;
    replace(this.table, el('thead', {}, head), el('tbody', {}, rows));
    if (focused) {
      const again = [...this.table.querySelectorAll('button.sort')].find((b) => b.dataset.sort === focused);
      if (again) again.focus();
    }
  }

  toggle(run, on) {
    if (on) this.selected.set(run.id, run);
    else this.selected.delete(run.id);
  }

  renderSelection() {
    const ids = [...this.selected.keys()];
    if (ids.length === 0) {
      this.selectionKey = null;
      replace(this.selection, el('span', { class: 'muted', text: 'Select runs to plot or compare them.' }));
      return;
    }
    const metrics = this.chosenColumns().metrics.slice(0, 2);
    // A live refresh must not wipe a tag being typed: rebuild only when the selection changed.
    const key = JSON.stringify([ids, metrics]);
    if (key === this.selectionKey) return;
    this.selectionKey = key;
    const tag = el('input', { type: 'text', class: 'bulk-tag', placeholder: 'tag', 'aria-label': 'Tag for selected runs',
                              list: 'tag-options' });
    replace(this.selection, `${ids.length} selected `,
      el('a', { class: 'button', href: routeHref('/explore', { run: ids, metric: metrics }) }, 'Plot metrics'),
      ids.length >= 2 ? el('a', { class: 'button', href: routeHref('/compare', { run: ids }) }, 'Compare') : null,
      tag,
      el('button', { type: 'button', onclick: () => this.bulkTag(ids, tag.value, 'add') }, 'Tag'),
      el('button', { type: 'button', onclick: () => this.bulkTag(ids, tag.value, 'remove') }, 'Untag'),
      el('button', { type: 'button', onclick: () => { this.selected.clear(); this.load(); } }, 'Clear'));
  }

  /** Adds (`change` 'add') or removes a tag on every selected run, then reloads the page. */
  async bulkTag(ids, text, change) {
    const tag = text.trim();
    if (!tag) return;
    const results = await Promise.allSettled(ids.map((id) =>
      api(runPath(id, '/tags'), { method: 'POST', body: { [change]: [tag] } })));
    const failed = results.filter((r) => r.status === 'rejected');
    this.bulkError.hidden = failed.length === 0;
    this.bulkError.textContent = failed.length ?
      `Cannot ${change === 'add' ? 'tag' : 'untag'} ${failed.length} of ${ids.length} runs: ${failed[0].reason.message}` : '';
    this.load();
  }

  renderPager(total) {
    const pages = Math.max(1, Math.ceil(total / this.size()));
    const page = Math.min(this.page(), pages);
    const go = (p) => this.update$({ page: p === 1 ? '' : String(p) }, { push: true });
    replace(this.pager,
      el('button', { type: 'button', disabled: page <= 1, onclick: () => go(1) }, '«'),
      el('button', { type: 'button', disabled: page <= 1, onclick: () => go(page - 1) }, '‹ Prev'),
      el('span', { text: `Page ${page} of ${pages}` }),
      el('button', { type: 'button', disabled: page >= pages, onclick: () => go(page + 1) }, 'Next ›'),
      el('button', { type: 'button', disabled: page >= pages, onclick: () => go(pages) }, '»'));
  }
}

function append$(select, names) {
  const existing = new Set([...select.options].map((o) => o.value));
  for (const name of names) if (!existing.has(name)) select.append(el('option', { value: name, text: name }));
}
