/*
 * The course page of a self-paced course (web/PROTOCOL.md, "Self-paced
 * courses"). A trainee gives the course code and a name (course.join) and
 * gets a sandbox at once, or a place in the queue with an estimate, which
 * this page polls (course.poll) on the same connection until the sandbox
 * is theirs. The resume token of the grant is shown once and kept in this
 * browser (localStorage) until the sandbox's TTL: with it the page offers
 * to come back (course.resume). Then, as the join page does, the session
 * token of the welcome is kept for this tab and the trainee console opens.
 */

import { apply, lang, languageSelect, onLangChange } from './i18n.js';
import { socketUrl } from './connection.js';
import { saveLogin } from './ui.js';

const PROTOCOL = 'enshu.v1';
const RESUME_KEY = 'enshu:course-resume';
const POLL_MS = 3000;

/* The page's own words (kept here: one module, one page). */
const WORDS = {
  en: {
    title: 'Start the course',
    code: 'Course code',
    name: 'Your name',
    submit: 'Get my sandbox',
    waiting: 'Asking for a sandbox…',
    queueTitle: 'All sandboxes are in use',
    position: 'You are number {n} in the queue.',
    estimate: 'Expected wait: about {t}.',
    grantedTitle: 'Your sandbox is ready',
    tokenHelp: 'This is your resume token. It is shown only once: this browser keeps it, so you can come back until your time is up. Note it down to come back from another browser.',
    start: 'Open my console',
    resume: 'Come back to your sandbox, {name} (time left: about {t}).',
    resumeButton: 'Resume',
    forget: 'Start over',
    errName: 'Enter a name of 1 to 40 characters.',
    errCode: 'Enter the course code.',
    errGone: 'Your sandbox has expired or was ended. Join the course again.',
    errUnreachable: 'The course cannot be reached. Try again in a moment.',
  },
  ja: {
    title: 'コースを始める',
    code: 'コースコード',
    name: '名前',
    submit: '演習環境を受け取る',
    waiting: '演習環境を要求しています…',
    queueTitle: 'すべての演習環境が使用中です',
    position: '待ち行列の {n} 番目です。',
    estimate: '待ち時間の目安: 約 {t}。',
    grantedTitle: '演習環境の準備ができました',
    tokenHelp: 'これは再開用トークンです。表示は一度だけです。このブラウザーに保存されるため、時間内ならいつでも戻れます。別のブラウザーから戻るには控えておいてください。',
    start: 'コンソールを開く',
    resume: '{name} さん、演習環境に戻れます(残り約 {t})。',
    resumeButton: '再開',
    forget: '最初から',
    errName: '名前を1〜40文字で入力してください。',
    errCode: 'コースコードを入力してください。',
    errGone: '演習環境は期限切れか終了しました。もう一度参加してください。',
    errUnreachable: 'コースに接続できません。しばらくしてからもう一度お試しください。',
  },
};

function w(key, params = {}) {
  const table = WORDS[lang()] || WORDS.en;
  return (table[key] || WORDS.en[key]).replace(/\{(\w+)\}/g, (_, k) => String(params[k] ?? ''));
}

function minutes(ms) {
  const m = Math.max(1, Math.round(ms / 60000));
  return m < 90 ? `${m} min` : `${Math.round(m / 60)} h`;
}

const $ = (id) => document.getElementById(id);
const form = $('course-form');
const error = $('course-error');
let lastError = null;
let queued = null;
let granted = null;

function showError(key) {
  lastError = key;
  error.textContent = key ? w(key) : '';
}

function savedResume() {
  try {
    const r = JSON.parse(localStorage.getItem(RESUME_KEY));
    if (r && r.token && r.expires > Date.now()) return r;
  } catch {
    /* nothing kept */
  }
  localStorage.removeItem(RESUME_KEY);
  return null;
}

