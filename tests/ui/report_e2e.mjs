#!/usr/bin/env node
// Browser end-to-end test of `vigil report --format html`: demo runs written by
// vigil_ui_fixture are validated, one rule is waived, the report is written to a file and
// opened from disk in Debian's Chromium (playwright-core). Checks what a reader sees (tiles,
// three inline SVG charts actually rendered, worst runs, waivers, policies) and that the page
// loads nothing from anywhere. Keeps a full-page screenshot as a test artifact.
//
//   node report_e2e.mjs --vigil PATH --fixture PATH [--chromium /usr/bin/chromium] [--artifacts DIR]
//
// Prints "ok - ..." / "not ok - ..." per check; exits 1 on any failure, 77 (ctest: skipped,
// with the reason printed) when Chromium or playwright-core is missing.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

import { TIMEOUT_MS, check, failureCount, launchBrowser, loadChromium, parseArgs } from './e2e_support.mjs';

const args = parseArgs('report_e2e.mjs', 'vigil-report-e2e');
const chromium = loadChromium(args);

/** Runs the vigil binary; returns stdout. Exit codes in `allowed` are fine. */
function vigil(store, argv, allowed = [0]) {
  try {
    return execFileSync(args.vigil, ['--store', store, ...argv], { encoding: 'utf8', env: { ...process.env, TZ: 'UTC' } });
  } catch (error) {
    if (allowed.includes(error.status)) return error.stdout;
    throw new Error(`vigil ${argv.join(' ')} exited ${error.status}: ${error.stderr}`);
  }
}

async function main() {
  fs.mkdirSync(args.artifacts, { recursive: true });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-report-e2e-'));
  const store = path.join(dir, 'store.db');
  let browser = null;
  try {
    const ids = JSON.parse(execFileSync(args.fixture, [store, '--bulk', '30'], { encoding: 'utf8' }).trim().split('\n').pop());
    vigil(store, ['validate', '--status', 'finished'], [0, 1]);
    vigil(store, ['waive', ids.baseline, 'min-epochs', '--reason', 'demo run, approved', '--by', 'platform-team']);
    vigil(store, ['validate', ids.baseline], [0, 1]);
    const file = path.join(dir, 'report.html');
    vigil(store, ['report', '--format', 'html', '--output', file, '--title', 'Q4 compliance']);
    check(fs.statSync(file).size > 1000, 'vigil report writes an HTML file');

    browser = await launchBrowser(chromium, args);
    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    page.setDefaultTimeout(TIMEOUT_MS);
    const requests = [];
    const consoleErrors = [];
    page.on('request', (request) => requests.push(request.url()));
    page.on('console', (msg) => { if (msg.type() === 'error') consoleErrors.push(msg.text()); });
    page.on('pageerror', (error) => consoleErrors.push(`pageerror: ${error.message}`));
    const url = pathToFileURL(file).href;
    await page.goto(url);

    check((await page.title()) === 'Q4 compliance', 'the page has the given title');
    const runs = await page.locator('#runs').textContent();
    check(Number(runs) >= 30, 'the runs tile counts the selected runs', runs);
    const rate = await page.locator('#pass-rate').textContent();
    check(/^\d+(\.\d)?%$/.test(rate), 'the PASS rate tile shows a percentage', rate);
    const charts = page.locator('svg.chart');
    check(await charts.count() === 3, 'three inline SVG charts (over time, distribution, per rule)', String(await charts.count()));
    for (let i = 0; i < await charts.count(); i++) {
      const box = await charts.nth(i).boundingBox();
      check(box !== null && box.width > 200 && box.height > 50, `chart ${i + 1} is rendered with a size`, JSON.stringify(box));
    }
    const marks = await page.locator('svg.chart circle, svg.chart rect.bar').count();
    check(marks > 3, 'the charts draw their data points and bars', String(marks));
    const worstRows = await page.locator('#worst tr').count();
    check(worstRows >= 2, 'the worst runs are listed with their violations', String(worstRows));
    const waivers = await page.locator('#waivers').textContent();
    check(waivers.includes('demo run, approved') && waivers.includes('platform-team'),
          'the waiver in force is shown with its reason and owner', waivers);
    const policies = await page.locator('#policies').textContent();
    check(policies.includes('default') && policies.includes('2026.12'), 'the policy used is named with its version', policies);
    check(requests.length === 1 && requests[0] === url, 'the page requests nothing but itself', requests.join(', '));
    check(consoleErrors.length === 0, 'no console errors', consoleErrors.join('; '));
    const shot = path.join(args.artifacts, 'report.png');
    await page.screenshot({ path: shot, fullPage: true });
    check(fs.statSync(shot).size > 10000, 'a full-page screenshot is kept', shot);
    fs.copyFileSync(file, path.join(args.artifacts, 'report.html'));
  } finally {
    if (browser) await browser.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const failures = failureCount();
  console.log(failures === 0 ? `PASS: vigil report e2e (screenshot in ${args.artifacts})` : `FAIL: ${failures} check(s) failed`);
  process.exit(failures === 0 ? 0 : 1);
}

main().catch((error) => {
  console.log(`not ok - ${error.stack}`);
  process.exit(1);
});
