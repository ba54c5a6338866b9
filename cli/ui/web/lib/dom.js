// DOM helpers. Every string reaches the page as text (textContent / Text nodes), never as
// markup: data from the store cannot inject HTML or script.

/**
 * Creates an element. `props`: class, text, on<event> (functions only), dataset, style
 * (object, applied through CSSOM so the CSP allows it), properties such as value/checked,
 * other keys as attributes. Children: nodes or strings (as text), nested arrays, null skipped.
 */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') {
      node.className = value;
    } else if (key === 'text') {
      node.textContent = String(value);
    } else if (key.startsWith('on')) {
      if (typeof value !== 'function') throw new Error(`el: ${key} must be a function`);
      node.addEventListener(key.slice(2), value);
    } else if (key === 'dataset') {
      Object.assign(node.dataset, value);
    } else if (key === 'style') {
      for (const [name, v] of Object.entries(value)) node.style.setProperty(name, v);
    } else if (key === 'href') {
      node.setAttribute('href', safeHref(value));
    } else if (['value', 'checked', 'disabled', 'selected', 'indeterminate'].includes(key)) {
      node[key] = value;
    } else {
      node.setAttribute(key, value === true ? '' : String(value));
    }
  }
  append(node, children);
  return node;
}

/** Appends nodes or strings (as text) to `node`. */
export function append(node, children) {
  for (const child of [children].flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

/** Replaces the children of `node`. */
export function replace(node, ...children) {
  node.replaceChildren();
  return append(node, children);
}

/** Only in-app links: a hash route or an absolute path on this server. */
function safeHref(href) {
  const text = String(href);
  return text.startsWith('#') || (text.startsWith('/') && !text.startsWith('//')) ? text : '#';
}

/** Calls fn after `ms` without another call. */
export function debounce(fn, ms) {
  let timer = null;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

/** A status word as a coloured badge (crashed and failed stand out). */
export function statusBadge(status) {
  return el('span', { class: `badge status-${status}`, text: status });
}

/** PASS / FAIL badge, or an em dash when never validated. */
export function verdictBadge(verdict) {
  if (!verdict) return el('span', { class: 'muted', text: '—' });
  return el('span', { class: `badge verdict-${verdict}`, text: verdict });
}

/** Local date and time of an ISO timestamp, to the minute. */
export function formatTime(iso) {
  if (!iso) return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  const pad = (n) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
         `${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** "1h 02m", "3m 05s", "4.2s"; em dash for null. */
export function formatDuration(seconds) {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '—';
  if (seconds < 60) return `${seconds.toFixed(1)}s`;
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (n) => String(n).padStart(2, '0');
  return h > 0 ? `${h}h ${pad(m)}m` : `${m}m ${pad(s % 60)}s`;
}

/** Compact number text; strings ("NaN", "Infinity") pass through. */
export function formatNumber(value) {
  if (value === null || value === undefined) return '—';
  if (typeof value !== 'number') return String(value);
  if (Number.isInteger(value) && Math.abs(value) < 1e9) return String(value);
  const magnitude = Math.abs(value);
  if (magnitude !== 0 && (magnitude >= 1e5 || magnitude < 1e-3)) return value.toExponential(3);
  return String(Number(value.toPrecision(4)));
}

/** A param value as one line of text. */
export function formatValue(value) {
  if (value === undefined) return '—';
  if (typeof value === 'number') return formatNumber(value);
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

/** The value at a dotted path of a nested object, or undefined. */
export function getPath(object, path) {
  let node = object;
  for (const part of path.split('.')) {
    if (node === null || typeof node !== 'object' || Array.isArray(node) || !(part in node)) {
      return undefined;
    }
    node = node[part];
  }
  return node;
}

/** Leaf paths of a nested object ("optimizer.lr"), arrays counted as leaves. */
export function flatten(object, prefix = '', out = new Map()) {
  for (const [key, value] of Object.entries(object || {})) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (value !== null && typeof value === 'object' && !Array.isArray(value) &&
        Object.keys(value).length > 0) {
      flatten(value, path, out);
    } else {
      out.set(path, value);
    }
  }
  return out;
}

/** A run's display name: its name, else the first 8 characters of its id. */
export function runLabel(run) {
  return run.name ? run.name : run.id.slice(0, 8);
}
