// The Governance page (#/governance?experiment=&bucket=day|week&since=&until=&rule=): how
// compliant the selected runs are (tiles), PASS rate and mean score over time, the score
// distribution, violations per rule (click a rule: the runs that broke it), compliance per
// experiment, the waivers in force and the latest audit events.

import { api } from './api.js';
import { el, replace, scoreBar, verdictBadge } from './dom.js';
import { foldText, formatTime, runLabel } from './format.js';
import { ComplianceChart, HistogramChart } from './governance_charts.js';
import { navigate, routeHref, withChanges } from './router.js';

const SUMMARY_KEYS = ['experiment', 'bucket', 'since', 'until'];
const AUDIT_EVENTS = 50;

/** "60.0%" of a PASS rate, em dash when there is none. */
export function percentText(rate) {
  return typeof rate === 'number' ? `${rate.toFixed(1)}%` : '—';
}

/** A waiver's target in words: "run NAME-OR-ID" or "experiment NAME". */
export function waiverTarget(waiver) {
  return waiver.run_id ? `run ${waiver.run_id.slice(0, 8)}` : `experiment ${waiver.experiment}`;
}

/** An audit event's details as one short line ("verdict=FAIL score=40 policy=team-policy"). */
export function auditDetails(details) {
  if (!details || typeof details !== 'object') return '';
  return Object.entries(details)
    .filter(([, value]) => value !== null && value !== '')
    .map(([key, value]) => `${key}=${typeof value === 'object' ? JSON.stringify(value) : value}`)
    .join(' ');
}

export class GovernanceView {
  constructor(root) {
    this.root = root;
    this.seq = 0;
  }

  mount(route) {
    const setParam = (key) => (e) => this.go({ [key]: e.target.value, rule: '' });
    this.inputs = {
      experiment: el('select', { 'aria-label': 'Experiment', onchange: setParam('experiment') },
        el('option', { value: '', text: 'All experiments' })),
      bucket: el('select', { 'aria-label': 'Group by', onchange: setParam('bucket') },
        el('option', { value: 'day', text: 'per day' }), el('option', { value: 'week', text: 'per week' })),
      since: el('input', { type: 'date', 'aria-label': 'Created from', onchange: setParam('since') }),
      until: el('input', { type: 'date', 'aria-label': 'Created to', onchange: setParam('until') }),
    };
    this.error = el('div', { class: 'error', hidden: true });
    this.tiles = el('div', { class: 'tiles' });
    this.compliance = new ComplianceChart();
    this.histogram = new HistogramChart();
    this.rules = el('div', { class: 'rules-card' });
    this.ruleRuns = el('div', { class: 'rule-runs' });
    this.experiments = el('div', { class: 'experiments-card' });
    this.waivers = el('div', { class: 'waivers-card' });
    this.audit = el('div', { class: 'audit-card' });
    this.root.append(el('div', { class: 'governance-view' },
      el('h2', { text: 'Governance' }),
      el('form', { class: 'filters', onsubmit: (e) => e.preventDefault() }, this.inputs.experiment, this.inputs.bucket,
        el('label', { class: 'inline' }, 'Created from ', this.inputs.since),
        el('label', { class: 'inline' }, 'to ', this.inputs.until)),
      this.error, this.tiles,
      el('p', { class: 'legend muted' }, 'Each run counts by its latest validation, on the day (or week) it was created (UTC).',
        el('span', { class: 'legend-swatch legend-pass' }), 'PASS rate %',
        el('span', { class: 'legend-swatch legend-score' }), 'mean score'),
      el('div', { class: 'governance-charts' }, this.compliance.element, this.histogram.element),
      el('section', { class: 'card' }, el('h3', { text: 'Violations per rule' }), this.rules, this.ruleRuns),
      el('section', { class: 'card' }, el('h3', { text: 'Compliance per experiment' }), this.experiments),
      el('section', { class: 'card' }, el('h3', { text: 'Waivers in force (every experiment)' }), this.waivers),
      el('section', { class: 'card' }, el('h3', { text: `Recent audit events (latest ${AUDIT_EVENTS})` }), this.audit)));
    api('experiments').then((names) => {
      for (const name of names) this.inputs.experiment.append(el('option', { value: name, text: name }));
      this.inputs.experiment.value = this.params.get('experiment') || '';
    }).catch(() => {});
    this.update(route);
  }

