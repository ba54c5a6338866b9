// One run: status, progress while running, and error, params as a tree (collapsed beyond two
// levels, searchable, keys in natural order), results, tags (add/remove), the latest validation
// report, and every metric as a small chart, grouped by metric family.

import { ApiError, api, meta, runPath } from './api.js';
import { el, replace, scoreBar, statusBadge, verdictBadge } from './dom.js';
import { flatten, foldText, formatDuration, formatTime, formatValue, naturalCompare, runLabel } from './format.js';
import { LineChart, fetchPoints } from './charts.js';
import { buildLines, runColor } from './series.js';
import { routeHref } from './router.js';
import { Poller } from './live.js';
import { groupByRank, groupTitle, rankTable } from './ranks.js';

const SMALL_CHART_POINTS = 500;
const SEVERITY_ORDER = ['error', 'warning', 'info'];

/** Levels of a params tree shown open; deeper ones start folded. */
const OPEN_LEVELS = 2;

/**
 * A nested JSON value as collapsible lists, keys in natural order (layer_2 before layer_10),
 * levels from OPEN_LEVELS on folded; every key and value rendered as text.
 */
export function jsonTree(value, depth = 0) {
  if (value === null || typeof value !== 'object') {
    // Long or multi-line leaves (model.structure) fold to their first line; click expands.
    const { text, preview } = foldText(formatValue(value));
    if (!preview) return el('span', { class: `value ${typeof value}`, text });
    return el('details', { class: 'folded-value' }, el('summary', { class: `value ${typeof value}`, text: preview }),
              el('pre', { class: 'folded', text }));
  }
  const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v]) :
    Object.entries(value).sort(([a], [b]) => naturalCompare(a, b));
  if (entries.length === 0) return el('span', { class: 'muted', text: Array.isArray(value) ? '[]' : '{}' });
  return el('ul', { class: 'tree' }, entries.map(([key, child]) => {
    const nested = child !== null && typeof child === 'object' && Object.keys(child).length > 0;
    if (!nested) return el('li', {}, el('span', { class: 'key', text: key }), ': ', jsonTree(child, depth + 1));
    return el('li', {}, el('details', { open: depth + 1 < OPEN_LEVELS },
      el('summary', {}, el('span', { class: 'key', text: key })), jsonTree(child, depth + 1)));
  }));
}

/** Leaves of `value` whose path or value contains `text` (any case), as "path: value" lines. */
export function searchTree(value, text) {
  const needle = text.toLowerCase();
  const hits = [...flatten(value)].filter(([path, leaf]) =>
    path.toLowerCase().includes(needle) || formatValue(leaf).toLowerCase().includes(needle));
  hits.sort(([a], [b]) => naturalCompare(a, b));
  if (hits.length === 0) return el('p', { class: 'muted', text: `No param matches "${text}".` });
  return el('ul', { class: 'tree matches' }, hits.map(([path, leaf]) =>
    el('li', {}, el('span', { class: 'key', text: path }), ': ', jsonTree(leaf, OPEN_LEVELS))));
}

/** Metric family of a series name: the part before the first '/', else the name itself. */
export function metricFamily(name) {
  const slash = name.indexOf('/');
  return slash > 0 ? name.slice(0, slash) : name;
}

/** "team-policy 2026.12" (the version when the policy file had one). */
function policyText(validation) {
  const policy = validation.policy || { name: validation.rules_name, version: '' };
  return policy.version ? `${policy.name} ${policy.version}` : policy.name;
}

/** "1 counted, 1 waived" from a validation's outcome counts; "no violations" when all are 0. */
export function outcomeText(outcomes) {
  const parts = Object.entries(outcomes || {}).filter(([, n]) => n > 0).map(([name, n]) => `${n} ${name}`);
  return parts.length ? parts.join(', ') : 'no violations';
}

