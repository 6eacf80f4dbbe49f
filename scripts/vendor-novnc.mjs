#!/usr/bin/env node
/*
 * Makes web/vendor/novnc/rfb.js from the @novnc/novnc npm package: the
 * package ships CommonJS (lib/, each file require()s its neighbours by
 * relative path) and the consoles load ES modules with no build step, so
 * its files are put, unchanged, into one ES module with a small require()
 * of their own. A file with a top-level await (lib/util/browser.js probes
 * the browser's H.264 decoder so) becomes an async factory, run and awaited
 * at the module's top level before anything requires it. The module's
 * default export is noVNC's RFB class.
 *
 *   node scripts/vendor-novnc.mjs NOVNC_PACKAGE_DIR OUT_FILE
 */
import { readFileSync, readdirSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { join, relative, dirname } from 'node:path';

const [pkg, out] = process.argv.slice(2);
if (!pkg || !out) {
  console.error('usage: vendor-novnc.mjs NOVNC_PACKAGE_DIR OUT_FILE');
  process.exit(2);
}
const lib = join(pkg, 'lib');
const version = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8')).version;

function files(dir) {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const p = join(dir, name);
      return statSync(p).isDirectory() ? files(p) : name.endsWith('.js') ? [p] : [];
    });
}

let text = `/* noVNC ${version} (https://github.com/novnc/noVNC, MPL-2.0: see LICENSE.txt),
 * its CommonJS files (lib/) in one ES module, made by scripts/vendor-novnc.mjs. */
const factories = {};
`;
const early = [];
for (const f of files(lib)) {
  /* Named from the package's folder: some files reach lib/vendor/ as
   * "../lib/vendor/...". */
  const name = relative(pkg, f).split('\\').join('/');
  const source = readFileSync(f, 'utf8');
  /* babel's output indents everything inside a function: an await on an
   * unindented line is a top-level one. */
  const topAwait = /^[^\s/*].*\bawait\b/m.test(source);
  if (topAwait) early.push(name);
  text += `factories[${JSON.stringify(name)}] = ${topAwait ? 'async ' : ''}function (require, module, exports) {\n`;
  text += source;
  text += '\n};\n';
}
text += `
const cache = {};
function load(name) {
  if (cache[name]) return cache[name].exports;
  const factory = factories[name];
  if (!factory) throw new Error('noVNC: no module ' + name);
  const module = { exports: {} };
  cache[name] = module;
  const dir = name.includes('/') ? name.slice(0, name.lastIndexOf('/')) : '';
  factory((p) => load(resolve(dir, p)), module, module.exports);
  return module.exports;
}
async function loadEarly(name) {
  const module = { exports: {} };
  cache[name] = module;
  const dir = name.includes('/') ? name.slice(0, name.lastIndexOf('/')) : '';
  await factories[name]((p) => load(resolve(dir, p)), module, module.exports);
}
function resolve(dir, p) {
  const parts = dir ? dir.split('/') : [];
  for (const seg of p.split('/')) {
    if (seg === '..') parts.pop();
    else if (seg !== '.' && seg !== '') parts.push(seg);
  }
  return parts.join('/');
}
${early.map((n) => `await loadEarly(${JSON.stringify(n)});`).join('\n')}
const RFB = load('lib/rfb.js').default;
export default RFB;
`;
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, text);