  unmount() {
    this.seq++;
    this.compliance.destroy();
    this.histogram.destroy();
  }

  go(changes, options) {
    navigate('/governance', withChanges(this.params, changes), options);
  }

  async update(route) {
    const seq = ++this.seq;
    this.params = route.params;
    for (const key of SUMMARY_KEYS) this.inputs[key].value = this.params.get(key) || (key === 'bucket' ? 'day' : '');
    const query = new URLSearchParams();
    for (const key of SUMMARY_KEYS) if (this.params.get(key)) query.set(key, this.params.get(key));
    try {
      const [summary, waivers, audit] = await Promise.all([
        api(`governance/summary?${query}`), api('waivers'), api(`audit?limit=${AUDIT_EVENTS}`)]);
      if (seq !== this.seq) return;
      this.error.hidden = true;
      this.render(summary, waivers.waivers, audit.events);
    } catch (error) {
      if (seq !== this.seq) return;
      this.error.hidden = false;
      this.error.textContent = `Cannot load the governance summary: ${error.message}`;
    }
  }

  render(summary, waivers, events) {
    const tile = (name, label, value) => el('div', { class: 'tile', dataset: { tile: name } },
      el('span', { class: 'muted', text: label }), el('span', { class: 'tile-value' }, value));
    replace(this.tiles,
      tile('runs', 'runs', String(summary.runs)),
      tile('validated', 'validated', String(summary.validated)),
      tile('pass-rate', 'PASS rate', percentText(summary.pass_rate)),
      tile('mean-score', 'mean score', scoreBar(summary.mean_score)),
      tile('waivers', 'waivers in force', String(waivers.length)));
    this.compliance.update(summary.over_time, summary.bucket);
    this.histogram.update(summary.histogram);
    this.renderRules(summary.rules);
    this.renderExperiments(summary.experiments);
    this.renderWaivers(waivers);
    this.renderAudit(events);
  }

  renderRules(rules) {
    const chosen = this.params.get('rule');
    if (rules.length === 0) {
      replace(this.rules, el('p', { class: 'muted', text: 'No violations in the latest validations.' }));
      replace(this.ruleRuns);
      return;
    }
    const num = (n) => el('td', { class: 'num', text: String(n) });
    const rows = rules.map((rule) => el('tr', {
      class: rule.rule_id === chosen ? 'active' : '', dataset: { rule: rule.rule_id }, tabindex: '0',
      title: `Show the runs that broke ${rule.rule_id}`,
      onclick: () => this.go({ rule: rule.rule_id === chosen ? '' : rule.rule_id }),
      onkeydown: (e) => { if (e.key === 'Enter') this.go({ rule: rule.rule_id === chosen ? '' : rule.rule_id }); } },
    el('td', {}, el('code', { text: rule.rule_id })), num(rule.counted), num(rule.waived), num(rule.audited), num(rule.info),
    num(rule.run_count)));
    replace(this.rules, el('div', { class: 'table-wrap' }, el('table', { class: 'rules' },
      el('thead', {}, el('tr', {}, el('th', { text: 'Rule' }), ['counted', 'waived', 'audit only', 'info', 'runs'].map((h) =>
        el('th', { class: 'num', text: h })))),
      el('tbody', {}, rows))));
    const rule = rules.find((r) => r.rule_id === chosen);
    replace(this.ruleRuns, rule ? this.ruleRunsTable(rule) : el('p', { class: 'muted', text: 'Click a rule to list the runs that broke it.' }));
  }