/** The policy's text as it was when it judged the run, fetched when opened. */
function policyDetails(policy) {
  const text = el('pre', { class: 'policy-text', text: 'Loading…' });
  const details = el('details', { class: 'policy-details' },
    el('summary', { text: `Policy ${policy.name} ${policy.version} (hash ${policy.hash})` }), text);
  details.addEventListener('toggle', () => {
    if (!details.open || details.dataset.loaded) return;
    details.dataset.loaded = '1';
    api(`policies/${encodeURIComponent(policy.hash)}`)
      .then((stored) => { text.textContent = stored.text; })
      .catch((error) => { text.textContent = `Cannot load the policy: ${error.message}`; });
  });
  return details;
}

/** One violation: rule, path, message, values; a waived one says by whom and why, an audit one says so. */
function violationItem(v) {
  const outcome = v && typeof v.outcome === 'string' ? v.outcome : 'counted';
  const waiver = v && v.waiver;
  return el('li', { class: `outcome-${outcome}`, dataset: { outcome, rule: String(v.rule_id ?? '') } },
    el('code', { text: String(v.rule_id ?? v.id ?? '?') }), ' ',
    v.path ? el('span', { class: 'muted', text: `${v.path}: ` }) : null,
    String(v.message ?? JSON.stringify(v)),
    v.expected !== undefined ? el('span', { class: 'muted', text: ` (actual ${formatValue(v.actual)}, expected ${v.expected})` }) : null,
    waiver ? el('span', { class: 'note', text: ` — waived: ${waiver.reason} (${waiver.owner}${waiver.until ? `, until ${formatTime(waiver.until)}` : ''})` }) : null,
    outcome === 'audited' ? el('span', { class: 'note', text: ' — audit only' }) : null);
}

export class RunView {
  constructor(root) {
    this.root = root;
    this.seq = 0;
    this.charts = [];
    this.timer = null;
  }

  mount(route) {
    this.id = route.parts[1] || '';
    this.header = el('div', { class: 'run-header' });
    this.tags = el('div', { class: 'run-tags' });
    this.tagError = el('div', { class: 'error', hidden: true });
    this.meta = el('dl', { class: 'meta' });
    this.params = el('div', { class: 'params' });
    this.results = el('div', { class: 'results' });
    this.validation = el('div', { class: 'validation' });
    this.history = el('section', { class: 'card validation-history', hidden: true });
    this.metrics = el('div', { class: 'metric-families' });
    this.ranks = el('section', { class: 'card', hidden: true });
    this.progress = el('div', { class: 'run-progress', hidden: true });
    this.paramSearch = el('input', { type: 'search', placeholder: 'Search params', 'aria-label': 'Search params',
                                     oninput: () => this.renderParams() });
    this.view = el('div', { class: 'run-view' },
      this.header, this.progress,
      el('section', { class: 'card' }, el('h3', { text: 'Tags' }), this.tags, this.tagError),
      el('div', { class: 'two-columns' },
        el('section', { class: 'card' }, el('h3', { text: 'Run' }), this.meta),
        el('section', { class: 'card' }, el('h3', { text: 'Latest validation' }), this.validation)),
      this.history,
      this.ranks,
      el('div', { class: 'two-columns' },
        el('section', { class: 'card' }, el('div', { class: 'card-head' }, el('h3', { text: 'Params' }), this.paramSearch), this.params),
        el('section', { class: 'card' }, el('h3', { text: 'Results' }), this.results)),
      el('section', { class: 'card' }, el('h3', { text: 'Metrics' }), this.metrics));
    this.root.append(this.view);
    this.poller = new Poller(() => this.load());
    this.load();
  }

  update(route) {
    return (route.parts[1] || '') === this.id ? undefined : false;  // another run: remount
  }

  unmount() {
    this.seq++;
    this.poller.stop();
    for (const chart of this.charts) chart.destroy();
  }

