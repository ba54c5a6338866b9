#!/usr/bin/env node
// Page benchmark of the dashboard in headless Chromium, with a store of 10,000 runs and a
// 1,000,000-point series: time from navigation to the first rows of the runs table (target:
// under 1.5 s), to the params explorer drawn over 2,000 runs, and from a zoom to 1 % of the long
// series until its full-resolution points are drawn.
//
//   NODE_PATH=cli/ui/web/node_modules node bench/ui_page_bench.mjs --vigil build/cli/vigil \
//     --fixture build/tests/ui/vigil_ui_fixture [--store /tmp/vigil-ui-bench/store.db] \
//     [--chromium /usr/bin/chromium] [--repeat 5] [--runs-only 1]
//
// --runs-only 1 times the runs page alone (e.g. to compare with a build from before the params
// explorer and zoom existed).
//
// The store is generated with vigil_ui_fixture when missing (shared with vigil_bench_ui).

import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';

const args = { chromium: '/usr/bin/chromium', store: '/tmp/vigil-ui-bench/store.db', repeat: '5' };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i += 2) args[argv[i].replace(/^--/, '')] = argv[i + 1];
if (!args.vigil || !args.fixture) {
  console.error('usage: node ui_page_bench.mjs --vigil PATH --fixture PATH [--store PATH] [--chromium PATH] [--repeat N]');
  process.exit(2);
}
const { chromium } = createRequire(import.meta.url)('playwright-core');

if (!fs.existsSync(args.store)) {
  fs.mkdirSync(path.dirname(args.store), { recursive: true });
  console.log(`generating ${args.store} (10,000 runs + a 1,000,000-point series)...`);
  const made = spawnSync(args.fixture, [args.store, '--no-demo', '--bulk', '10000', '--long-points', '1000000'], { stdio: 'inherit' });
  if (made.status !== 0) process.exit(1);
}

const server = spawn(args.vigil, ['--store', args.store, 'ui', '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
const base = await new Promise((resolve, reject) => {
  readline.createInterface({ input: server.stdout }).on('line', (line) => {
    const match = line.match(/at (http:\/\/127\.0\.0\.1:\d+\/)/);
    if (match) resolve(match[1]);
  });
  server.on('exit', (code) => reject(new Error(`vigil ui exited with ${code}`)));
});

const browser = await chromium.launch({
  executablePath: args.chromium,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
         '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const times = [];
const explorerTimes = [];
const zoomTimes = [];
let longRun = null;
try {
  for (let i = 0; i < Number(args.repeat); i++) {
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });  // empty HTTP cache
    const page = await context.newPage();
    const start = performance.now();
    await page.goto(base);
    await page.waitForSelector('table.runs tbody tr');
    const elapsed = performance.now() - start;
    const rows = await page.locator('table.runs tbody tr').count();
    const summary = await page.locator('.toolbar .summary').textContent();
    const nav = await page.evaluate(() => {
      const entry = performance.getEntriesByType('navigation')[0];
      return { domContentLoaded: entry.domContentLoadedEventEnd, load: entry.loadEventEnd };
    });
    times.push(elapsed);
    console.log(`load ${i + 1}${i === 0 ? ' (first after server start)' : ''}: first ${rows} rows after ${elapsed.toFixed(0)} ms ` +
                `(DOMContentLoaded ${nav.domContentLoaded.toFixed(0)} ms; "${summary}")`);

    if (args['runs-only'] === '1') {
      await context.close();
      continue;
    }
    const explorerStart = performance.now();
    await page.goto(`${base}#/runs?pe=1`);
    await page.waitForFunction(() => document.querySelectorAll('.parallel-svg .run-line').length >= 2000);
    explorerTimes.push(performance.now() - explorerStart);

    longRun = longRun || (await page.evaluate(async () => (await (await fetch('/api/runs?name=long-series&limit=1')).json()).runs[0].id));
    await page.goto(`${base}#/explore?run=${longRun}&metric=loss`);
    await page.waitForSelector('.chart[data-metric="loss"] canvas');
    const box = await page.locator('.chart[data-metric="loss"] .u-over').boundingBox();
    await page.mouse.move(box.x + box.width * 0.5, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.51, box.y + box.height / 2, { steps: 3 });
    const zoomStart = performance.now();
    await page.mouse.up();
    await page.waitForSelector('.chart[data-metric="loss"][data-detail="fine"]');
    zoomTimes.push(performance.now() - zoomStart);
    console.log(`  params explorer over 2,000 runs: ${explorerTimes.at(-1).toFixed(0)} ms; zoom to 1 % drawn at full resolution: ` +
                `${zoomTimes.at(-1).toFixed(0)} ms (includes the 150 ms zoom debounce)`);
    await context.close();
  }
} finally {
  await browser.close();
  server.kill('SIGINT');
}
const medianOf = (list) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)];
if (explorerTimes.length) console.log(`params explorer, 2,000 of 10,000 runs drawn: median ${medianOf(explorerTimes).toFixed(0)} ms; ` +
            `zoom of the 1,000,000-point series: median ${medianOf(zoomTimes).toFixed(0)} ms`);
const sorted = [...times].sort((a, b) => a - b);
const median = sorted[Math.floor(sorted.length / 2)];
console.log(`runs page, 10,000 runs: median ${median.toFixed(0)} ms, min ${sorted[0].toFixed(0)} ms, max ${sorted[sorted.length - 1].toFixed(0)} ms (target < 1500 ms)`);
process.exit(sorted[sorted.length - 1] < 1500 ? 0 : 1);
