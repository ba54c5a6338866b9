#!/usr/bin/env node
// Browser end-to-end test of the dashboard's Governance page (issue 12): the real `vigil ui`
// serves a store with known governance records (vigil_ui_fixture --governance: six runs on
// three days, two policy versions, waivers, audit events), driven in Debian's Chromium through
// playwright-core. Checks the tiles, what the two uPlot charts draw, violations per rule and the
// runs behind a rule, waivers, audit events, the score bars of the runs table and compare view,
// and the run page's validation history. Keeps screenshots as test artifacts.
//
//   node governance_e2e.mjs --vigil PATH --fixture PATH [--chromium /usr/bin/chromium] [--artifacts DIR]
//
// Prints "ok - ..." / "not ok - ..." per check; exits 1 on any failure, 77 (ctest: skipped,
// with the reason printed) when Chromium or playwright-core is missing.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';

import { TIMEOUT_MS, check, failureCount, launchBrowser, loadChromium, parseArgs } from './e2e_support.mjs';

const args = parseArgs('governance_e2e.mjs', 'vigil-governance-e2e');
const chromium = loadChromium(args);

/** Runs `command` and resolves with its first stdout line matching `pattern` (the process keeps running). */
function firstLine(command, argv, pattern, processes) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    processes.push(child);
    let stderr = '';
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => reject(new Error(`${command}: no output matching ${pattern} (${stderr})`)), TIMEOUT_MS);
    readline.createInterface({ input: child.stdout }).on('line', (line) => {
      const match = line.match(pattern);
      if (match) {
        clearTimeout(timer);
        resolve(match);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code !== 0) reject(new Error(`${command} exited with ${code}: ${stderr}`));
    });
  });
}

const text = async (page, selector) => (await page.locator(selector).textContent()).trim();
const values = async (page, selector) => JSON.parse(await page.locator(selector).getAttribute('data-values'));
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

async function checkGovernancePage(page, base, ids) {
  await page.goto(`${base}#/governance`);
  await page.waitForSelector('.tile[data-tile="runs"]');
  check(await text(page, '.tile[data-tile="runs"] .tile-value') === '6', 'the runs tile counts the six runs');
  check(await text(page, '.tile[data-tile="validated"] .tile-value') === '5', 'five of them are validated');
  check(await text(page, '.tile[data-tile="pass-rate"] .tile-value') === '60.0%', 'PASS rate 60.0% (3 of 5 latest verdicts)',
        await text(page, '.tile[data-tile="pass-rate"] .tile-value'));
  const mean = page.locator('.tile[data-tile="mean-score"] .scorebar');
  check(await mean.getAttribute('aria-valuenow') === '70' && (await mean.getAttribute('class')).includes('score-fair'),
        'the mean score 70 is shown as an amber bar', await mean.getAttribute('aria-label'));
  check(await text(page, '.tile[data-tile="waivers"] .tile-value') === '2', 'two waivers are in force (one was revoked)');

  await page.waitForSelector('.compliance-chart canvas');
  check(same(await values(page, '.compliance-chart'), [[50, 100, 0], [70, 95, 20]]),
        'compliance over time draws PASS rate and mean score of the three days', JSON.stringify(await values(page, '.compliance-chart')));
  const box = await page.locator('.compliance-chart canvas').first().boundingBox();
  check(box !== null && box.width > 250 && box.height > 100, 'the compliance chart is drawn with a size', JSON.stringify(box));
  check(same(await values(page, '.histogram-chart'), [[0, 0, 1, 0, 1, 0, 0, 0, 0, 3]]),
        'the score distribution has one bar per range: 20, 40 and three in 90-100', JSON.stringify(await values(page, '.histogram-chart')));
  check(await page.locator('.histogram-chart canvas').count() > 0, 'the score distribution is drawn');

  const rules = await page.locator('table.rules tbody tr').evaluateAll((rows) => rows.map((r) => [...r.cells].map((c) => c.textContent)));
  check(same(rules.map((r) => r[0]), ['lr-range', 'min-epochs', 'nan-loss', 'docs', 'new-rule']),
        'rules are listed with the most counted violations first', JSON.stringify(rules));
  check(same(rules[0], ['lr-range', '2', '1', '0', '0', '3']), 'lr-range: 2 counted, 1 waived, 3 runs', JSON.stringify(rules[0]));
  check(same(rules[4], ['new-rule', '0', '0', '1', '0', '1']), 'new-rule: reported in audit mode only', JSON.stringify(rules[4]));
  await page.locator('table.rules tr[data-rule="lr-range"]').click();
  await page.waitForSelector('table.rule-runs-table tbody tr');
  check(page.url().includes('rule=lr-range'), 'clicking a rule keeps it in the URL', page.url());
  const broke = await page.locator('table.rule-runs-table tbody tr').evaluateAll((rows) =>
    rows.map((r) => [r.dataset.runId, r.cells[0].textContent, r.cells[4].textContent]));
  check(same(broke.map((r) => r[1]).sort(), ['a-fail-lr', 'a-waived', 'b-fail']), 'the runs that broke lr-range are listed', JSON.stringify(broke));
  check(broke.some((r) => r[0] === ids.waived && r[2] === 'waived'), 'the waived run is marked waived', JSON.stringify(broke));
  check(await page.locator(`table.rule-runs-table tr[data-run-id="${ids.fail}"] .scorebar.score-poor`).count() === 1,
        'each run shows its score as a bar (40: red)');

  const waivers = await page.locator('table.waivers').textContent();
  check(waivers.includes('lr sweep approved by the platform team') && waivers.includes('alice') &&
        waivers.includes('experiment gov-b') && !waivers.includes('granted by mistake'),
        'the waivers in force are listed with reason and owner, the revoked one not', waivers);
  const actions = await page.locator('table.audit tbody tr').evaluateAll((rows) => rows.map((r) => r.dataset.action));
  check(actions[0] === 'validation' && actions.includes('waiver.revoked') && actions.includes('waiver.granted') &&
        actions.includes('policy.stored'), 'recent audit events are listed newest first', actions.join(','));
  await page.screenshot({ path: path.join(args.artifacts, 'governance.png'), fullPage: true });

  await page.locator('select[aria-label="Group by"]').selectOption('week');
  await page.waitForFunction(() => document.querySelector('.compliance-chart').dataset.values === '[[75,0],[82.5,20]]');
  check(page.url().includes('bucket=week'), 'per week: two weeks (Monday 2026-11-23 and 2026-11-30)');
  await page.locator('select[aria-label="Experiment"]').selectOption('gov-b');
  await page.waitForFunction(() => document.querySelector('.tile[data-tile="validated"] .tile-value').textContent === '1');
  check(await text(page, '.tile[data-tile="pass-rate"] .tile-value') === '0.0%', 'one experiment: gov-b has PASS rate 0.0%');
}

