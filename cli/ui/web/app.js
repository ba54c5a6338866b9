// Entry point of the vigil dashboard: picks the view for the URL and keeps it in sync.

import { el, replace } from './lib/dom.js';
import { absorbToken, currentRoute, startRouter } from './lib/router.js';
import { RunsView } from './lib/runs_view.js';
import { ExplorerView } from './lib/explorer_view.js';
import { RunView } from './lib/run_view.js';
import { CompareView } from './lib/compare_view.js';
import { GovernanceView } from './lib/governance_view.js';

const VIEWS = {
  runs: RunsView,
  explore: ExplorerView,
  run: RunView,
  compare: CompareView,
  governance: GovernanceView,
};

const root = document.getElementById('app');
let active = null;  // { name, view }
let renderedHash = null;

function render() {
  if (location.hash === renderedHash && active) return;
  renderedHash = location.hash;
  const route = currentRoute();
  const name = route.parts[0] || 'runs';
  const View = VIEWS[name];
  for (const link of document.querySelectorAll('.topbar nav a')) {
    link.classList.toggle('active', link.dataset.view === name || (name === 'run' && link.dataset.view === 'runs'));
  }
  if (!View) {
    if (active) active.view.unmount();
    active = null;
    replace(root, el('p', { class: 'error' }, 'Unknown page ', el('code', { text: route.path })));
    return;
  }
  if (active && active.name === name && active.view.update(route) !== false) return;
  if (active) active.view.unmount();
  replace(root);
  const view = new View(root);
  active = { name, view };
  view.mount(route);
}

absorbToken();
startRouter(render);
