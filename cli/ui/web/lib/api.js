// Calls to the JSON API (cli/ui/API.md). The token, when the server needs one, comes from the
// page URL's fragment (#token=...) and travels only in the Authorization header.

const TOKEN_KEY = 'vigil-token';

/** Remembers the API token for this browser tab. */
export function setToken(token) {
  try {
    sessionStorage.setItem(TOKEN_KEY, token);
  } catch (_) {
    memoryToken = token;
  }
}

let memoryToken = null;

function token() {
  try {
    return sessionStorage.getItem(TOKEN_KEY) || memoryToken;
  } catch (_) {
    return memoryToken;
  }
}

/** An API error: HTTP status plus the server's message. */
export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** GET (or POST with a JSON body) /api/<path>; resolves to the parsed JSON. */
export async function api(path, { method = 'GET', body, signal } = {}) {
  const headers = { Accept: 'application/json' };
  const secret = token();
  if (secret) headers.Authorization = `Bearer ${secret}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(`/api/${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    signal,
    cache: 'no-store',
    credentials: 'same-origin',
  });
  let data = null;
  try {
    data = await response.json();
  } catch (_) {
    data = null;
  }
  if (!response.ok) {
    const message = data && data.error ? data.error : `${response.status} ${response.statusText}`;
    throw new ApiError(response.status, message);
  }
  return data;
}

/** Path segment for a run id (hex, but encoded anyway). */
export function runPath(id, suffix = '') {
  return `runs/${encodeURIComponent(id)}${suffix}`;
}

/** Fetches the given runs by id (one request), in the order given; missing ids are dropped. */
export async function fetchRuns(ids) {
  if (ids.length === 0) return [];
  const query = new URLSearchParams();
  for (const id of ids) query.append('id', id);
  const result = await api(`runs?${query}`);
  const byId = new Map(result.runs.map((run) => [run.id, run]));
  return ids
    .map((id) => byId.get(id) || result.runs.find((run) => run.id.startsWith(id)))
    .filter(Boolean);
}

let metaPromise = null;

/**
 * Constants the server shares with the page (GET /api/meta), fetched once per page load:
 * { verdict_tags, statuses, verdicts, max_response_points, store } (cli/ui/API.md).
 */
export function meta() {
  if (!metaPromise) {
    metaPromise = api('meta').catch((error) => {
      metaPromise = null;  // retry on the next call
      throw error;
    });
  }
  return metaPromise;
}