  async load() {
    const seq = ++this.seq;
    let run;
    try {
      // Verdict tags come from the server (one list, tracker::kVerdictTags): no remove button.
      const [loaded, constants] = await Promise.all([api(runPath(this.id)), meta()]);
      run = loaded;
      this.verdictTags = new Set(constants.verdict_tags);
    } catch (error) {
      if (seq !== this.seq) return;
      // One clear message instead of empty cards (an unknown id, or the server unreachable).
      const message = error instanceof ApiError && error.status === 404 ?
        `No run with id "${this.id}" in this store. ${error.message}` : `Cannot load run ${this.id}: ${error.message}`;
      replace(this.view, el('h2', { text: 'Run not found' }), el('p', { class: 'error run-missing', text: message }),
              el('p', {}, el('a', { href: '#/runs', text: 'Back to the runs table' })));
      return;
    }
    if (seq !== this.seq) return;
    this.run = run;
    this.renderHeader(run);
    this.renderMeta(run);
    // Live refreshes must not reset what the user is doing (typing a tag, folding params).
    const shown = JSON.stringify([run.tags, run.params, run.results]);
    if (shown !== this.shown) {
      this.shown = shown;
      this.renderTags(run);
      this.renderParams();
      replace(this.results, jsonTree(run.results));
    }
    const [validations, series, ranks] = await Promise.all([
      api(runPath(run.id, '/validations')).catch((e) => e),
      api(runPath(run.id, '/series')).catch((e) => e),
      api(runPath(run.id, '/ranks')).catch(() => []),
    ]);
    if (seq !== this.seq) return;
    this.renderValidation(validations);
    this.renderRanks(ranks);
    await this.renderMetrics(run, series, seq);
    if (seq === this.seq) this.poller.schedule(run.status === 'running');
  }

  renderParams() {
    const text = this.paramSearch.value.trim();
    replace(this.params, text ? searchTree(this.run.params, text) : jsonTree(this.run.params));
  }

  /** While running: epoch of the epochs param, last step, time since the last point. */
  renderProgress(run, series, points) {
    this.progress.hidden = run.status !== 'running';
    if (this.progress.hidden) return;
    const steps = series.map((s) => s.last_step).filter((s) => s !== null && s !== undefined);
    const epochs = points.filter(Boolean).map((p) => p.epoch[p.epoch.length - 1]).filter((e) => typeof e === 'number');
    const planned = typeof run.params.epochs === 'number' ? run.params.epochs : null;
    const epoch = epochs.length ? Math.max(...epochs) + 1 : null;
    const times = series.filter((s) => s.count > 0).map((s) => Date.parse(s.last_time) / 1000);
    const since = times.length ? Date.now() / 1000 - Math.max(...times) : null;
    const parts = [
      epoch !== null ? `epoch ${epoch}${planned ? ` of ${planned}` : ''}` : null,
      steps.length ? `step ${Math.max(...steps)}` : 'no points yet',
      since !== null ? `last point ${formatDuration(Math.max(0, since))} ago` : null,
      `running for ${formatDuration(Date.now() / 1000 - Date.parse(run.started_at) / 1000)}`,
    ].filter(Boolean);
    replace(this.progress, el('strong', { text: 'Progress: ' }), parts.join(' · '),
      planned && epoch !== null ? el('progress', { max: String(planned), value: String(Math.min(epoch, planned)) }) : null);
  }

  renderHeader(run) {
    const metrics = Object.keys(run.metrics).slice(0, 4);
    replace(this.header,
      el('h2', {}, el('span', { class: 'run-name', text: runLabel(run) }), ' ', statusBadge(run.status), ' ', verdictBadge(run.verdict)),
      run.error ? el('p', { class: 'error run-error' }, el('strong', { text: `${run.status}: ` }), run.error) : null,
      el('p', { class: 'actions' },
        el('a', { class: 'button', href: routeHref('/explore', { run: run.id, metric: metrics }) }, 'Open in metrics explorer'),
        el('a', { class: 'button', href: routeHref('/runs', { experiment: run.experiment }) }, `Runs of ${run.experiment}`)));
  }

