/*
 * The language catalogues (web/i18n/) against the consoles' code: every UI
 * string key the HTML pages (data-i18n, data-i18n-placeholder,
 * data-i18n-label, data-i18n-title) and the JavaScript modules (t('key'),
 * the literal keys a t() call chooses between, `key: '...'` handed to t()
 * later, and each family of keys built at run time, with the values it is
 * built from) use is in every complete catalogue; complete catalogues have
 * the same keys with the same {placeholders}; a partial catalogue
 * (languages.json: complete false) has only keys English has, with the same
 * placeholders. Needs Node.js only.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const WEB = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'web');
const read = (p) => readFileSync(join(WEB, p), 'utf8');
const languages = JSON.parse(read('i18n/languages.json'));
const catalogue = (code) => JSON.parse(read(`i18n/${code}.json`));
const complete = languages.filter((l) => l.complete).map((l) => l.code);
const placeholders = (text) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort().join(',');

/* Keys built at run time: the family, and every value it is built with
 * (what the protocol says the server sends, or the module's own list). */
const FAMILIES = {
  'phase.': ['ready', 'running', 'paused', 'ended'],
  'phase.closed.': ['ready', 'running', 'paused', 'ended'],
  'timeline.request.': ['asked', 'approved', 'refused'],
  'request.state.': ['asked', 'approved', 'refused'],
  'task.kind.': ['question', 'check', 'report'],
  'reports.status.': ['none', 'submitted', 'graded', 'feedback'],
  'node.state.': ['running', 'shut off', 'crashed', 'unknown'],
  'node.': ['restart', 'revert', 'restart.confirm.title', 'restart.confirm.text', 'revert.confirm.title', 'revert.confirm.text'],
  'inject.state.': ['pending', 'fired', 'failed', 'skipped'],
  'why.': ['held', 'node_down', 'due', 'manual', 'after', 'after.stuck', 'when', 'until', 'until.after', 'ended', 'ended.due', 'paused'],
  'events.group.': Object.keys(
    Function(`return ${read('js/events.js').match(/export const KIND_GROUPS = (\{[\s\S]*?\n\});/)[1]}`)()
  ),
  'event.': [
    'inject.begin', 'inject.fired', 'inject.failed', 'inject.skipped', 'inject.held', 'inject.unheld',
    'inject.released', 'inject.retried', 'check.passing', 'check.failing', 'answer', 'report', 'grade',
    'hint', 'penalty', 'broadcast', 'broadcast.team', 'instructor', 'node.up', 'node.down', 'request',
    'request.approved', 'request.refused'
  ],
  /* confirmKey in instructor.js */
  'inject.release.confirm.': ['title', 'text'],
  'inject.skip.confirm.': ['title', 'text'],
  'inject.retry.confirm.': ['title', 'text'],
  'error.code.': [...read('js/ui.js').match(/const ERROR_CODES = new Set\(\[([^\]]*)\]/)[1].matchAll(/'([a-z_]+)'/g)].map((m) => m[1])
};

/* The keys the pages and modules use: [key, where]. */
function usedKeys() {
  const used = [];
  for (const page of readdirSync(WEB).filter((f) => f.endsWith('.html'))) {
    for (const m of read(page).matchAll(/data-i18n(?:-placeholder|-label|-title)?="([^"]+)"/g)) used.push([m[1], page]);
  }
  const dynamic = new Set();
  for (const file of readdirSync(join(WEB, 'js')).filter((f) => f.endsWith('.js'))) {
    const src = read(`js/${file}`);
    /* t( not preceded by a name character or a dot: the catalogue's t. */
    for (const m of src.matchAll(/(?<![\w.$])t\(/g)) {
      let depth = 0;
      let arg = '';
      for (let i = m.index + 2; i < src.length; i++) {
        const c = src[i];
        if ('([{'.includes(c)) depth++;
        if (')]}'.includes(c)) {
          if (depth === 0) break;
          depth--;
        }
        if (c === ',' && depth === 0) break;
        arg += c;
      }
      for (const lit of arg.matchAll(/'([^']+)'/g)) if (/^[a-z_]+(\.[\w ]+)+$/.test(lit[1])) used.push([lit[1], file]);
      for (const tpl of arg.matchAll(/`([a-z_.]*)\$\{/g)) if (tpl[1]) dynamic.add(`${tpl[1]}|${file}`);
    }
    for (const m of src.matchAll(/\bkey: '([a-z_]+(?:\.[\w]+)+)'/g)) used.push([m[1], file]);
  }
  return { used, dynamic: [...dynamic].map((d) => d.split('|')) };
}

test('every language listed has its catalogue, English and Japanese complete', () => {
  for (const { code, name } of languages) {
    assert.ok(existsSync(join(WEB, 'i18n', `${code}.json`)), `web/i18n/${code}.json is missing`);
    assert.ok(name, `languages.json: ${code} has no name`);
  }
  assert.ok(complete.includes('en') && complete.includes('ja'));
  assert.ok(languages.some((l) => ['th', 'vi', 'id'].includes(l.code)), 'no ASEAN language');
});

test('every key the pages and modules use is in every complete catalogue', () => {
  const { used, dynamic } = usedKeys();
  assert.ok(used.length > 200, `only ${used.length} keys found: the scan is broken`);
  for (const code of complete) {
    const cat = catalogue(code);
    const missing = used.filter(([key]) => !(key in cat)).map(([key, where]) => `${key} (${where})`);
    assert.deepEqual([...new Set(missing)], [], `web/i18n/${code}.json lacks keys`);
    for (const [prefix, where] of dynamic) {
      const family = FAMILIES[prefix];
      assert.ok(family, `${where} builds keys from "${prefix}": list its values in FAMILIES`);
      for (const v of family) assert.ok(`${prefix}${v}` in cat, `web/i18n/${code}.json lacks ${prefix}${v} (${where})`);
    }
  }
});

test('complete catalogues have the same keys and placeholders; partial ones no others', () => {
  const en = catalogue('en');
  for (const { code, complete: full } of languages) {
    const cat = catalogue(code);
    if (full) assert.deepEqual(Object.keys(cat).sort(), Object.keys(en).sort(), `${code} and en differ in keys`);
    for (const [key, text] of Object.entries(cat)) {
      assert.ok(key in en, `${code}.json: ${key} is not an English key`);
      assert.equal(typeof text, 'string', `${code}.json: ${key}`);
      assert.equal(placeholders(text), placeholders(en[key]), `${code}.json: ${key} has other {placeholders}`);
    }
  }
});
