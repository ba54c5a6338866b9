// What the browser end-to-end tests (e2e.mjs, report_e2e.mjs, governance_e2e.mjs) share: their
// command line, finding Chromium and playwright-core (or skipping), and counting checks.

import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** ctest's SKIP_RETURN_CODE: Chromium or playwright-core is missing. */
export const SKIP = 77;
/** How long a page wait may take. */
export const TIMEOUT_MS = 15000;

/**
 * --vigil PATH --fixture PATH [--chromium PATH] [--artifacts DIR] of `script` (artifacts default
 * to a folder `artifactsName` in the temporary directory); exits 2 with the usage otherwise.
 */
export function parseArgs(script, artifactsName) {
  const args = { chromium: '/usr/bin/chromium', artifacts: path.join(os.tmpdir(), artifactsName) };
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, '');
    if (!(key in { vigil: 1, fixture: 1, chromium: 1, artifacts: 1 }) || argv[i + 1] === undefined) {
      console.error(`${script}: bad argument ${argv[i]}`);
      process.exit(2);
    }
    args[key] = argv[i + 1];
  }
  if (!args.vigil || !args.fixture) {
    console.error(`usage: node ${script} --vigil PATH --fixture PATH [--chromium PATH] [--artifacts DIR]`);
    process.exit(2);
  }
  return args;
}

/** playwright-core's `chromium`; exits SKIP with the reason when Chromium or playwright-core is missing. */
export function loadChromium(args) {
  if (!fs.existsSync(args.chromium)) {
    console.log(`SKIP: no Chromium at ${args.chromium} (scripts/bootstrap.sh installs Debian's chromium)`);
    process.exit(SKIP);
  }
  try {
    // createRequire honours NODE_PATH (ctest points it at cli/ui/web/node_modules).
    return createRequire(import.meta.url)('playwright-core').chromium;
  } catch (error) {
    console.log(`SKIP: playwright-core not found (run npm ci in cli/ui/web): ${error.message}`);
    return process.exit(SKIP);
  }
}

/** Debian's Chromium, headless, without anything that talks to the network by itself. */
export function launchBrowser(chromium, args) {
  return chromium.launch({
    executablePath: args.chromium,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

let failures = 0;

/** Prints "ok - NAME" or "not ok - NAME: DETAIL" and counts the failure. */
export function check(condition, name, detail = '') {
  if (condition) {
    console.log(`ok - ${name}`);
  } else {
    failures++;
    console.log(`not ok - ${name}${detail ? `: ${detail}` : ''}`);
  }
}

/** Checks failed so far. */
export function failureCount() {
  return failures;
}
