// Hash routing: every view's state lives in the URL (#/view?key=value&...), so any view can be
// shared and reloaded.

import { setToken } from './api.js';

/** The current route: { path: '/runs', parts: ['runs'], params: URLSearchParams }. */
export function currentRoute() {
  const hash = location.hash.replace(/^#/, '') || '/runs';
  const mark = hash.indexOf('?');
  const path = mark < 0 ? hash : hash.slice(0, mark);
  const params = new URLSearchParams(mark < 0 ? '' : hash.slice(mark + 1));
  return { path, parts: path.split('/').filter(Boolean).map(decodeURIComponent), params };
}

/** "#/path?query" for a path and URLSearchParams (or a plain object of arrays/strings). */
export function routeHref(path, params) {
  const query = params instanceof URLSearchParams ? params : toParams(params || {});
  const text = query.toString();
  return `#${path}${text ? `?${text}` : ''}`;
}

function toParams(object) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(object)) {
    for (const item of [value].flat()) {
      if (item !== undefined && item !== null && item !== '') params.append(key, String(item));
    }
  }
  return params;
}

let listener = null;

/**
 * Changes the URL to `path` with `params` and re-renders. `push` adds a history entry (Back
 * returns); otherwise the current entry is replaced (for edits such as typing a filter).
 */
export function navigate(path, params, { push = false } = {}) {
  const href = routeHref(path, params);
  if (href === location.hash) return;
  if (push) {
    history.pushState(null, '', href);
  } else {
    history.replaceState(null, '', href);
  }
  if (listener) listener();
}

/**
 * Moves a token from the URL (#token=T or ...&token=T) into session storage, so it does not
 * linger in the address bar or in shared links.
 */
export function absorbToken() {
  const hash = location.hash.replace(/^#/, '');
  let token = null;
  let rest = hash;
  if (hash.startsWith('token=')) {
    token = decodeURIComponent(hash.slice(6).split('&')[0]);
    rest = '/runs';
  } else {
    const route = currentRoute();
    if (route.params.has('token')) {
      token = route.params.get('token');
      route.params.delete('token');
      rest = routeHref(route.path, route.params).slice(1);
    }
  }
  if (token !== null) {
    setToken(token);
    history.replaceState(null, '', `#${rest}`);
  }
}

/** Calls `render` now and whenever the URL changes (links, Back/Forward, navigate()). */
export function startRouter(render) {
  listener = render;
  window.addEventListener('hashchange', render);
  window.addEventListener('popstate', render);
  render();
}

/** Applies {key: value | [values] | ''} to URLSearchParams ('' or [] deletes). */
export function withChanges(params, changes) {
  const next = new URLSearchParams(params);
  for (const [key, value] of Object.entries(changes)) {
    next.delete(key);
    for (const item of [value].flat()) if (item !== '' && item !== null) next.append(key, item);
  }
  return next;
}