function render() {
  $('course-title').textContent = w('title');
  $('course-code-label').textContent = w('code');
  $('course-name-label').textContent = w('name');
  $('course-submit').textContent = w('submit');
  $('course-queue-title').textContent = w('queueTitle');
  $('course-granted-title').textContent = w('grantedTitle');
  $('course-token-help').textContent = w('tokenHelp');
  $('course-start').textContent = w('start');
  $('course-resume-button').textContent = w('resumeButton');
  $('course-forget').textContent = w('forget');
  if (queued) {
    $('course-position').textContent = w('position', { n: queued.position });
    $('course-estimate').textContent = w('estimate', { t: minutes(queued.estimate_ms) });
  }
  const r = savedResume();
  $('course-resume').hidden = !r || !!granted || !!queued;
  if (r) $('course-resume-text').textContent = w('resume', { name: r.name, t: minutes(r.expires - Date.now()) });
  if (lastError) error.textContent = w(lastError);
}

/* One connection for the join and the polls that follow it. */
function connect() {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(socketUrl(), PROTOCOL);
    ws.onopen = () => resolve(ws);
    ws.onerror = () => reject(new Error('unreachable'));
  });
}

function request(ws, msg) {
  return new Promise((resolve, reject) => {
    const id = (request.next = (request.next || 0) + 1);
    const onMessage = (ev) => {
      if (typeof ev.data !== 'string') return;
      let m;
      try {
        m = JSON.parse(ev.data);
      } catch {
        return;
      }
      if (m.id !== id) return;
      ws.removeEventListener('message', onMessage);
      resolve(m);
    };
    ws.addEventListener('message', onMessage);
    ws.addEventListener('close', () => reject(new Error('closed')), { once: true });
    ws.send(JSON.stringify({ ...msg, id, lang: lang() }));
  });
}

/* The welcome of a sandbox: keep the session for this tab and, with a new
 * grant, the resume token for this browser; then the trainee console. */
function welcomed(ws, welcome, name) {
  saveLogin({ role: 'team', team: welcome.team, name: welcome.name, token: welcome.token });
  ws.close(1000);
  const c = welcome.course || {};
  if (!c.resume_token) {
    location.href = 'trainee.html';
    return;
  }
  localStorage.setItem(
    RESUME_KEY,
    JSON.stringify({ token: c.resume_token, name, expires: Date.now() + (c.expires_in_ms || 0) }),
  );
  granted = c;
  queued = null;
  form.hidden = true;
  $('course-queue').hidden = true;
  $('course-granted').hidden = false;
  $('course-token').textContent = c.resume_token;
  render();
}

async function handle(ws, reply, name) {
  if (reply.type === 'welcome') {
    welcomed(ws, reply, name);
    return;
  }
  if (reply.type === 'course.queued') {
    queued = reply;
    form.hidden = true;
    $('course-queue').hidden = false;
    render();
    setTimeout(async () => {
      try {
        await handle(ws, await request(ws, { type: 'course.poll', ticket: reply.ticket }), name);
      } catch {
        showError('errUnreachable');
      }
    }, POLL_MS);
    return;
  }
  ws.close(1000);
  queued = null;
  form.hidden = false;
  $('course-queue').hidden = true;
  lastError = null;
  error.textContent = reply.message || w('errUnreachable');
  $('course-submit').disabled = false;
}

form.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  showError(null);
  const code = $('course-code').value.trim();
  const name = $('course-name').value.trim();
  if (!code) {
    showError('errCode');
    return;
  }
  if (name.length < 1 || name.length > 40) {
    showError('errName');
    return;
  }
  $('course-submit').disabled = true;
  try {
    const ws = await connect();
    await handle(ws, await request(ws, { type: 'course.join', code, name }), name);
  } catch {
    showError('errUnreachable');
    $('course-submit').disabled = false;
  }
});

$('course-resume-button').addEventListener('click', async () => {
  const r = savedResume();
  if (!r) return render();
  try {
    const ws = await connect();
    const reply = await request(ws, { type: 'course.resume', token: r.token });
    if (reply.type === 'welcome') return welcomed(ws, reply, r.name);
    ws.close(1000);
    localStorage.removeItem(RESUME_KEY);
    showError('errGone');
    render();
  } catch {
    showError('errUnreachable');
  }
});

$('course-forget').addEventListener('click', () => {
  localStorage.removeItem(RESUME_KEY);
  render();
});

$('course-start').addEventListener('click', () => {
  location.href = 'trainee.html';
});

apply();
languageSelect($('lang-select'));
onLangChange(render);
const params = new URLSearchParams(location.search);
if (params.get('code')) $('course-code').value = params.get('code');
render();
/* Disabled in the page until the submit handler above exists. */
$('course-submit').disabled = false;
