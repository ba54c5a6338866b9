// DOM helpers. Every string reaches the page as text (textContent / Text nodes), never as
// markup: data from the store cannot inject HTML or script.

import { scoreLevel } from './format.js';

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

/**
 * A validation score as a coloured bar 0-100 with its number beside it (green from 80, amber
 * from 50, red below: scoreLevel in format.js); a meter for assistive technology. An em dash
 * when never validated.
 */
export function scoreBar(score) {
  const { level, width, text } = scoreLevel(score);
  if (level === 'none') return el('span', { class: 'muted', text: '—' });
  return el('span', { class: `scorebar score-${level}`, role: 'meter', 'aria-valuemin': '0', 'aria-valuemax': '100',
                      'aria-valuenow': String(width), 'aria-label': `score ${text} of 100`, title: `score ${text} of 100` },
    el('span', { class: 'scorebar-track' }, el('span', { class: 'scorebar-fill', style: { width: `${width}%` } })),
    el('span', { class: 'scorebar-text', text }));
}

/** Saves `text` as a file named `name` through the browser's download. */
export function downloadText(name, text, type = 'text/plain') {
  const url = URL.createObjectURL(new Blob([text], { type: `${type};charset=utf-8` }));
  const link = el('a', { download: name });
  link.href = url;  // a blob: URL (el() keeps hrefs to this app's own routes)
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