async function checkScoreBarsAndHistory(page, base, ids) {
  await page.goto(`${base}#/runs`);
  await page.waitForSelector(`tr[data-run-id="${ids.fail}"] .scorebar`);
  const bar = page.locator(`tr[data-run-id="${ids.fail}"] .scorebar`);
  check(await bar.getAttribute('aria-valuenow') === '40' && (await bar.getAttribute('class')).includes('score-poor'),
        'the runs table shows scores as coloured bars (40: red)');
  check(await page.locator(`tr[data-run-id="${ids.pass}"] .scorebar.score-good`).count() === 1, 'a score of 100 is green');
  const headers = await page.locator('table.runs thead th').allTextContents();
  check(headers.some((h) => h.startsWith('Verdict')) && headers.some((h) => h.startsWith('Score')),
        'Verdict and Score columns are shown by default', headers.join('|'));

  await page.goto(`${base}#/run/${ids.waived}`);
  await page.waitForSelector('ol.validation-history > li');
  const history = await page.locator('ol.validation-history > li').evaluateAll((items) => items.map((li) => ({
    verdict: li.dataset.verdict, policy: li.querySelector('.policy').textContent,
    waived: [...li.querySelectorAll('li.outcome-waived')].map((v) => v.textContent) })));
  check(history.length === 2, 'the run page lists both validations of the run', JSON.stringify(history));
  check(history[0].verdict === 'PASS' && history[0].policy === 'team-policy 2026.12' &&
        history[1].verdict === 'FAIL' && history[1].policy === 'team-policy 2026.11',
        'newest first, each with its policy version', JSON.stringify(history));
  check(history[0].waived.length === 1 && history[0].waived[0].includes('waived: lr sweep approved by the platform team (alice'),
        'the waived violation is marked with its reason and owner', JSON.stringify(history[0].waived));
  check(await page.locator('.validation .verdict-line .scorebar[aria-valuenow="90"]').count() === 1,
        'the latest validation shows its score as a bar');
  await page.locator('ol.validation-history > li').nth(1).locator('details.policy-details summary').click();
  await page.waitForFunction(() => document.querySelectorAll('pre.policy-text')[1].textContent.includes('"version"'));
  const policyText = await page.locator('pre.policy-text').nth(1).textContent();
  check(policyText.includes('"version": "2026.11"'), 'the older verdict opens the exact policy text that produced it', policyText);
  await page.screenshot({ path: path.join(args.artifacts, 'validation_history.png'), fullPage: true });

  await page.goto(`${base}#/compare?run=${ids.pass}&run=${ids.b_fail}`);
  await page.waitForSelector('table.compare .scorebar');
  const compared = await page.locator('table.compare .scorebar').evaluateAll((bars) => bars.map((b) => b.getAttribute('aria-valuenow')));
  check(same(compared, ['100', '20']), 'the compare view shows both scores as bars', JSON.stringify(compared));
}

async function main() {
  fs.mkdirSync(args.artifacts, { recursive: true });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-governance-e2e-'));
  const store = path.join(dir, 'store.db');
  const processes = [];
  let browser = null;
  try {
    const ids = JSON.parse((await firstLine(args.fixture, [store, '--no-demo', '--governance'], /^\{.*\}$/, processes))[0]).governance;
    const base = (await firstLine(args.vigil, ['--store', store, 'ui', '--port', '0'], /at (http:\/\/127\.0\.0\.1:\d+\/)/, processes))[1];
    browser = await launchBrowser(chromium, args);
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.setDefaultTimeout(TIMEOUT_MS);
    const consoleErrors = [];
    page.on('console', (msg) => { if (msg.type() === 'error') consoleErrors.push(msg.text()); });
    page.on('pageerror', (error) => consoleErrors.push(`pageerror: ${error.message}`));
    await checkGovernancePage(page, base, ids);
    await checkScoreBarsAndHistory(page, base, ids);
    check(consoleErrors.length === 0, 'no console errors', consoleErrors.join('; '));
  } finally {
    if (browser) await browser.close().catch(() => {});
    for (const child of processes) if (child.exitCode === null) child.kill('SIGTERM');
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const failures = failureCount();
  console.log(failures === 0 ? `PASS: governance e2e (screenshots in ${args.artifacts})` : `FAIL: ${failures} check(s) failed`);
  process.exit(failures === 0 ? 0 : 1);
}

main().catch((error) => {
  console.log(`not ok - governance e2e aborted: ${error.stack || error}`);
  process.exit(1);
});
