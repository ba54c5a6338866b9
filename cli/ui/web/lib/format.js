// Text formatting and plain-object helpers. Pure functions (no DOM): unit-tested under Node
// (tests/ui/web/*.test.mjs).

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

const collator = new Intl.Collator('en', { numeric: true, sensitivity: 'variant' });

/** Natural order of keys and names: layer_2 before layer_10, case-aware. */
export function naturalCompare(a, b) {
  return collator.compare(String(a), String(b));
}

/** Longest text shown unfolded in a table cell (compare, run page). */
export const FOLD_LENGTH = 80;

/**
 * A cell text and, when it is long or spans lines, its one-line preview: {text, preview} with
 * preview null for short texts.
 */
export function foldText(text) {
  const value = String(text);
  const newline = value.indexOf('\n');
  if (value.length <= FOLD_LENGTH && newline < 0) return { text: value, preview: null };
  const firstLine = newline < 0 ? value : value.slice(0, newline);
  const cut = firstLine.length > FOLD_LENGTH ? firstLine.slice(0, FOLD_LENGTH) : firstLine;
  return { text: value, preview: `${cut}…` };
}

/**
 * RFC 4180 CSV of rows (arrays of cells): fields with commas, quotes or line breaks quoted,
 * null/undefined empty, numbers as JavaScript prints them. Text starting with = + - @ (or a tab
 * or carriage return) gets a leading ' so spreadsheets do not run it as a formula.
 */
export function toCsv(rows) {
  const cell = (value) => {
    if (value === null || value === undefined) return '';
    if (typeof value === 'number') return String(value);
    let text = typeof value === 'string' ? value : JSON.stringify(value);
    if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
    return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  };
  return rows.map((row) => row.map(cell).join(',')).join('\r\n') + '\r\n';
}

/** Scores at or above this are shown as good (green), at or above FAIR_SCORE as fair (amber). */
export const GOOD_SCORE = 80;
export const FAIR_SCORE = 50;

/**
 * How a validation score (0-100) is shown: {level: 'good' | 'fair' | 'poor' | 'none', width:
 * percent of the bar (clamped to 0-100), text}. Missing or non-numeric scores are 'none'.
 */
export function scoreLevel(score) {
  if (typeof score !== 'number' || !Number.isFinite(score)) return { level: 'none', width: 0, text: '—' };
  const level = score >= GOOD_SCORE ? 'good' : score >= FAIR_SCORE ? 'fair' : 'poor';
  return { level, width: Math.min(100, Math.max(0, score)), text: formatNumber(Number(score.toFixed(1))) };
}
