#!/usr/bin/env node
// Page benchmark of the dashboard: time from navigation to the first rows of the runs table in
// headless Chromium, with a store of 10,000 runs. Target: under 1.5 s.
//
//   NODE_PATH=cli/ui/web/node_modules node bench/ui_page_bench.mjs --vigil build/cli/vigil \
//     --fixture build/tests/ui/vigil_ui_fixture [--store /tmp/vigil-ui-bench/store.db] \
//     [--chromium /usr/bin/chromium] [--repeat 5]
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
    await context.close();
  }
} finally {
  await browser.close();
  server.kill('SIGINT');
}
const sorted = [...times].sort((a, b) => a - b);
const median = sorted[Math.floor(sorted.length / 2)];
console.log(`runs page, 10,000 runs: median ${median.toFixed(0)} ms, min ${sorted[0].toFixed(0)} ms, max ${sorted[sorted.length - 1].toFixed(0)} ms (target < 1500 ms)`);
process.exit(sorted[sorted.length - 1] < 1500 ? 0 : 1);
