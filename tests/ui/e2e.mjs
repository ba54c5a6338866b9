#!/usr/bin/env node
// Browser end-to-end test of `vigil ui`: starts the real binary on a store written by
// vigil_ui_fixture (one run still being written while the dashboard reads), drives Debian's
// Chromium through playwright-core (no browser download) and checks what a user sees.
//
//   node e2e.mjs --vigil PATH --fixture PATH [--chromium /usr/bin/chromium] [--artifacts DIR]
//
// Prints "ok - ..." / "not ok - ..." per check; exits 1 on any failure, 77 (ctest: skipped)
// when Chromium or playwright-core is missing.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';

import { TIMEOUT_MS, check, failureCount, launchBrowser, loadChromium, parseArgs } from './e2e_support.mjs';

const args = parseArgs('e2e.mjs', 'vigil-ui-e2e');
const chromium = loadChromium(args);

/** Starts a process and resolves with it and its first stdout line matching `pattern`. */
function startAndWaitFor(command, argv, pattern) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => { stderr += d; });
    const lines = readline.createInterface({ input: child.stdout });
    const timer = setTimeout(() => reject(new Error(`${command}: no output matching ${pattern} (${stderr})`)), TIMEOUT_MS);
    lines.on('line', (line) => {
      const match = line.match(pattern);
      if (match) {
        clearTimeout(timer);
        resolve({ child, match });
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${command} exited with ${code}: ${stderr}`));
    });
  });
}

function waitExit(child, ms) {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve(child.exitCode);
    const timer = setTimeout(() => resolve('timeout'), ms);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve(code === null ? signal : code);
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Default runs table at 1,400 px: no sideways scroll, governance columns on screen, sticky header. */
async function checkRunsLayout(page, base) {
  await page.goto(`${base}#/runs`);
  await page.waitForFunction(() => document.querySelectorAll('table.runs tbody tr').length === 50);
  const layout = await page.evaluate(() => {
    const wrap = document.querySelector('.runs-wrap');
    const box = wrap.getBoundingClientRect();
    const header = (name) => [...document.querySelectorAll('table.runs thead th')].find((th) => th.textContent.startsWith(name));
    const right = (name) => header(name).getBoundingClientRect().right;
    return { scroll: wrap.scrollWidth, client: wrap.clientWidth, boxRight: box.right, page: document.documentElement.scrollWidth,
             verdict: right('Verdict'), score: right('Score'), tags: right('Tags') };
  });
  check(layout.scroll <= layout.client && layout.page <= 1400,
        'the default runs table fits 1,400 px without a sideways scroll', JSON.stringify(layout));
  check(layout.verdict <= layout.boxRight && layout.score <= layout.boxRight && layout.tags <= layout.boxRight,
        'Verdict, Score and Tags are on screen at 1,400 px', JSON.stringify(layout));
  const sticky = await page.evaluate(async () => {
    const wrap = document.querySelector('.runs-wrap');
    wrap.scrollTop = 600;
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    const th = document.querySelector('table.runs thead th').getBoundingClientRect();
    return { scrolled: wrap.scrollTop, delta: Math.abs(th.top - wrap.getBoundingClientRect().top) };
  });
  check(sticky.scrolled > 0 && sticky.delta <= 2, 'the table scrolls in its own box and its header stays visible', JSON.stringify(sticky));
}

/** A running run's row refreshes by itself (loss and duration), without a reload. */
async function checkLiveRow(page, base, ids) {
  await page.goto(`${base}#/runs?experiment=mnist&cols=custom&mcol=loss`);
  const cell = `tr[data-run-id="${ids.live}"] td[data-metric="loss"]`;
  await page.waitForSelector(cell);
  const before = await page.locator(cell).textContent();
  const navigations = [];
  const onNavigation = () => navigations.push(1);
  page.on('framenavigated', onNavigation);
  const changed = await page.waitForFunction(([selector, old]) => document.querySelector(selector)?.textContent !== old,
                                             [cell, before], { timeout: 9000 }).then(() => true, () => false);
  page.off('framenavigated', onNavigation);
  const after = await page.locator(cell).textContent();
  check(changed && navigations.length === 0, 'a live run\'s loss updates in the runs table without a reload', `${before} -> ${after}`);
}

/** Compare of four runs with vigil-mnist's params (multi-line model.structure) fits 1,400 px. */
async function checkCompareOfMnistRuns(page, base, ids) {
  const query = ids.mnist.map((id) => `run=${id}`).join('&');
  await page.goto(`${base}#/compare?${query}`);
  await page.waitForSelector('table.compare tr.diff');
  const layout = await page.evaluate(() => {
    const table = document.querySelector('table.compare');
    const heads = [...table.querySelectorAll('thead th')].slice(1).map((th) => th.getBoundingClientRect());
    return { table: table.getBoundingClientRect().width, wrap: table.parentElement.clientWidth, page: document.documentElement.scrollWidth,
             runs: heads.length, allOnScreen: heads.every((r) => r.right <= 1400 && r.width >= 150) };
  });
  check(layout.runs === 4 && layout.table <= layout.wrap && layout.page <= 1400 && layout.allOnScreen,
        'compare of 4 vigil-mnist runs fits 1,400 px with every run column on screen', JSON.stringify(layout));
  const row = page.locator('table.compare tr', { has: page.locator('th', { hasText: /^model\.structure$/ }) });
  const folded = row.locator('td details').first();
  check(await folded.count() === 1 && (await folded.getAttribute('open')) === null &&
        !(await row.locator('td').first().innerText()).includes('conv2'), 'model.structure is folded to one line');
  await folded.locator('summary').click();
  check((await row.locator('td pre').first().innerText()).includes('(conv2): torch::nn::Conv2d'), 'clicking a folded value expands it');
  const noMetrics = await page.locator('.compare-view .no-metrics').count();
  check(noMetrics === 0, 'runs with metrics show curves, not the no-metrics note');
}

/** Zooming a downsampled 200,000-point series to 1 % fetches that step range at full resolution. */
async function checkZoom(page, base, ids) {
  const ranged = [];
  const listen = (request) => { if (request.url().includes('min_step=')) ranged.push(request.url()); };
  page.on('request', listen);
  await page.goto(`${base}#/explore?run=${ids.long}&metric=loss`);
  const chart = page.locator('.chart[data-metric="loss"]');
  await page.waitForSelector('.chart[data-metric="loss"] canvas');
  const coarse = Number(await chart.getAttribute('data-visible-points'));
  const box = await chart.locator('.u-over').boundingBox();
  // Drag over 1 % of the width: about 20 of the 2,000 coarse points lie there.
  await page.mouse.move(box.x + box.width * 0.5, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.505, box.y + box.height / 2, { steps: 4 });
  await page.mouse.move(box.x + box.width * 0.51, box.y + box.height / 2, { steps: 4 });
  await page.mouse.up();
  await page.waitForSelector('.chart[data-metric="loss"][data-detail="fine"]');
  const fine = Number(await chart.getAttribute('data-visible-points'));
  check(coarse >= 1900 && fine >= 1000 && ranged.length > 0,
        'zooming to 1 % of a downsampled series fetches the visible steps at full resolution',
        `visible points ${coarse} before, ${fine} after; ranged requests: ${ranged.length}`);
  page.off('request', listen);
}

/** Group lines by a param: one mean line and min-max band per group. */
async function checkGrouping(page, base, ids) {
  const query = ids.mnist.map((id) => `run=${id}`).join('&');
  await page.goto(`${base}#/explore?${query}&metric=loss&group=optimizer.name&agg=1`);
  // The explorer view is reused from the zoom check: wait for its chart of these runs.
  await page.waitForFunction(() => document.querySelector('.chart[data-metric="loss"]')?.dataset.bands === '2' &&
                             document.querySelector('.chart[data-metric="loss"] canvas'), null, { timeout: 5000 }).catch(() => {});
  const chart = page.locator('.chart[data-metric="loss"]');
  const bands = await chart.getAttribute('data-bands');
  const lines = await chart.getAttribute('data-lines');
  const legend = (await chart.locator('.u-legend .u-series:not([hidden]) .u-label').allTextContents()).slice(1);
  check(bands === '2' && lines === '2' && legend.some((l) => l.includes('"adam" (mean of 2)')) && legend.some((l) => l.includes('"sgd" (mean of 2)')),
        'grouping four runs by optimizer.name draws one mean line and band per group', `bands=${bands} lines=${lines} ${legend.join(' | ')}`);
  check((await page.locator('select[aria-label="Group by"]').inputValue()) === 'optimizer.name', 'the group-by control shows the URL state');
  const [download] = await Promise.all([page.waitForEvent('download'), chart.locator('button:text-is("CSV")').click()]);
  const csv = fs.readFileSync(await download.path(), 'utf8').trim().split('\r\n');
  check(csv.length === 9 && csv[0].startsWith('Step,') && csv[0].includes('(mean of 2)') && csv[1].split(',').length === 7,
        'a chart\'s CSV holds its drawn data: x, then mean, min and max per group', `${csv.length} lines; ${csv[0]}`);
  await page.check('input[aria-label="Chart per group"]');
  await page.waitForFunction(() => document.querySelectorAll('.chart[data-metric="loss"] canvas').length === 2);
  const titles = await page.locator('.chart[data-metric="loss"] .chart-title').allTextContents();
  check(JSON.stringify(titles) === JSON.stringify(['loss · optimizer.name="adam"', 'loss · optimizer.name="sgd"']),
        'one chart per group splits the runs by the param', titles.join(' | '));
}

/** 50 runs in one chart: 50 distinct colours, and a legend that scrolls in its own box. */
async function checkFiftyRuns(page, base) {
  const ids = await page.evaluate(async () => (await (await fetch('/api/runs?tag=bulk&limit=50')).json()).runs.map((r) => r.id));
  await page.goto(`${base}#/explore?${ids.map((id) => `run=${id}`).join('&')}&metric=loss`);
  await page.waitForFunction(() => document.querySelector('.chart[data-metric="loss"]')?.dataset.lines === '50', null, { timeout: 10000 }).catch(() => {});
  const legend = await page.evaluate(() => {
    const box = document.querySelector('.chart[data-metric="loss"] .u-legend');
    const colours = [...box.querySelectorAll('.u-series .u-marker')].slice(1).map((m) => getComputedStyle(m).borderColor);
    const chart = document.querySelector('.chart[data-metric="loss"]').getBoundingClientRect();
    return { lines: box.closest('.chart').dataset.lines, distinct: new Set(colours).size, height: box.clientHeight,
             scrolls: box.scrollHeight > box.clientHeight, chartHeight: chart.height };
  });
  check(ids.length === 50 && legend.lines === '50' && legend.distinct === 50, 'a chart of 50 runs draws them in 50 distinct colours', JSON.stringify(legend));
  check(legend.scrolls && legend.height <= 120 && legend.chartHeight < 520, 'the legend of 50 runs scrolls in a bounded box', JSON.stringify(legend));
}

/** Brushing an axis of the parallel coordinates filters the runs table. */
async function checkParamsExplorer(page, base) {
  await page.goto(`${base}#/runs?experiment=mnist-real&pe=1&pcd=optimizer.lr&pcd=seed&pcm=loss`);
  await page.waitForFunction(() => document.querySelectorAll('table.runs tbody tr').length === 4);
  await page.waitForSelector('.parallel-svg .run-line', { state: 'attached' });
  check((await page.locator('.parallel-svg .run-line').count()) === 4, 'parallel coordinates draw one line per run');
  const axis = page.locator('.parallel-svg rect.brush-target[data-dim="param:optimizer.lr"]');
  const box = await axis.boundingBox();
  // The bottom 30 % of the lr axis: the two adam runs (lr 0.001, 0.003), not sgd (0.05). The
  // drag ends below the axis, which clamps the brush to the axis' minimum.
  await page.mouse.move(box.x + box.width / 2, box.y + box.height * 0.7);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height + 20, { steps: 5 });
  await page.mouse.up();
  await page.waitForFunction(() => location.hash.includes('brush=') && document.querySelectorAll('table.runs tbody tr').length === 2);
  const names = await page.locator('table.runs tbody td.name a').allTextContents();
  check(names.length === 2 && names.every((n) => n.includes('adam')), 'brushing the lr axis filters the runs table to the brushed runs', names.join(','));
  check((await page.locator('.parallel-svg .run-line.match').count()) === 2, 'brushed runs are highlighted, the others stay drawn');

  // The scatter (lr against loss): a rectangle over high lr and high loss keeps one run.
  await page.click('button:text-is("Clear brushes")');
  await page.waitForFunction(() => !location.hash.includes('brush=') && document.querySelectorAll('table.runs tbody tr').length === 4);
  const area = await page.locator('.scatter-svg rect.scatter-target').boundingBox();
  await page.mouse.move(area.x + area.width * 0.7, area.y + 2);
  await page.mouse.down();
  await page.mouse.move(area.x + area.width + 20, area.y + area.height * 0.25, { steps: 5 });
  await page.mouse.up();
  await page.waitForFunction(() => document.querySelectorAll('table.runs tbody tr').length === 1).catch(() => {});
  const scatterNames = await page.locator('table.runs tbody td.name a').allTextContents();
  const brushes = new URL(page.url()).hash.match(/brush=/g) || [];
  check(scatterNames.length === 1 && scatterNames[0].startsWith('cnn-sgd-lr0.05-fashion') && brushes.length === 2,
        'a rectangle brushed in the scatter filters the runs table on both axes', `${scatterNames.join(',')}; ${brushes.length} brushes`);
}

/** Tag and untag the selected runs; export the filtered table as CSV. */
async function checkBulkTagsAndExport(page, base, ids) {
  await page.goto(`${base}#/runs?experiment=mnist-real`);
  await page.waitForFunction(() => document.querySelectorAll('table.runs tbody tr').length === 4);
  await page.check('input[aria-label="Select page"]');
  await page.fill('input[aria-label="Tag for selected runs"]', 'bulk-e2e');
  await page.click('.selection button:text-is("Tag")');
  await page.waitForSelector('table.runs td.tags .tag:text-is("bulk-e2e")');
  const tagged = await page.evaluate(async (list) => Promise.all(list.map(async (id) => (await (await fetch(`/api/runs/${id}`)).json()).tags)), ids.mnist);
  check(tagged.every((tags) => tags.includes('bulk-e2e')), 'Tag adds the tag to every selected run');
  await page.click('.selection button:text-is("Untag")');
  await page.waitForSelector('table.runs td.tags .tag:text-is("bulk-e2e")', { state: 'detached' });
  const untagged = await page.evaluate(async (list) => Promise.all(list.map(async (id) => (await (await fetch(`/api/runs/${id}`)).json()).tags)), ids.mnist);
  check(untagged.every((tags) => !tags.includes('bulk-e2e') && tags.includes('mnist-like')), 'Untag removes only that tag from every selected run');

  const [download] = await Promise.all([page.waitForEvent('download'), page.click('button:text-is("Export CSV")')]);
  const csv = fs.readFileSync(await download.path(), 'utf8').trim().split('\r\n');
  check(csv.length === 5 && csv[0].startsWith('id,name,experiment,status') && csv.slice(1).every((line) => line.includes('mnist-real')),
        'Export CSV downloads the filtered runs with the shown columns', csv[0]);
}

/** Run page: params folded past two levels, natural key order, search, families, progress. */
async function checkRunPage(page, base, ids) {
  await page.goto(`${base}#/run/${ids.mnist[0]}`);
  await page.waitForSelector('.run-view .metric-family');
  const structureVisible = await page.locator('.params').getByText('(conv2): torch::nn::Conv2d').first().isVisible().catch(() => false);
  const layerKeys = await page.evaluate(() => {
    const layers = [...document.querySelectorAll('.params li')].find((li) => li.querySelector(':scope > details > summary')?.textContent === 'layers');
    return [...layers.querySelectorAll(':scope > details > ul .key')].map((k) => k.textContent);
  });
  check(!structureVisible, 'params deeper than two levels start folded');
  check(JSON.stringify(layerKeys) === JSON.stringify(['layer_1', 'layer_2', 'layer_10']), 'param keys are in natural order', layerKeys.join(','));
  await page.fill('input[aria-label="Search params"]', 'lr');
  await page.waitForSelector('.params ul.matches');
  const matches = await page.locator('.params ul.matches > li > .key').allTextContents();
  check(matches.length === 1 && matches[0] === 'optimizer.lr', 'searching params lists the matching paths', matches.join(','));
  const families = await page.locator('.metric-family').evaluateAll((nodes) => nodes.map((n) => n.dataset.family));
  check(JSON.stringify(families) === JSON.stringify(['accuracy', 'loss']), 'charts are grouped by metric family', families.join(','));

  await page.goto(`${base}#/run/${ids.live}`);
  await page.waitForSelector('.run-progress:not([hidden])');
  const progress = await page.locator('.run-progress').textContent();
  const step = (text) => Number((text.match(/step (\d+)/) || [])[1]);
  const advanced = await page.waitForFunction((first) => {
    const now = document.querySelector('.run-progress').textContent.match(/step (\d+)/);
    return now && Number(now[1]) > first;
  }, step(progress), { timeout: 9000 }).then(() => true, () => false);
  check(Number.isFinite(step(progress)) && advanced, 'a running run\'s page shows its progress and keeps it current', progress);
}

/**
 * A 2-rank job whose rank 1 died (vigil_ui_fixture --job): the run page's rank table lists both
 * ranks with device and status, the dead rank stands out as crashed, the run's error names it,
 * and loss (rank 0) and loss{rank=1} share one chart with a line per rank.
 */
async function checkRanks(page, base, ids) {
  await page.goto(`${base}#/run/${ids.job}`);
  await page.waitForSelector('table.ranks tbody tr');
  const rows = await page.locator('table.ranks tbody tr').evaluateAll((trs) =>
    trs.map((tr) => ({ rank: tr.dataset.rank, cells: [...tr.cells].map((td) => td.textContent.trim()) })));
  const byRank = Object.fromEntries(rows.map((r) => [r.rank, r.cells]));
  const heading = await page.locator('h3', { hasText: /^Ranks/ }).textContent().catch(() => '');
  check(rows.length === 2 && byRank['0']?.[0] === '0 / 2' && byRank['1']?.[0] === '1 / 2' && heading === 'Ranks (2)',
        'the run page of a 2-rank job has a rank table with both ranks', JSON.stringify(rows));
  check(byRank['0']?.[4] === 'cpu:0' && byRank['0']?.[5] === 'finished' && byRank['1']?.[1] === '1' && byRank['1']?.[4] === 'cpu:1',
        'each rank shows its local rank, device and status', JSON.stringify(rows));
  const crashed = await page.locator('table.ranks tr[data-rank="1"] td.error').count();
  check(byRank['1']?.[5] === 'crashed' && crashed === 1 && byRank['0']?.[8] === '—',
        'the rank that died is crashed and its error stands out', JSON.stringify(rows));
  await page.waitForSelector('.run-error');
  const error = await page.locator('.run-error').textContent();
  check(error.includes('rank 1'), 'the job run\'s error names the rank that died', error);
  await page.waitForSelector('.run-view .chart[data-metric="loss"] canvas');
  const charts = await page.locator('.run-view .chart').count();
  const lines = await page.locator('.run-view .chart[data-metric="loss"]').getAttribute('data-lines');
  check(charts === 1 && lines === '2',
        'loss of rank 0 and loss{rank=1} share one chart, one line per rank', `charts=${charts} lines=${lines}`);
}

/** An unknown run id: one message. (Chromium logs the API's 404: run after the console check.) */
async function checkUnknownRun(page, base) {
  await page.goto(`${base}#/run/ffffffffffffffffffffffffffffffff`);
  await page.waitForSelector('.run-missing');
  check((await page.locator('.run-view .card').count()) === 0 && (await page.locator('.run-missing').textContent()).includes('No run'),
        'an unknown run id shows one clear message and no empty cards');
}

/** Runs without points: no NaN or 1970 anywhere, and the curves section says why it is empty. */
async function checkRunsWithoutPoints(page, base, ids) {
  await page.goto(`${base}#/runs?experiment=no-points&cols=custom&mcol=loss`);
  await page.waitForFunction(() => document.querySelectorAll('table.runs tbody tr').length === 2);
  const row = page.locator(`tr[data-run-id="${ids.declared}"]`);
  const rowText = await row.innerText();
  check(!/NaN|1970/.test(rowText) && (await row.locator('td[data-metric="loss"]').textContent()) === '—',
        'a declared but empty series shows a dash in the runs table', rowText);
  await page.goto(`${base}#/run/${ids.declared}`);
  await page.waitForSelector('.run-view .chart .chart-note');
  const pageText = await page.locator('.run-view').innerText();
  check(!/NaN|1970/.test(pageText) && pageText.includes('No points yet.'), 'the run page says a declared series has no points yet');
  await page.goto(`${base}#/explore?run=${ids.no_metrics}`);
  await page.waitForSelector('.no-metrics');
  check((await page.locator('.no-metrics').textContent()).includes('has logged no metrics'),
        'a run without metrics says why there are no curves');
}

/** Sort headers are buttons reachable with the keyboard; dark mode follows the system. */
async function checkKeyboardAndDarkMode(page, base) {
  await page.goto(`${base}#/runs?experiment=mnist`);
  await page.waitForSelector('table.runs th button.sort[data-sort="name"]');
  await page.focus('table.runs th button.sort[data-sort="name"]');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => location.hash.includes('sort=name'));
  check(await page.evaluate(() => document.activeElement?.dataset.sort === 'name'), 'Enter on a focused sort header sorts and keeps the focus');
  const luminance = () => page.evaluate(() => {
    const [r, g, b] = getComputedStyle(document.documentElement).backgroundColor.match(/\d+/g).map(Number);
    return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255;
  });
  await page.emulateMedia({ colorScheme: 'dark' });
  const dark = await luminance();
  await page.emulateMedia({ colorScheme: 'light' });
  const light = await luminance();
  check(dark < 0.2 && light > 0.8, 'dark mode follows prefers-color-scheme', `dark ${dark.toFixed(2)}, light ${light.toFixed(2)}`);
}

