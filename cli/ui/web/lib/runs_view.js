// The runs table: server-side filtering, sorting and paging (stays fast with 10,000 runs),
// chosen param and metric columns, selection for the explorer and compare views.

import { api } from './api.js';
import { debounce, el, replace, statusBadge, verdictBadge } from './dom.js';
import { formatDuration, formatNumber, formatTime, formatValue, getPath, runLabel } from './format.js';
import { navigate, routeHref } from './router.js';

const STATUSES = ['running', 'finished', 'failed', 'killed', 'crashed', 'rejected', 'aborted'];
const PAGE_SIZES = [25, 50, 100, 200];
const DEFAULT_PAGE_SIZE = 50;
const PREFERRED_PARAMS = ['optimizer.name', 'optimizer.lr', 'lr', 'learning_rate', 'batch_size',
                          'epochs'];
const PREFERRED_METRICS = ['loss', 'loss{subset=val}', 'accuracy{subset=val}', 'accuracy'];
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
      select('status', STATUSES, 'Status'),
      select('verdict', ['PASS', 'FAIL'], 'Verdict'),
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
    this.columnsPanel = el('div', { class: 'columns-panel' });
    this.columns = el('details', { class: 'columns' }, el('summary', { text: 'Columns' }), this.columnsPanel);
    this.pageSize = el('select', { 'aria-label': 'Rows per page',
      onchange: () => this.update$({ size: this.pageSize.value, page: '' }) },
      PAGE_SIZES.map((n) => el('option', { value: String(n), text: `${n} per page` })));
    this.table = el('table', { class: 'runs' });
    this.pager = el('div', { class: 'pager' });
    this.root.append(el('div', { class: 'runs-view' },
      this.form, this.chips, this.error,
      el('div', { class: 'toolbar' }, this.summary, this.selection,
         el('span', { class: 'spacer' }), this.columns, this.pageSize),
      el('div', { class: 'table-wrap' }, this.table), this.pager));
    api('experiments').then((names) => {
      const current = this.inputs.experiment.value;
      append$(this.inputs.experiment, names);
      this.inputs.experiment.value = current || (this.state ? this.state.get('experiment') || '' : '');
    }).catch(() => {});
    this.update(route);
  }

  unmount() {
    this.seq++;
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

  async load() {
    const seq = ++this.seq;
    const query = new URLSearchParams();
    for (const key of FILTER_KEYS) if (this.state.get(key)) query.set(key, this.state.get(key));
    for (const key of LIST_KEYS) for (const value of this.state.getAll(key)) query.append(key, value);
    const { key, order } = this.sort();
    query.set('sort', key);
    query.set('order', order);
    query.set('offset', String((this.page() - 1) * this.size()));
    query.set('limit', String(this.size()));
    query.set('facets', '1');
    this.table.classList.add('loading');
    try {
      const result = await api(`runs?${query}`);
      if (seq !== this.seq) return;
      this.error.hidden = true;
      this.facets = result.facets;
      this.render(result);
    } catch (error) {
      if (seq !== this.seq) return;
      this.error.hidden = false;
      this.error.textContent = `Cannot list runs: ${error.message}`;
      replace(this.table);
      this.summary.textContent = '';
    } finally {
      if (seq === this.seq) this.table.classList.remove('loading');
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
    return { params: pick(PREFERRED_PARAMS, this.facets.params, 3),
             metrics: pick(PREFERRED_METRICS, this.facets.metrics, 3) };
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
    this.renderColumnsPanel(columns);
    this.renderTable(runs, columns);
    this.renderSelection();
    this.renderPager(total);
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
    const header = (label, key, numeric = false) => {
      const active = sortKey === key;
      const arrow = active ? (order === 'asc' ? ' ▲' : ' ▼') : '';
      return el('th', { class: numeric ? 'num sortable' : 'sortable', title: `Sort by ${label}`,
                        'aria-sort': active ? (order === 'asc' ? 'ascending' : 'descending') : 'none',
                        onclick: () => this.update$({ sort: key, order: active && order === 'asc' ? 'desc' : 'asc', page: '' }) },
                    label, arrow);
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
        el('td', { class: 'num', text: formatDuration(duration) }),
        columns.params.map((p) => el('td', { class: 'num', text: formatValue(getPath(run.params, p)) })),
        columns.metrics.map((m) => el('td', { class: 'num', text: run.metrics[m] ? formatNumber(run.metrics[m].last) : '—' })),
        el('td', {}, verdictBadge(run.verdict)),
        el('td', { class: 'num', text: run.score === null || run.score === undefined ? '—' : formatNumber(run.score) }),
        el('td', { class: 'tags' }, run.tags.map((tag) => el('button', { type: 'button', class: 'tag', title: `Filter by tag ${tag}`,
          onclick: () => this.addTag(tag), text: tag }))));
    });
    replace(this.table, el('thead', {}, head), el('tbody', {}, rows));
  }

  toggle(run, on) {
    if (on) this.selected.set(run.id, run);
    else this.selected.delete(run.id);
  }

  renderSelection() {
    const ids = [...this.selected.keys()];
    if (ids.length === 0) {
      replace(this.selection, el('span', { class: 'muted', text: 'Select runs to plot or compare them.' }));
      return;
    }
    const metrics = this.chosenColumns().metrics.slice(0, 2);
    replace(this.selection, `${ids.length} selected `,
      el('a', { class: 'button', href: routeHref('/explore', { run: ids, metric: metrics }) }, 'Plot metrics'),
      ids.length >= 2 ? el('a', { class: 'button', href: routeHref('/compare', { run: ids }) }, 'Compare') : null,
      el('button', { type: 'button', onclick: () => { this.selected.clear(); this.load(); } }, 'Clear'));
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