  renderMeta(run) {
    const row = (term, value) => [el('dt', { text: term }), el('dd', {}, value)];
    replace(this.meta,
      row('Id', el('code', { text: run.id })),
      row('Experiment', run.experiment),
      row('Created', formatTime(run.created_at)),
      row('Started', formatTime(run.started_at)),
      row('Finished', formatTime(run.finished_at)),
      row('Duration', formatDuration(run.duration)),
      row('Last heartbeat', formatTime(run.heartbeat_at)),
      row('Host', `${run.host} (pid ${run.pid})`),
      row('Command', el('code', { class: 'command', text: run.command || '—' })));
  }

  renderTags(run) {
    const input = el('input', { type: 'text', placeholder: 'New tag', 'aria-label': 'New tag' });
    const add = () => {
      const tag = input.value.trim();
      if (tag) this.changeTags({ add: [tag] });
    };
    input.addEventListener('keydown', (e) => { if (e.key === 'Enter') add(); });
    replace(this.tags,
      run.tags.length === 0 ? el('span', { class: 'muted', text: 'No tags. ' }) : null,
      run.tags.map((tag) => el('span', { class: 'chip' }, el('a', { href: routeHref('/runs', { tag }), text: tag }),
        this.verdictTags.has(tag) ? null : el('button', { type: 'button', class: 'chip-x', title: `Remove tag ${tag}`,
          onclick: () => this.changeTags({ remove: [tag] }) }, '×'))),
      el('span', { class: 'tag-add' }, input, el('button', { type: 'button', onclick: add }, 'Add tag')));
  }

  async changeTags(change) {
    try {
      const run = await api(runPath(this.run.id, '/tags'), { method: 'POST', body: change });
      this.tagError.hidden = true;
      this.run = run;
      this.shown = null;
      this.renderTags(run);
    } catch (error) {
      this.tagError.hidden = false;
      this.tagError.textContent = `Cannot change tags: ${error.message}`;
    }
  }

  renderRanks(ranks) {
    const table = rankTable(ranks);
    this.ranks.hidden = table === null;
    if (table) replace(this.ranks, el('h3', { text: `Ranks (${ranks.length})` }), table);
  }

  renderValidation(validations) {
    if (validations instanceof Error) {
      replace(this.validation, el('p', { class: 'error', text: validations.message }));
      return;
    }
    if (validations.length === 0) {
      replace(this.validation, el('p', { class: 'muted', text: 'Never validated (vigil validate RUN).' }));
      this.history.hidden = true;
      return;
    }
    const latest = validations[validations.length - 1];
    const violations = Array.isArray(latest.violations) ? latest.violations : [];
    const bySeverity = new Map();
    for (const v of violations) {
      const severity = v && typeof v.severity === 'string' ? v.severity : 'unknown';
      if (!bySeverity.has(severity)) bySeverity.set(severity, []);
      bySeverity.get(severity).push(v);
    }
    const order = [...SEVERITY_ORDER.filter((s) => bySeverity.has(s)),
                   ...[...bySeverity.keys()].filter((s) => !SEVERITY_ORDER.includes(s))];
    replace(this.validation,
      el('p', { class: 'verdict-line' }, verdictBadge(latest.verdict), ' ', scoreBar(latest.score),
         ` · ${policyText(latest)} · phase ${latest.phase} · ${formatTime(latest.created_at)}`),
      violations.length === 0 ? el('p', { class: 'muted', text: 'No violations.' }) : null,
      order.map((severity) => el('div', { class: `severity severity-${severity}` },
        el('h4', { text: `${severity} (${bySeverity.get(severity).length})` }),
        el('ul', { class: 'violations' }, bySeverity.get(severity).map(violationItem)))),
      validations.length > 1 ? el('p', { class: 'muted', text: `${validations.length - 1} earlier validation(s) below.` }) : null);
    this.renderHistory(validations);
  }