async function main() {
  fs.mkdirSync(args.artifacts, { recursive: true });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-ui-e2e-'));
  const store = path.join(dir, 'store.db');
  const processes = [];
  let browser = null;
  try {
    // The fixture writes the demo runs, four runs with vigil-mnist's param shapes, two runs without
    // points, a 2-rank job's run with a dead rank, one series of
    // 200,000 points, then keeps "live-run" running for two minutes.
    const fixture = await startAndWaitFor(args.fixture, [store, '--bulk', '60', '--mnist', '4', '--no-points', '--job', '--long-points', '200000',
                                                         '--live', '120'], /^\{.*\}$/);
    processes.push(fixture.child);
    const ids = JSON.parse(fixture.match[0]);
    const server = await startAndWaitFor(args.vigil, ['--store', store, 'ui', '--port', '0'], /at (http:\/\/127\.0\.0\.1:(\d+)\/)/);
    processes.push(server.child);
    const base = server.match[1];
    check(Number(server.match[2]) > 0, 'vigil ui --port 0 prints the chosen port', base);

    browser = await launchBrowser(chromium, args);
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.setDefaultTimeout(TIMEOUT_MS);
    const dialogs = [];
    const consoleErrors = [];
    const foreignRequests = [];
    page.on('dialog', (dialog) => { dialogs.push(dialog.message()); dialog.dismiss().catch(() => {}); });
    page.on('console', (msg) => { if (msg.type() === 'error') consoleErrors.push(msg.text()); });
    page.on('pageerror', (error) => consoleErrors.push(`pageerror: ${error.message}`));
    page.on('request', (request) => { if (!request.url().startsWith(base)) foreignRequests.push(request.url()); });

    // --- runs table ---------------------------------------------------------------------------
    await page.goto(base);
    await page.waitForSelector('table.runs tbody tr');
    const rows = await page.locator('table.runs tbody tr').count();
    check(rows === 50, 'runs table shows the first page of 50 rows', `got ${rows}`);
    const summary = await page.locator('.toolbar .summary').textContent();
    check(/of 74$/.test(summary), 'runs table counts all 74 runs', summary);
    const liveRow = page.locator(`tr[data-run-id="${ids.live}"]`);
    check((await liveRow.locator('.badge').first().textContent()) === 'running',
          'a run being written right now is shown as running');
    await page.screenshot({ path: path.join(args.artifacts, 'runs.png'), fullPage: false });

    // Search by name (typed, debounced) finds the crashed run; its status says so.
    await page.fill('input[aria-label="Search name"]', 'crashed');
    await page.waitForFunction(() => document.querySelectorAll('table.runs tbody tr').length === 1);
    const crashedRow = page.locator(`tr[data-run-id="${ids.crashed}"]`);
    check((await crashedRow.locator('.badge').first().textContent()) === 'crashed',
          'searching by name works and a run whose process died is shown as crashed');
    check(page.url().includes('name=crashed'), 'the search text is in the URL', page.url());
    await page.goto(`${base}#/runs`);
    await page.waitForFunction(() => document.querySelectorAll('table.runs tbody tr').length === 50);

    // Filter by tag through the tag input.
    await page.fill('input[aria-label="Tag filter"]', 'sgd');
    await page.press('input[aria-label="Tag filter"]', 'Enter');
    await page.waitForFunction(() => document.querySelectorAll('table.runs tbody tr').length === 2);
    const names = await page.locator('table.runs tbody td.name a').allTextContents();
    check(JSON.stringify(names.sort()) === JSON.stringify(['diverged', 'sgd-high-lr']),
          'filtering by tag sgd leaves its two runs', names.join(','));
    check(page.url().includes('tag=sgd'), 'the tag filter is in the URL', page.url());
    // The URL alone reproduces the view (shareable / reloadable).
    await page.reload();
    await page.waitForFunction(() => document.querySelectorAll('table.runs tbody tr').length === 2);
    check((await page.locator('table.runs tbody tr').count()) === 2 && page.url().includes('tag=sgd'),
          'reloading the filtered URL shows the same two runs', page.url());

    // Pick param columns: two clicks in the open panel, both become columns (and URL state).
    await page.goto(`${base}#/runs?experiment=mnist`);
    await page.waitForFunction(() => document.querySelectorAll('table.runs tbody tr').length === 5);
    await page.click('details.columns summary');
    await page.locator('.columns-panel label.check', { hasText: /^seed$/ }).locator('input').check();
    await page.waitForFunction(() => location.hash.includes('pcol=seed'));
    await page.locator('.columns-panel label.check', { hasText: /^epochs$/ }).locator('input').check();
    await page.waitForFunction(() => location.hash.includes('pcol=epochs'));
    await page.waitForFunction(() => [...document.querySelectorAll('table.runs thead th')].map((th) => th.textContent).join('|').includes('epochs'));
    const headers = await page.locator('table.runs thead th').allTextContents();
    check(headers.includes('seed') && headers.includes('epochs'), 'chosen param columns are shown', headers.join('|'));
    await page.click('details.columns summary');

    // Metric condition and sort by a param column, via the URL.
    await page.goto(`${base}#/runs?experiment=mnist&sort=param:optimizer.lr&order=desc&metric=${encodeURIComponent('accuracy{subset=val} > 0.5')}`);
    // The previous view also had two rows: wait for the new listing, not just a row count.
    await page.waitForFunction(() => [...document.querySelectorAll('table.runs tbody td.name a')]
      .map((a) => a.textContent).join(',') === 'sgd-high-lr,baseline-adam').catch(() => {});
    const sorted = await page.locator('table.runs tbody td.name a').allTextContents();
    check(JSON.stringify(sorted) === JSON.stringify(['sgd-high-lr', 'baseline-adam']),
          'metric condition filters and param column sorts', sorted.join(','));

    // --- XSS probe ----------------------------------------------------------------------------
    await page.goto(`${base}#/runs?tag=xss`);
    await page.waitForFunction(() => document.querySelectorAll('table.runs tbody tr').length === 1 &&
      document.querySelector('table.runs tbody tr td.name a').title.length === 32);
    await page.waitForFunction((id) => document.querySelector(`tr[data-run-id="${id}"]`), ids.xss);
    const xssName = await page.locator('table.runs tbody td.name a').textContent();
    check(xssName === '<img src=x onerror=alert(1)>', 'a run named like HTML shows those characters', xssName);
    check(await page.locator('main img').count() === 0, 'no element is created from a run name');
    await page.goto(`${base}#/run/${ids.xss}`);
    await page.waitForSelector('.run-name');
    check((await page.locator('.run-name').textContent()) === '<img src=x onerror=alert(1)>',
          'the run page shows the name literally');
    check((await page.locator('.params').textContent()).includes('<script>alert(2)</script>'),
          'params show markup as text');
    await sleep(300);
    check(dialogs.length === 0, 'no alert/dialog fired', dialogs.join(','));

    // --- metrics explorer: two runs, two lines -------------------------------------------------
    await page.goto(`${base}#/explore?run=${ids.baseline}&run=${ids.sgd}&metric=loss`);
    const chart = page.locator('.chart[data-metric="loss"]');
    await page.waitForSelector('.chart[data-metric="loss"] canvas');
    check((await chart.getAttribute('data-lines')) === '2', 'explorer draws one line per run',
          await chart.getAttribute('data-lines'));
    const legend = await chart.locator('.u-legend .u-series').count();
    check(legend === 3, 'the legend lists x plus both runs', `got ${legend}`);
    const colours = await chart.locator('canvas').evaluate((canvas) => {
      const ctx = canvas.getContext('2d');
      const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height);
      const near = (i, r, g, b) => Math.abs(data[i] - r) < 40 && Math.abs(data[i + 1] - g) < 40 && Math.abs(data[i + 2] - b) < 40 && data[i + 3] > 100;
      let blue = 0;
      let red = 0;
      for (let i = 0; i < data.length; i += 4) {
        if (near(i, 0x1f, 0x77, 0xb4)) blue++;
        if (near(i, 0xd6, 0x27, 0x28)) red++;
      }
      return { blue, red };
    });
    check(colours.blue > 200 && colours.red > 200, 'both lines are painted on the canvas', JSON.stringify(colours));
    // Hover shows values.
    const box = await chart.locator('.u-over').boundingBox();
    await page.mouse.move(box.x + box.width * 0.3, box.y + box.height * 0.5);
    await sleep(200);
    const values = await chart.locator('.u-legend .u-series .u-value').allTextContents();
    check(values.length === 3 && values.slice(1).every((v) => /\d/.test(v)), 'hovering shows each run\'s value', values.join(' | '));
    // Controls: x axis by epoch, smoothing and log scale end up in the URL and keep two lines.
    await page.selectOption('select[aria-label="X axis"]', 'epoch');
    await page.waitForFunction(() => location.hash.includes('x=epoch'));
    await page.check('input[aria-label="Log scale"]');
    await page.waitForFunction(() => location.hash.includes('log=1'));
    await page.locator('input[aria-label="Smoothing"]').fill('0.6');
    await page.waitForFunction(() => location.hash.includes('smooth=0.6'));
    await page.waitForSelector('.chart[data-metric="loss"][data-lines="2"] canvas');
    const hash = new URL(page.url()).hash;
    check(hash.includes('x=epoch') && hash.includes('log=1') && hash.includes('smooth=0.6'),
          'x axis, log scale and smoothing are kept in the URL', hash);
    await page.mouse.move(0, 0);
    await page.screenshot({ path: path.join(args.artifacts, 'explorer.png') });

    // Live updates while a shown run is running.
    await page.goto(`${base}#/explore?run=${ids.live}&metric=loss`);
    await page.waitForSelector('.chart[data-metric="loss"][data-lines="1"] canvas');
    const before = Number(await page.locator('.chart[data-metric="loss"]').getAttribute('data-points'));
    await sleep(4500);
    const after = Number(await page.locator('.chart[data-metric="loss"]').getAttribute('data-points'));
    check(after > before, 'the chart of a running run grows by itself', `${before} -> ${after}`);

    // --- run page -----------------------------------------------------------------------------
    await page.goto(`${base}#/run/${ids.sgd}`);
    await page.waitForSelector('.validation .verdict-line');
    check((await page.locator('.validation .badge').first().textContent()) === 'FAIL', 'run page shows the FAIL verdict');
    const severities = await page.locator('.validation .severity h4').allTextContents();
    check(JSON.stringify(severities) === JSON.stringify(['error (1)', 'warning (1)']),
          'violations are grouped by severity', severities.join(','));
    await page.waitForFunction(() => document.querySelectorAll('.run-view .chart canvas').length === 2);
    check((await page.locator('.run-view .chart canvas').count()) === 2,
          'run page draws each of its metrics as a small chart');
    check((await page.locator('.params').textContent()).includes('momentum'), 'params are shown as a tree');
    // Verdict tags (served by /api/meta) show without a remove button; other tags have one.
    const verdictTags = (await page.evaluate(async () => (await (await fetch('/api/meta')).json()).verdict_tags));
    const removable = await page.locator('.run-tags button.chip-x').evaluateAll((buttons) => buttons.map((b) => b.title));
    check(verdictTags.includes('validated') && !removable.some((title) => verdictTags.some((tag) => title === `Remove tag ${tag}`)) &&
          removable.length > 0, 'verdict tags from /api/meta have no remove button', removable.join(','));
    // Tags: add then remove.
    await page.fill('input[aria-label="New tag"]', 'e2e-tag');
    await page.press('input[aria-label="New tag"]', 'Enter');
    await page.waitForSelector('.run-tags .chip a:text-is("e2e-tag")');
    const apiTags = await page.evaluate(async (id) => (await (await fetch(`/api/runs/${id}`)).json()).tags, ids.sgd);
    check(apiTags.includes('e2e-tag'), 'adding a tag on the run page stores it');
    await page.click('button[title="Remove tag e2e-tag"]');
    await page.waitForSelector('.run-tags .chip a:text-is("e2e-tag")', { state: 'detached' });
    const tagsAfter = await page.evaluate(async (id) => (await (await fetch(`/api/runs/${id}`)).json()).tags, ids.sgd);
    check(!tagsAfter.includes('e2e-tag') && tagsAfter.includes('sgd'), 'removing a tag on the run page removes only it', tagsAfter.join(','));
    await page.screenshot({ path: path.join(args.artifacts, 'run.png'), fullPage: true });

    await page.goto(`${base}#/run/${ids.failed}`);
    await page.waitForSelector('.run-error');
    check((await page.locator('.run-error').textContent()).includes('loss became NaN at step 3'), 'a failed run shows its error');

    // --- compare ------------------------------------------------------------------------------
    await page.goto(`${base}#/compare?run=${ids.baseline}&run=${ids.sgd}`);
    await page.waitForSelector('table.compare tr.diff');
    const diffRows = await page.locator('table.compare tr.diff th').allTextContents();
    const sameRows = await page.locator('table.compare tr:not(.diff):not(.section) th').allTextContents();
    check(diffRows.includes('optimizer.lr') && sameRows.includes('epochs'),
          'compare highlights differing params only', `diff=${diffRows.join(',')}`);
    await page.waitForSelector('.compare-view .chart canvas');
    const compareLines = await page.locator('.compare-view .chart').first().getAttribute('data-lines');
    check(compareLines === '2', 'compare overlays the runs\' curves', compareLines);
    await page.screenshot({ path: path.join(args.artifacts, 'compare.png'), fullPage: true });

    await checkRunsLayout(page, base);
    await checkLiveRow(page, base, ids);
    await checkCompareOfMnistRuns(page, base, ids);
    await checkZoom(page, base, ids);
    await checkGrouping(page, base, ids);
    await checkFiftyRuns(page, base);
    await checkParamsExplorer(page, base);
    await checkBulkTagsAndExport(page, base, ids);
    await checkRunPage(page, base, ids);
    await checkRanks(page, base, ids);
    await checkKeyboardAndDarkMode(page, base);
    await checkRunsWithoutPoints(page, base, ids);

    check(consoleErrors.length === 0, 'no console errors (CSP violations included)', consoleErrors.join(' | '));
    check(foreignRequests.length === 0, 'the page requests nothing from other origins', foreignRequests.join(','));
    await checkUnknownRun(page, base);

    // --- token mode, on an empty store ---------------------------------------------------------
    const emptyStore = path.join(dir, 'empty.db');
    await startAndWaitFor(args.fixture, [emptyStore, '--no-demo'], /^\{\}$/);
    const guarded = await startAndWaitFor(args.vigil, ['--store', emptyStore, 'ui', '--port', '0', '--token', 'e2e-secret'], /at (http:\/\/127\.0\.0\.1:\d+\/#token=e2e-secret)/);
    processes.push(guarded.child);
    const tokenPage = await browser.newPage();
    await tokenPage.goto(guarded.match[1]);
    await tokenPage.waitForSelector('.empty-store:not([hidden]) .command');
    const emptyText = await tokenPage.locator('.empty-store').textContent();
    check(emptyText.includes(emptyStore) && emptyText.includes(`vigil-mnist --store ${emptyStore}`),
          'an empty store shows its location and the command that records a first run', emptyText);
    check(!tokenPage.url().includes('e2e-secret'), 'with --token the page takes the token from the URL and hides it');
    const denied = await tokenPage.evaluate(async () => (await fetch('/api/runs')).status);
    check(denied === 403, 'API calls without the token are refused', String(denied));
    guarded.child.kill('SIGINT');

    // --- clean stop ---------------------------------------------------------------------------
    server.child.kill('SIGINT');
    const code = await waitExit(server.child, 5000);
    check(code === 0, 'vigil ui stops cleanly on SIGINT', String(code));
  } finally {
    if (browser) await browser.close().catch(() => {});
    for (const child of processes) if (child.exitCode === null) child.kill('SIGTERM');
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().then(() => {
  const failures = failureCount();
  console.log(failures === 0 ? `PASS: vigil ui e2e (screenshots in ${args.artifacts})` : `FAIL: ${failures} check(s) failed`);
  process.exit(failures === 0 ? 0 : 1);
}, (error) => {
  console.log(`not ok - e2e aborted: ${error.stack || error}`);
  process.exit(1);
});
