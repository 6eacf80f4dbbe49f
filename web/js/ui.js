/*
 * What both consoles build their pages with: an element helper, the
 * confirmation dialog (a <dialog> of our own rather than window.confirm, so
 * it is styled, translated, keyboard-usable and drivable by tests), tabs,
 * status lines read out by screen readers, the connection indicator and the
 * login kept for this browser tab.
 */

import { t, apply, languageSelect, lang } from './i18n.js';

/* The element with this id. */
export const $ = (id) => document.getElementById(id);

/* el('button', {class: 'x', dataset: {test: 'y'}, onclick: f}, 'text', child, ...) */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v == null || v === false) continue;
    if (k === 'class') node.className = v;
    else if (k === 'dataset') Object.assign(node.dataset, v);
    else if (k.startsWith('on') && typeof v === 'function') node.addEventListener(k.slice(2), v);
    else if (k === 'text') node.textContent = v;
    else if (v === true) node.setAttribute(k, '');
    else node.setAttribute(k, v);
  }
  for (const c of children.flat()) {
    if (c == null || c === false) continue;
    node.append(c instanceof Node ? c : String(c));
  }
  return node;
}

/* Asks for confirmation; resolves true (confirmed) or false. */
export function confirmDialog({ title, text, ok = t('dialog.ok'), cancel = t('dialog.cancel') }) {
  return new Promise((resolve) => {
    const titleId = `dlg-title-${Math.random().toString(36).slice(2)}`;
    const okBtn = el('button', { type: 'submit', value: 'ok', class: 'primary', dataset: { test: 'confirm-ok' } }, ok);
    const cancelBtn = el('button', { type: 'submit', value: 'cancel', dataset: { test: 'confirm-cancel' } }, cancel);
    const dialog = el(
      'dialog',
      { class: 'confirm', 'aria-labelledby': titleId, dataset: { test: 'confirm-dialog' } },
      el(
        'form',
        { method: 'dialog' },
        el('h2', { id: titleId }, title),
        el('p', {}, text),
        el('div', { class: 'actions' }, cancelBtn, okBtn)
      )
    );
    dialog.addEventListener('close', () => {
      resolve(dialog.returnValue === 'ok');
      dialog.remove();
    });
    document.body.append(dialog);
    dialog.showModal();
    cancelBtn.focus(); /* the safe choice is the default */
  });
}

/* A status line: polite live region showing one message at a time. */
/* Saves base64 data as a file through the browser's download. */
export function saveFile(name, base64) {
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  const url = URL.createObjectURL(new Blob([bytes]));
  const a = el('a', { href: url, download: name, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}

export function statusLine(node) {
  return {
    node,
    ok(text) {
      node.className = 'status ok';
      node.textContent = text;
    },
    error(text) {
      node.className = 'status error';
      node.textContent = text;
    },
    clear() {
      node.className = 'status';
      node.textContent = '';
    }
  };
}

/* The error codes of web/PROTOCOL.md a console says in its own words. */
const ERROR_CODES = new Set(['forbidden', 'not_found', 'conflict', 'unavailable']);

/* The message to show for a failed request. */
export function errorText(err) {
  if (err && err.code === 'disconnected') return t('conn.lost');
  /* Refused because the exercise does not run: why, in the user's language. */
  if (err && err.code === 'conflict' && err.reply && err.reply.phase) return t(`phase.closed.${err.reply.phase}`);
  if (err && err.code === 'rate_limited') return t('error.rate_limited', { seconds: Math.ceil((err.retryMs || 0) / 1000) });
  /* The server's reason is English, and says most: in English it is shown
   * as it is; in another language the code is said in that language. */
  if (err && ERROR_CODES.has(err.code) && lang() !== 'en') return t(`error.code.${err.code}`);
  return t('error.generic', { message: (err && err.message) || String(err) });
}

/*
 * Tabs: a role=tablist of buttons, each with aria-controls naming its
 * panel. Arrow keys move between tabs; the chosen tab is kept in the URL
 * hash so a reload stays where it was. onShow(name) is called on a change.
 */
export function tabs(tablist, onShow = () => {}) {
  const buttons = [...tablist.querySelectorAll('[role=tab]')];
  const show = (button, focus = false) => {
    for (const b of buttons) {
      const selected = b === button;
      b.setAttribute('aria-selected', String(selected));
      b.tabIndex = selected ? 0 : -1;
      document.getElementById(b.getAttribute('aria-controls')).hidden = !selected;
    }
    if (focus) button.focus();
    history.replaceState(null, '', `#${button.dataset.tab}`);
    onShow(button.dataset.tab);
  };
  for (const b of buttons) {
    b.addEventListener('click', () => show(b));
    b.addEventListener('keydown', (ev) => {
      const shown = buttons.filter((x) => !x.hidden); /* a tab may be hidden (a private scoreboard) */
      const i = shown.indexOf(b);
      let next = null;
      if (ev.key === 'ArrowRight' || ev.key === 'ArrowDown') next = shown[(i + 1) % shown.length];
      else if (ev.key === 'ArrowLeft' || ev.key === 'ArrowUp') next = shown[(i - 1 + shown.length) % shown.length];
      else if (ev.key === 'Home') next = shown[0];
      else if (ev.key === 'End') next = shown[shown.length - 1];
      if (next) {
        ev.preventDefault();
        show(next, true);
      }
    });
  }
  const initial = buttons.find((b) => `#${b.dataset.tab}` === location.hash && !b.hidden) || buttons[0];
  show(initial);
  return {
    show: (name) => show(buttons.find((b) => b.dataset.tab === name)),
    current: () => buttons.find((b) => b.getAttribute('aria-selected') === 'true').dataset.tab
  };
}

/* The login of this tab (set by the join page: role, team, name and the
 * session token; never a code or password), or null. */
const LOGIN_KEY = 'enshu:login';
export function savedLogin() {
  try {
    return JSON.parse(sessionStorage.getItem(LOGIN_KEY));
  } catch {
    return null;
  }
}
export function saveLogin(login) {
  sessionStorage.setItem(LOGIN_KEY, JSON.stringify(login));
}
export function clearLogin() {
  sessionStorage.removeItem(LOGIN_KEY);
}

/*
 * The parts every console page has: the language select, the connection
 * indicator, the leave button. Goes back to the join page when the login
 * is refused (wrong or expired code or password).
 */
export function consoleChrome(conn) {
  apply();
  languageSelect(document.querySelector('[data-test=lang-select]'));
  const indicator = document.querySelector('[data-test=connection-state]');
  let countdown = null;
  conn.on('state', ({ state, retryMs, error }) => {
    clearInterval(countdown);
    indicator.dataset.state = state;
    if (state === 'open') indicator.textContent = t('conn.open');
    else if (state === 'connecting') indicator.textContent = t('conn.connecting');
    else if (state === 'reconnecting') {
      const until = Date.now() + (retryMs || 0);
      const tick = () => {
        indicator.textContent = t('conn.reconnecting', {
          seconds: Math.max(0, Math.ceil((until - Date.now()) / 1000))
        });
      };
      tick();
      countdown = setInterval(tick, 1000);
    } else if (state === 'failed') {
      indicator.textContent = t('conn.failed', { message: error ? error.message : '' });
      conn.forget();
      clearLogin();
      const params = new URLSearchParams({ error: error ? error.code : 'failed' });
      location.replace(`index.html?${params}`);
    }
  });
  document.querySelector('[data-test=logout]').addEventListener('click', () => {
    conn.send('logout'); /* the token dies on the server too */
    conn.stop();
    conn.forget();
    clearLogin();
    location.href = 'index.html';
  });
}