  /** Every validation of the run, newest first: verdict, score, policy version, violations. */
  renderHistory(validations) {
    this.history.hidden = false;
    const items = [...validations].reverse().map((v, i) => {
      const list = Array.isArray(v.violations) ? v.violations : [];
      return el('li', { dataset: { validationId: String(v.id), verdict: v.verdict } },
        el('div', { class: 'verdict-line' }, verdictBadge(v.verdict), ' ', scoreBar(v.score), ' ',
           el('span', { class: 'policy', title: `policy hash ${v.policy ? v.policy.hash : v.rules_hash}`, text: policyText(v) }),
           el('span', { class: 'muted', text: ` · phase ${v.phase} · ${formatTime(v.created_at)} · ${outcomeText(v.outcomes)}` })),
        list.length === 0 ? null : el('details', { open: i === 0 },
          el('summary', { text: `${list.length} violation(s)` }),
          el('ul', { class: 'violations' }, list.map(violationItem))),
        v.policy && v.policy.stored ? policyDetails(v.policy) : null);
    });
    replace(this.history, el('h3', { text: `Validation history (${validations.length})` }),
            el('ol', { class: 'validation-history' }, items));
  }

  async renderMetrics(run, series, seq) {
    if (series instanceof Error) {
      replace(this.metrics, el('p', { class: 'error', text: series.message }));
      return;
    }
    if (series.length === 0) {
      this.renderProgress(run, series, []);
      replace(this.metrics, el('p', { class: 'muted', text: 'No metrics logged.' }));
      return;
    }
    // One chart per metric; the series of several ranks share it, one line per rank. Declared
    // series without points yet are not fetched (no NaN, no 1970 times).
    const groups = groupByRank(series);
    const points = await Promise.all(groups.map((group) => Promise.all(group.map((m) => (m.series.count > 0 ?
      fetchPoints(run.id, m.series.qualified_name, SMALL_CHART_POINTS).catch(() => null) : null)))));
    if (seq !== this.seq) return;
    this.renderProgress(run, series, points.flat());
    const options = { xMode: 'step', smoothing: 0, logScale: false };
    const byName = new Map(this.charts.map((c) => [c.element.dataset.metric, c]));
    const charts = groups.map((group, i) => {
      const title = groupTitle(group);
      const chart = byName.get(title) || new LineChart(title, { height: 150, compact: true });
      const entries = group.map((member, k) => ({
        run: member.rank === null ? run : { ...run, name: `rank ${member.rank}` },
        color: runColor(member.rank === null ? 0 : k),
        points: points[i][k],
      }));
      chart.setLines(buildLines(entries, options), options);
      if (group.every((member) => member.series.count === 0)) chart.note.textContent = 'No points yet.';
      return chart;
    });
    for (const chart of this.charts) if (!charts.includes(chart)) chart.destroy();
    this.charts = charts;
    this.renderFamilies(groups.map((group) => group[0].series), charts);
  }

  /** Charts in one section per metric family (loss, loss{subset=val} and loss/x together). */
  renderFamilies(series, charts) {
    const families = new Map();
    series.forEach((s, i) => {
      const family = metricFamily(s.name);
      if (!families.has(family)) families.set(family, []);
      families.get(family).push(charts[i]);
    });
    const names = [...families.keys()].sort(naturalCompare);
    const sectionClass = (name) => (families.get(name).length > 1 ? 'metric-family wide' : 'metric-family');
    replace(this.metrics, names.map((name) => el('section', { class: sectionClass(name), dataset: { family: name } },
      el('h4', { class: 'family-title', text: name }),
      el('div', { class: 'chart-grid small' }, families.get(name).map((c) => c.element)))));
  }
}
