// index.html preloads every front-end module (one parallel fetch instead of an import
// waterfall): the list must name exactly the files of cli/ui/web/lib.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';

const web = new URL('../../../cli/ui/web/', import.meta.url);

test('index.html preloads exactly the modules of lib/', () => {
  const html = fs.readFileSync(new URL('index.html', web), 'utf8');
  const preloaded = [...html.matchAll(/<link rel="modulepreload" href="\/lib\/([^"]+)">/g)].map((m) => m[1]).sort();
  const modules = fs.readdirSync(new URL('lib/', web)).filter((f) => f.endsWith('.js')).sort();
  assert.deepEqual(preloaded, modules);
});