  ruleRunsTable(rule) {
    const more = rule.run_count > rule.runs.length ? ` (first ${rule.runs.length} of ${rule.run_count})` : '';
    return [el('h4', { text: `Runs that broke ${rule.rule_id}${more}` }),
      el('div', { class: 'table-wrap' }, el('table', { class: 'rule-runs-table' },
        el('thead', {}, el('tr', {}, ['Run', 'Experiment', 'Verdict', 'Score', 'Violation'].map((h) => el('th', { text: h })))),
        el('tbody', {}, rule.runs.map((run) => el('tr', { class: `outcome-${run.outcome}`, dataset: { runId: run.id } },
          el('td', {}, el('a', { href: `#/run/${run.id}`, title: run.id, text: runLabel(run) })),
          el('td', { text: run.experiment }), el('td', {}, verdictBadge(run.verdict)), el('td', {}, scoreBar(run.score)),
          el('td', { text: run.outcome === 'counted' ? 'counted' : run.outcome === 'audited' ? 'audit only' : run.outcome }))))))];
  }

  renderExperiments(experiments) {
    replace(this.experiments, experiments.length === 0 ? el('p', { class: 'muted', text: 'No validated runs.' }) :
      el('div', { class: 'table-wrap' }, el('table', { class: 'experiments' },
        el('thead', {}, el('tr', {}, ['Experiment', 'Validated', 'PASS rate', 'Mean score'].map((h) => el('th', { text: h })))),
        el('tbody', {}, experiments.map((e) => el('tr', { dataset: { experiment: e.name } },
          el('td', {}, el('a', { href: routeHref('/governance', withChanges(this.params, { experiment: e.name, rule: '' })), text: e.name })),
          el('td', { class: 'num', text: String(e.validated) }), el('td', { class: 'num', text: percentText(e.pass_rate) }),
          el('td', {}, scoreBar(e.mean_score))))))));
  }

  renderWaivers(waivers) {
    replace(this.waivers, waivers.length === 0 ? el('p', { class: 'muted', text: 'No waiver in force.' }) :
      el('div', { class: 'table-wrap' }, el('table', { class: 'waivers' },
        el('thead', {}, el('tr', {}, ['#', 'Target', 'Rule', 'Owner', 'Granted', 'Until', 'Reason'].map((h) => el('th', { text: h })))),
        el('tbody', {}, waivers.map((w) => el('tr', { dataset: { waiverId: String(w.id) } },
          el('td', { class: 'num', text: String(w.id) }),
          el('td', {}, w.run_id ? el('a', { href: `#/run/${w.run_id}`, text: waiverTarget(w) }) : waiverTarget(w)),
          el('td', {}, el('code', { text: w.rule_id })), el('td', { text: w.owner }), el('td', { text: formatTime(w.created_at) }),
          el('td', { text: w.until ? formatTime(w.until) : 'until revoked' }), el('td', { class: 'wrap', text: w.reason })))))));
  }

  renderAudit(events) {
    replace(this.audit, events.length === 0 ? el('p', { class: 'muted', text: 'The audit log is empty.' }) :
      el('div', { class: 'table-wrap' }, el('table', { class: 'audit' },
        el('thead', {}, el('tr', {}, ['When', 'Action', 'Run', 'Who', 'Details'].map((h) => el('th', { text: h })))),
        el('tbody', {}, events.map((e) => {
          const { text, preview } = foldText(auditDetails(e.details));
          return el('tr', { dataset: { action: e.action } },
            el('td', { text: formatTime(e.at) }), el('td', {}, el('code', { text: e.action })),
            el('td', {}, e.run_id ? el('a', { href: `#/run/${e.run_id}`, text: e.run_id.slice(0, 8) }) : '—'),
            el('td', { text: `${e.user}@${e.host}` }), el('td', { class: 'muted', title: text, text: preview || text }));
        })))));
  }
}
