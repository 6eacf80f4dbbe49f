/*
 * The course view of a self-paced course, for instructors (web/PROTOCOL.md,
 * "Self-paced courses"): joins with the instructor's session token of this
 * tab (the join page keeps it), asks for course.list every few seconds and
 * shows the active sandboxes: each trainee's phase, progress, time used,
 * score and time left, with buttons to extend (15 minutes) and to revoke
 * (confirmed first). Also how many trainees wait and how many sandboxes
 * are warm. Without an instructor's login it goes to the join page.
 */

import { apply, lang, languageSelect, onLangChange } from './i18n.js';
import { socketUrl } from './connection.js';
import { savedLogin, confirmDialog, el } from './ui.js';

const PROTOCOL = 'enshu.v1';
const REFRESH_MS = 2000;
const EXTEND_MINUTES = 15;

const WORDS = {
  en: {
    title: 'Course',
    back: 'Instructor console',
    summary: '{active} in use, {warm} warm, {queued} waiting',
    trainee: 'Trainee',
    sandbox: 'Sandbox',
    phase: 'Clock',
    progress: 'Progress',
    time: 'Time used',
    score: 'Score',
    left: 'Time left',
    actions: 'Actions',
    extend: '+{m} min',
    revoke: 'Revoke',
    revokeTitle: 'Revoke the sandbox of {name}?',
    revokeText: 'Their sandbox is torn down and their clock ends; what they did stays scored.',
    lost: 'The connection to the course was lost; reload the page.',
  },
  ja: {
    title: 'コース',
    back: '講師コンソール',
    summary: '使用中 {active}、待機中の環境 {warm}、順番待ち {queued}',
    trainee: '受講者',
    sandbox: '演習環境',
    phase: '時計',
    progress: '進捗',
    time: '経過時間',
    score: '得点',
    left: '残り時間',
    actions: '操作',
    extend: '+{m}分',
    revoke: '取り消す',
    revokeTitle: '{name} さんの演習環境を取り消しますか?',
    revokeText: '演習環境は削除され、時計は終了します。それまでの得点は残ります。',
    lost: 'コースとの接続が切れました。ページを再読み込みしてください。',
  },
};

function w(key, params = {}) {
  const table = WORDS[lang()] || WORDS.en;
  return (table[key] || WORDS.en[key]).replace(/\{(\w+)\}/g, (_, k) => String(params[k] ?? ''));
}

/* h:mm:ss */
function hms(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  return `${Math.floor(s / 3600)}:${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

const $ = (id) => document.getElementById(id);
let ws = null;
let nextId = 0;
const waiting = new Map();
let last = null;

function request(msg) {
  const id = ++nextId;
  return new Promise((resolve) => {
    waiting.set(id, resolve);
    ws.send(JSON.stringify({ ...msg, id }));
  });
}

function renderHeads() {
  $('course-view-title').textContent = w('title');
  $('course-view-back').textContent = w('back');
  for (const k of ['trainee', 'sandbox', 'phase', 'progress', 'time', 'score', 'left', 'actions'])
    $(`h-${k}`).textContent = w(k);
}

function render() {
  renderHeads();
  if (!last) return;
  const active = last.sandboxes.filter((s) => s.trainee);
  $('course-summary').textContent = w('summary', { active: active.length, warm: last.warm, queued: last.queued });
  const rows = active.map((s) =>
    el(
      'tr',
      { 'data-test': 'course-sandbox', 'data-trainee': s.trainee, 'data-sandbox': String(s.sandbox) },
      el('td', {}, s.trainee),
      el('td', {}, String(s.sandbox)),
      el('td', { 'data-test': 'course-phase' }, s.phase),
      el('td', {}, `${s.progress}%`),
      el('td', {}, hms(s.time_ms)),
      el('td', { 'data-test': 'course-score' }, String(s.score)),
      el('td', { 'data-test': 'course-left' }, hms(s.expires_in_ms)),
      el(
        'td',
        {},
        el('button', { type: 'button', 'data-test': 'course-extend', onclick: () => extend(s) }, w('extend', { m: EXTEND_MINUTES })),
        el('button', { type: 'button', class: 'danger', 'data-test': 'course-revoke', onclick: () => revoke(s) }, w('revoke')),
      ),
    ),
  );
  $('course-rows').replaceChildren(...rows);
}

function showReply(reply) {
  $('course-view-error').textContent = reply.type === 'error' ? reply.message : '';
}

async function refresh() {
  const reply = await request({ type: 'course.list' });
  if (reply.type === 'course') last = reply;
  showReply(reply);
  render();
}

async function extend(s) {
  showReply(await request({ type: 'course.extend', sandbox: s.sandbox, minutes: EXTEND_MINUTES }));
  await refresh();
}

async function revoke(s) {
  const ok = await confirmDialog({ title: w('revokeTitle', { name: s.trainee }), text: w('revokeText') });
  if (!ok) return;
  showReply(await request({ type: 'course.revoke', sandbox: s.sandbox }));
  await refresh();
}

function start() {
  const login = savedLogin();
  if (!login || login.role !== 'instructor' || !login.token) {
    location.href = 'index.html?role=instructor';
    return;
  }
  ws = new WebSocket(socketUrl(), PROTOCOL);
  ws.onmessage = (ev) => {
    if (typeof ev.data !== 'string') return;
    let m;
    try {
      m = JSON.parse(ev.data);
    } catch {
      return;
    }
    const resolve = waiting.get(m.id);
    if (resolve) {
      waiting.delete(m.id);
      resolve(m);
    }
  };
  ws.onclose = () => {
    $('course-view-error').textContent = w('lost');
  };
  ws.onopen = async () => {
    const welcome = await request({ type: 'hello', version: 1, token: login.token, lang: lang(), since: 0 });
    if (welcome.type !== 'welcome') {
      location.href = 'index.html?role=instructor';
      return;
    }
    await refresh();
    setInterval(refresh, REFRESH_MS);
  };
}

apply();
languageSelect($('lang-select'));
onLangChange(render);
renderHeads();
start();
