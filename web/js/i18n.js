/*
 * The consoles' own words, from one JSON catalogue per language under
 * web/i18n/ (web/i18n/README.md says how to add one). Scenario texts
 * (titles, questions, messages) are not there: the server sends them in the
 * language the session asked for. The chosen language is remembered in
 * localStorage and followed by <html lang>, so screen readers and fonts
 * switch with it.
 *
 * Every catalogue listed in i18n/languages.json is loaded before any module
 * that imports this one runs (a top-level await), so t() is synchronous. A
 * key missing from a catalogue falls back to English; a key missing from
 * English shows itself (tests/browser/catalogues.test.mjs fails then).
 *
 * Elements carry data-i18n="key" (their text), data-i18n-placeholder,
 * data-i18n-label (aria-label) or data-i18n-title; apply() fills them in.
 */

const CATALOGUE_DIR = new URL('../i18n/', import.meta.url);

async function loadJson(name) {
  const reply = await fetch(new URL(name, CATALOGUE_DIR));
  if (!reply.ok) throw new Error(`${name}: HTTP ${reply.status}`);
  return reply.json();
}

/* [{code, name, complete}], in the order the language menus show them. */
export const LANGUAGES = await loadJson('languages.json').catch(() => [{ code: 'en', name: 'English', complete: true }]);

const STRINGS = Object.fromEntries(
  (
    await Promise.all(
      LANGUAGES.map(({ code }) =>
        loadJson(`${code}.json`).then(
          (strings) => [code, strings],
          () => null /* not served: the language is left out */
        )
      )
    )
  ).filter(Boolean)
);
if (!STRINGS.en) STRINGS.en = {};

const STORAGE_KEY = 'enshu:lang';
let current = initialLanguage();
const listeners = new Set();

function initialLanguage() {
  let saved = null;
  try {
    saved = localStorage.getItem(STORAGE_KEY);
  } catch {
    /* storage disabled: follow the browser */
  }
  if (saved && STRINGS[saved]) return saved;
  for (const wanted of navigator.languages || [navigator.language || 'en']) {
    const code = wanted.toLowerCase().split('-')[0];
    if (STRINGS[code]) return code;
  }
  return 'en';
}

export function lang() {
  return current;
}

/* The text for key in the current language, {name} replaced from params.
 * A key missing in the language falls back to English, a missing key shows itself. */
export function t(key, params = {}) {
  const text = STRINGS[current][key] ?? STRINGS.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (m, name) => (name in params ? String(params[name]) : m));
}

/* Fills every data-i18n* element under root with the current language. */
export function apply(root = document) {
  document.documentElement.lang = current;
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-placeholder]'))
    el.placeholder = t(el.dataset.i18nPlaceholder);
  for (const el of root.querySelectorAll('[data-i18n-label]'))
    el.setAttribute('aria-label', t(el.dataset.i18nLabel));
  for (const el of root.querySelectorAll('[data-i18n-title]')) el.title = t(el.dataset.i18nTitle);
}

/* Changes the language, remembers it and tells every listener. */
export function setLang(code) {
  if (!STRINGS[code] || code === current) return;
  current = code;
  try {
    localStorage.setItem(STORAGE_KEY, code);
  } catch {
    /* not remembered: still switched for this page */
  }
  apply();
  for (const fn of listeners) fn(code);
}

export function onLangChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/* A <select> of the languages, kept in step with setLang. */
export function languageSelect(select) {
  select.replaceChildren(
    ...LANGUAGES.filter(({ code }) => STRINGS[code]).map(({ code, name }) => {
      const o = document.createElement('option');
      o.value = code;
      o.textContent = name;
      o.lang = code;
      return o;
    })
  );
  select.value = current;
  select.addEventListener('change', () => setLang(select.value));
  onLangChange((code) => {
    select.value = code;
  });
}

/* Bytes as a short human size. */
export function formatSize(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/* Exercise milliseconds as T+h:mm:ss. */
export function formatClock(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return `T+${h}:${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}`;
}
