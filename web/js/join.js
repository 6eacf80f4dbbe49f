/*
 * The join page: checks a team's join code and display name, or an
 * instructor's password, with one hello to the server, keeps the session
 * token the server gives for this browser tab (sessionStorage; never the
 * code or the password) and opens the matching console. A code in the
 * address (?code=XXXX-XXXX) is filled in for the trainee and taken out of
 * the address at once, so it stays in no history, bookmark or Referer.
 */

import { t, apply, lang, languageSelect, onLangChange } from './i18n.js';
import { tryHello, ProtocolError } from './connection.js';
import { saveLogin, savedLogin } from './ui.js';

const form = document.getElementById('join-form');
const code = document.getElementById('join-code');
const name = document.getElementById('join-name');
const password = document.getElementById('join-password');
const error = document.getElementById('join-error');
const submit = form.querySelector('[data-test=join-submit]');
const teamFields = document.getElementById('team-fields');
const instructorFields = document.getElementById('instructor-fields');

const CODE_RE = /^[A-Z0-9]{4}-[A-Z0-9]{4}$/;

apply();
languageSelect(document.getElementById('lang-select'));

function role() {
  return form.elements.role.value;
}

function showRole() {
  const instructor = role() === 'instructor';
  teamFields.hidden = instructor;
  instructorFields.hidden = !instructor;
}
for (const r of form.elements.role) r.addEventListener('change', showRole);

/* Typed codes are made upper case and get their dash; full-width letters
 * and digits (a Japanese input method) become their ASCII forms. */
code.addEventListener('input', () => {
  let v = code.value.normalize('NFKC').toUpperCase().replace(/[^A-Z0-9]/g, '').slice(0, 8);
  if (v.length > 4) v = `${v.slice(0, 4)}-${v.slice(4)}`;
  code.value = v;
});

const params = new URLSearchParams(location.search);
if (params.get('code')) {
  code.value = params.get('code').normalize('NFKC').toUpperCase();
  const rest = new URLSearchParams(params);
  rest.delete('code');
  const query = rest.toString();
  history.replaceState(null, '', `${location.pathname}${query ? `?${query}` : ''}${location.hash}`);
}
if (params.get('role') === 'instructor') {
  form.elements.role.value = 'instructor';
}
const previous = savedLogin();
if (previous && previous.role === 'team') name.value = previous.name || '';
showRole();

/* Why the last attempt failed, kept so a language change re-translates it. */
let lastError = null;
function showError(key, params) {
  lastError = key ? { key, params } : null;
  error.textContent = key ? t(key, params) : '';
  if (key === 'join.error.code') code.setAttribute('aria-invalid', 'true');
  else code.removeAttribute('aria-invalid');
}
onLangChange(() => {
  if (lastError && lastError.key !== 'raw') showError(lastError.key, lastError.params);
});
if (params.get('error')) showError('conn.failed', { message: params.get('error') });

function showServerError(err) {
  if (err instanceof ProtocolError) {
    if (err.code === 'rate_limited') {
      showError('join.error.rate_limited', { seconds: Math.ceil((err.retryMs || 60000) / 1000) });
    } else {
      lastError = { key: 'raw' };
      error.textContent = err.message;
    }
  } else {
    showError('join.error.unreachable');
  }
}

form.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  showError(null);
  let login;
  if (role() === 'team') {
    const c = code.value.trim().toUpperCase();
    const n = name.value.trim();
    if (!CODE_RE.test(c)) {
      showError('join.error.code');
      code.focus();
      return;
    }
    if (n.length < 1 || n.length > 40) {
      showError('join.error.name');
      name.focus();
      return;
    }
    login = { role: 'team', code: c, name: n };
  } else {
    if (!password.value) {
      showError('join.error.password');
      password.focus();
      return;
    }
    login = { role: 'instructor', password: password.value };
  }
  submit.disabled = true;
  submit.textContent = t('join.checking');
  try {
    const welcome = await tryHello({ ...login, lang: lang() });
    /* What the consoles reconnect with: the token, not the secret. */
    saveLogin({ role: login.role, team: welcome.team, name: welcome.name, token: welcome.token });
    password.value = '';
    location.href = login.role === 'team' ? 'trainee.html' : 'instructor.html';
  } catch (err) {
    showServerError(err);
    submit.disabled = false;
    submit.textContent = t('join.submit');
  }
});

/* The button is disabled in the page until here: a click before this script
 * has run (it waits for the language catalogues) would otherwise submit the
 * form as a plain GET, with the name in the address and no hello. */
submit.disabled = false;
