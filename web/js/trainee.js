/*
 * The trainee console. Everything shown is built from the welcome and the
 * event messages of the connection (web/PROTOCOL.md), in seq order: the
 * inbox (new messages highlighted until opened), the tasks with their
 * answer and report forms and what the server said of them, hints (their
 * cost confirmed first), the score, the team's timeline, the team's
 * nodes with a serial console each and the accounts to log in with, and
 * the team requests it may ask for (requests.js).
 *
 * The parts that hold what a trainee is typing (task forms) are built once
 * per set of objectives and then only updated, so live messages never wipe
 * a half-written answer or report.
 */

import { t, lang, onLangChange, formatClock, formatSize } from './i18n.js';
import { Connection } from './connection.js';
import { $, el, confirmDialog, statusLine, errorText, tabs, savedLogin, consoleChrome, saveFile } from './ui.js';
import { SerialConsole, openConsoles } from './terminal.js';
import { GuestDisplay, openDisplays } from './display.js';
import { describeMessage } from './describe.js';
import { renderAccounts } from './accounts.js';
import { showClock, objectiveTitle as titleIn } from './exercise.js';
import { RequestLog, renderTeamRequests } from './requests.js';
import { ScoreReasons } from './score_reasons.js';
import { setTeamNames, noteTeamName, onTeamNames, teamLabel, teamTitle } from './roster.js';
import { feedbackList } from './reports.js';

/* The server takes a report of at most 64 KiB in all, its attachment's
 * base64 at most 60,000 characters: a file of at most 45,000 bytes. */
const MAX_REPORT_FILE = 45000;
const MAX_MESSAGE = 65536;
const NODES_REFRESH_MS = 10000;

const login = savedLogin();
if (!login || login.role !== 'team') location.replace('index.html');

const conn = new Connection({
  hello: () => ({ token: login.token, lang: lang() }),
  storageKey: `enshu:log:team:${login && login.team}`,
  collapse: (m) => (m.type === 'score' ? `score:${m.team}` : m.type === 'exercise' ? 'exercise' : null)
});
/* For the browser tests and for debugging from the developer tools. */
window.enshu = { conn, consoles: openConsoles, displays: openDisplays };

const state = {
  welcome: null,
  exercise: { phase: 'ready', at_ms: 0, speed: 1, receivedAt: performance.now() },
  objectives: [],
  nodes: [],
  inbox: [],
  answers: new Map(), // objective -> [answer messages]
  reports: new Map(), // objective -> [report messages]
  grades: new Map(), // `${objective}/${item}` -> points
  feedback: new Map(), // report seq -> [feedback messages]
  hints: new Map(), // `${objective}/${index}` -> hint message
  score: null,
  timeline: [],
  requests: new RequestLog()
};

/* Why each change of the score happened, told in the timeline. */
const reasons = new ScoreReasons({
  objective: (id) => state.objectives.find((o) => o.id === id),
  requestCost: (id) => ((state.welcome && state.welcome.requests) || []).find((r) => r.id === id)?.cost ?? 0
});

/* ---- team requests ---- */

function renderRequests() {
  const requests = (state.welcome && state.welcome.requests) || [];
  $('tab-requests').hidden = requests.length === 0;
  renderTeamRequests($('requests'), {
    requests,
    log: state.requests,
    team: state.welcome ? state.welcome.team : login.team,
    running: running(),
    ask: (request, text) => conn.request('request.ask', text ? { request, text } : { request })
  });
}

const OPENED_KEY = `enshu:opened:${login && login.team}`;
const opened = new Set(JSON.parse(sessionStorage.getItem(OPENED_KEY) || '[]'));

/* Answers, reports and hints are taken only while the exercise runs
 * (web/PROTOCOL.md): their buttons stay disabled otherwise, and the
 * notice above the tasks says why. */
function running() {
  return state.exercise.phase === 'running';
}

function renderPhaseNotice() {
  const notice = $('phase-notice');
  const phase = state.exercise.phase;
  notice.hidden = phase === 'running';
  notice.textContent = phase === 'running' ? '' : t(`phase.closed.${phase}`);
  notice.dataset.phase = phase;
}

const objectiveTitle = (id) => titleIn(state.objectives, id);

/* ---- header: exercise, clock, score ---- */

const renderClock = showClock($('exercise-clock'), () => state.exercise);

function renderHeader() {
  const w = state.welcome;
  if (w) {
    $('exercise-title').textContent = w.exercise.title || w.exercise.id;
    $('exercise-description').textContent = w.exercise.description || '';
    /* The briefing is the first thing a team reads: on the first tab. */
    $('briefing-text').textContent = w.exercise.description || '';
    $('briefing').hidden = !w.exercise.description;
    $('team-label').textContent = teamTitle(w.team);
    $('member-name').textContent = w.name || login.name;
    document.title = `${w.exercise.title || 'Enshu'} – ${teamLabel(w.team)}`;
  }
  const phase = $('exercise-phase');
  phase.textContent = t(`phase.${state.exercise.phase}`);
  phase.dataset.phase = state.exercise.phase;
  renderPhaseNotice();
  renderClock();
  const total = $('score-total');
  if (state.score) {
    total.textContent = String(state.score.total);
    total.title = t('score.penalties', { points: state.score.penalties || 0 });
  } else total.textContent = '–';
}

/* ---- inbox ---- */

function inboxKey(item) {
  return `${item.seq}`;
}

function markOpened(item) {
  opened.add(inboxKey(item));
  sessionStorage.setItem(OPENED_KEY, JSON.stringify([...opened]));
}

async function downloadAttachment(item, status) {
  try {
    const reply = await conn.request('attachment', { inject: item.inject });
    saveFile(reply.name || item.attachment.name, reply.data);
  } catch (err) {
    status.error(errorText(err));
  }
}

function inboxEntry(item) {
  const isNew = !opened.has(inboxKey(item));
  const bodyId = `inbox-body-${item.seq}`;
  const body = el('div', { class: 'body', id: bodyId, hidden: true, dataset: { test: 'inbox-body' } });
  body.append(el('p', { class: 'text' }, item.body || item.text || ''));
  const status = statusLine(el('p', { class: 'status', role: 'alert' }));
  if (item.attachment) {
    body.append(
      el(
        'button',
        {
          type: 'button',
          class: 'link',
          dataset: { test: 'attachment-download' },
          onclick: () => downloadAttachment(item, status)
        },
        t('inbox.attachment', { name: item.attachment.name, size: formatSize(item.attachment.size || 0) })
      )
    );
  }
  const li = el('li', {
    class: isNew ? 'item new' : 'item',
    dataset: { test: 'inbox-item', seq: item.seq, inject: item.inject || '', new: String(isNew) }
  });
  const toggle = el(
    'button',
    {
      type: 'button',
      class: 'head',
      'aria-expanded': 'false',
      'aria-controls': bodyId,
      dataset: { test: 'inbox-open' },
      onclick: () => {
        const open = toggle.getAttribute('aria-expanded') !== 'true';
        toggle.setAttribute('aria-expanded', String(open));
        body.hidden = !open;
        if (open && li.classList.contains('new')) {
          li.classList.remove('new');
          li.dataset.new = 'false';
          toggle.querySelector('.flag')?.remove();
          markOpened(item);
          renderUnread();
        }
      }
    },
    isNew ? el('span', { class: 'flag', dataset: { test: 'inbox-new' } }, t('inbox.new')) : null,
    el('span', { class: 'subject', dataset: { test: 'inbox-subject' } }, item.subject),
    el('span', { class: 'from' }, item.from),
    el('span', { class: 'at' }, formatClock(item.at_ms || 0))
  );
  li.append(toggle, body, status.node);
  return li;
}

function renderInbox() {
  const list = $('inbox');
  list.replaceChildren(...state.inbox.slice().reverse().map(inboxEntry));
  document.querySelector('[data-test=inbox-empty]').hidden = state.inbox.length > 0;
  renderUnread();
}

function addInboxItem(item) {
  if (state.inbox.some((x) => x.seq === item.seq)) return;
  state.inbox.push(item);
  const list = $('inbox');
  list.prepend(inboxEntry(item));
  document.querySelector('[data-test=inbox-empty]').hidden = true;
  renderUnread();
}

function renderUnread() {
  const n = state.inbox.filter((x) => !opened.has(inboxKey(x))).length;
  const badge = $('unread');
  badge.hidden = n === 0;
  badge.textContent = String(n);
}

/* ---- tasks ---- */

const cards = new Map(); // objective id -> {update()}
let builtFor = null;

function attemptsLeft(o) {
  const answers = state.answers.get(o.id) || [];
  const last = answers[answers.length - 1];
  if (last && typeof last.attempts_left === 'number') return last.attempts_left;
  return o.attempts ? o.attempts - answers.length : null;
}

function questionForm(o, card) {
  const inputId = `answer-${o.id}`;
  const input = el('input', { id: inputId, name: 'text', autocomplete: 'off', dataset: { test: 'answer-input' } });
  const submit = el('button', { type: 'submit', class: 'primary', dataset: { test: 'answer-submit' } }, t('answer.submit'));
  const status = statusLine(el('p', { class: 'status', role: 'alert', dataset: { test: 'answer-status' } }));
  const feedback = el('p', { class: 'feedback', 'aria-live': 'polite', dataset: { test: 'answer-feedback' } });
  const attempts = el('p', { class: 'help', dataset: { test: 'answer-attempts' } });
  const history = el('ul', { class: 'history', dataset: { test: 'answer-history' } });
  const form = el(
    'form',
    {
      class: 'answer',
      onsubmit: async (ev) => {
        ev.preventDefault();
        const text = input.value.trim();
        if (!text) return;
        submit.disabled = true;
        status.clear();
        try {
          await conn.request('answer', { objective: o.id, text });
          input.value = '';
        } catch (err) {
          status.error(errorText(err));
        } finally {
          update();
        }
      }
    },
    el('label', { for: inputId }, t('answer.label')),
    el('div', { class: 'row' }, input, submit),
    attempts,
    status.node
  );
  card.append(form, feedback, el('h4', {}, t('answer.history')), history);

  function update() {
    const answers = state.answers.get(o.id) || [];
    const last = answers[answers.length - 1];
    const solved = answers.some((a) => a.correct === true);
    const left = attemptsLeft(o);
    if (!last) {
      feedback.textContent = '';
      delete feedback.dataset.result;
    } else if (last.correct === true) {
      feedback.textContent = t('answer.correct', { points: last.points ?? o.points });
      feedback.dataset.result = 'correct';
    } else if (last.correct === false) {
      feedback.textContent = t('answer.wrong');
      feedback.dataset.result = 'wrong';
    } else {
      feedback.textContent = t('answer.recorded');
      feedback.dataset.result = 'recorded';
    }
    if (solved) attempts.textContent = '';
    else if (left === null) attempts.textContent = t('answer.unlimited');
    else if (left <= 0) attempts.textContent = t('answer.no_attempts');
    else if (left === 1) attempts.textContent = t('answer.attempt_left');
    else attempts.textContent = t('answer.attempts_left', { count: left });
    const over = solved || (left !== null && left <= 0) || state.exercise.phase === 'ended';
    input.disabled = over;
    submit.disabled = over || !running();
    history.replaceChildren(
      ...answers.map((a) =>
        el(
          'li',
          { dataset: { correct: a.correct == null ? '' : String(a.correct) } },
          t('answer.by', { text: a.text, by: a.by || '' })
        )
      )
    );
  }
  return update;
}

function readFileBase64(file) {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(String(r.result).replace(/^data:[^,]*,/, ''));
    r.onerror = () => reject(r.error);
    r.readAsDataURL(file);
  });
}

function reportForm(o, card) {
  const textId = `report-${o.id}`;
  const fileId = `report-file-${o.id}`;
  const text = el('textarea', { id: textId, rows: 8, dataset: { test: 'report-text' } });
  const file = el('input', { id: fileId, type: 'file', dataset: { test: 'report-file' } });
  const submit = el('button', { type: 'submit', class: 'primary', dataset: { test: 'report-submit' } }, t('report.submit'));
  const statusNode = el('p', { class: 'status', role: 'alert', dataset: { test: 'report-status' } });
  const status = statusLine(statusNode);
  const rubric = el('ol', { class: 'rubric', dataset: { test: 'report-rubric' } });
  const history = el('ul', { class: 'history', dataset: { test: 'report-history' } });
  const form = el(
    'form',
    {
      class: 'report',
      onsubmit: async (ev) => {
        ev.preventDefault();
        const body = text.value.trim();
        if (!body) {
          status.error(t('report.empty'));
          return;
        }
        const msg = { objective: o.id, text: body };
        const f = file.files[0];
        if (f) {
          if (f.size > MAX_REPORT_FILE) {
            status.error(t('report.too_big', { name: f.name, size: formatSize(MAX_REPORT_FILE) }));
            return;
          }
          msg.attachment = { name: f.name, data: await readFileBase64(f) };
        }
        if (new TextEncoder().encode(JSON.stringify(msg)).length > MAX_MESSAGE - 200) {
          status.error(t('report.too_long'));
          return;
        }
        submit.disabled = true;
        status.clear();
        try {
          await conn.request('report', msg);
          text.value = '';
          file.value = '';
          status.ok(t('report.submitted'));
        } catch (err) {
          status.error(errorText(err));
        } finally {
          submit.disabled = !running();
        }
      }
    },
    el('label', { for: textId }, t('report.text')),
    text,
    el('label', { for: fileId }, t('report.file', { size: formatSize(MAX_REPORT_FILE) })),
    file,
    submit,
    statusNode
  );
  card.append(el('h4', {}, t('report.rubric')), rubric, form, el('h4', {}, t('report.history')), history);

  return function update() {
    rubric.replaceChildren(
      ...(o.rubric || []).map((r) => {
        const g = state.grades.get(`${o.id}/${r.item}`);
        return el(
          'li',
          { dataset: { test: 'rubric-item', item: r.item } },
          el('span', { class: 'text' }, r.text),
          ' ',
          el(
            'span',
            { class: 'grade', dataset: { test: 'report-grade', graded: String(g != null) } },
            g != null ? t('report.grade', { points: g, max: r.points }) : t('report.ungraded')
          )
        );
      })
    );
    history.replaceChildren(
      ...(state.reports.get(o.id) || []).map((r) =>
        el(
          'li',
          { dataset: { test: 'report-entry', seq: r.seq } },
          el('span', { class: 'by' }, `${r.by || ''} · ${formatClock(r.at_ms || 0)}`),
          el('pre', {}, r.text),
          feedbackList(state.feedback.get(r.seq) || [])
        )
      )
    );
    submit.disabled = !running();
  };
}

function hintList(o, card) {
  if (!o.hints || !o.hints.length) return () => {};
  const list = el('ul', { class: 'hints', dataset: { test: 'hints' } });
  const statusNode = el('p', { class: 'status', role: 'alert' });
  const status = statusLine(statusNode);
  card.append(list, statusNode);
  return function update() {
    list.replaceChildren(
      ...o.hints.map((h) => {
        const taken = state.hints.get(`${o.id}/${h.index}`);
        const number = h.index + 1;
        if (taken) {
          return el(
            'li',
            { dataset: { test: 'hint', index: h.index } },
            el('strong', {}, `${t('hint.taken', { number })}: `),
            el('span', { dataset: { test: 'hint-text' } }, taken.text)
          );
        }
        return el(
          'li',
          { dataset: { test: 'hint', index: h.index } },
          el(
            'button',
            {
              type: 'button',
              dataset: { test: 'hint-button' },
              disabled: !running(),
              onclick: async (ev) => {
                const ok = await confirmDialog({
                  title: t('hint.confirm.title'),
                  text: t('hint.confirm.text', { cost: h.cost }),
                  ok: t('hint.confirm.ok')
                });
                if (!ok) return;
                ev.target.disabled = true;
                try {
                  await conn.request('hint', { objective: o.id, index: h.index });
                  status.clear();
                } catch (err) {
                  status.error(errorText(err));
                  ev.target.disabled = !running();
                }
              }
            },
            t('hint.take', { number, cost: h.cost })
          )
        );
      })
    );
  };
}

function objectiveScore(id) {
  if (!state.score || !state.score.objectives) return null;
  return state.score.objectives.find((x) => x.id === id) || null;
}

function taskCard(o) {
  const card = el('article', { class: `task ${o.kind}`, dataset: { test: 'objective', objective: o.id, kind: o.kind } });
  const pointsNode = el('span', { class: 'points', dataset: { test: 'objective-points' } });
  const achieved = el('span', { class: 'achieved', dataset: { test: 'objective-achieved' } });
  card.append(
    el(
      'header',
      {},
      el('span', { class: 'kind' }, t(`task.kind.${o.kind}`)),
      el('h3', {}, o.title || o.text || o.id),
      pointsNode,
      achieved
    )
  );
  if (o.title && o.text) card.append(el('p', { class: 'text' }, o.text));
  const parts = [];
  if (o.kind === 'question') parts.push(questionForm(o, card));
  else if (o.kind === 'report') parts.push(reportForm(o, card));
  else card.append(el('p', { class: 'help' }, t('task.check.help')));
  parts.push(hintList(o, card));
  const update = () => {
    const s = objectiveScore(o.id);
    pointsNode.textContent = s ? `${s.points} / ${t('task.points', { points: o.points })}` : t('task.points', { points: o.points });
    achieved.textContent = s && s.achieved ? t('task.achieved') : '';
    achieved.dataset.achieved = String(Boolean(s && s.achieved));
    card.classList.toggle('done', Boolean(s && s.achieved));
    for (const p of parts) p();
  };
  return { card, update };
}

function buildTasks() {
  const key = JSON.stringify(state.objectives);
  if (key === builtFor) return;
  builtFor = key;
  /* Keep what was being typed across a rebuild (a language change). */
  const typed = new Map();
  for (const field of document.querySelectorAll('#tasks input:not([type=file]), #tasks textarea')) {
    if (field.value) typed.set(field.id, field.value);
  }
  cards.clear();
  const host = $('tasks');
  host.replaceChildren();
  for (const o of state.objectives) {
    const c = taskCard(o);
    cards.set(o.id, c);
    host.append(c.card);
    c.update();
  }
  for (const [id, value] of typed) {
    const field = document.getElementById(id);
    if (field) field.value = value;
  }
  if (!state.objectives.length) host.append(el('p', { class: 'empty' }, t('tasks.empty')));
}

function updateTask(id) {
  const c = cards.get(id);
  if (c) c.update();
}

function updateAllTasks() {
  for (const c of cards.values()) c.update();
}

/* ---- nodes and their consoles ---- */

const nodeCards = new Map(); // name -> {card, stateNode}
/* The consoles open in this tab, opened again after a reload. */
const CONSOLES_KEY = `enshu:consoles:${login && login.team}`;
const openNodes = new Set(JSON.parse(sessionStorage.getItem(CONSOLES_KEY) || '[]'));

function renderNodes() {
  const host = $('nodes');
  for (const p of host.querySelectorAll(':scope > .empty')) p.remove();
  const names = state.nodes.map((n) => n.name);
  for (const [name, c] of nodeCards) {
    if (!names.includes(name)) {
      if (c.console) c.console.close();
      if (c.display) c.display.close();
      c.card.remove();
      nodeCards.delete(name);
    }
  }
  for (const n of state.nodes) {
    let c = nodeCards.get(n.name);
    if (!c) {
      c = nodeCard(n);
      nodeCards.set(n.name, c);
      host.append(c.card);
      if (openNodes.has(n.name) && n.console !== false) c.toggle.click();
    }
    c.update(n);
  }
  if (!state.nodes.length) host.append(el('p', { class: 'empty' }, t('nodes.empty')));
}

function nodeCard(n) {
  const stateNode = el('span', { class: 'state', dataset: { test: 'node-state' } });
  const title = el('span', { class: 'title' });
  const addresses = el('span', { class: 'addresses', dataset: { test: 'node-addresses' } });
  const termHost = el('div', { class: 'terminal', dataset: { test: 'terminal', node: n.name }, hidden: true });
  const c = { card: null, console: null, display: null };
  const displayHost = el('div', { class: 'display', dataset: { test: 'display', node: n.name }, hidden: true });
  const screenToggle = el('button', {
    type: 'button',
    dataset: { test: 'display-open' },
    'aria-expanded': 'false',
    onclick: () => {
      if (c.display) {
        c.display.close();
        c.display = null;
        displayHost.hidden = true;
      } else {
        displayHost.hidden = false;
        c.display = new GuestDisplay(conn, displayHost, { node: n.name });
        c.display.open();
      }
      screenToggle.setAttribute('aria-expanded', String(Boolean(c.display)));
      screenToggle.textContent = c.display ? t('node.display.close') : t('node.display.open');
    }
  });
  const toggle = el('button', {
    type: 'button',
    dataset: { test: 'console-open' },
    'aria-expanded': 'false',
    onclick: () => {
      if (c.console) {
        c.console.close();
        c.console = null;
        termHost.hidden = true;
      } else {
        termHost.hidden = false;
        c.console = new SerialConsole(conn, termHost, { node: n.name });
        c.console.open();
      }
      toggle.setAttribute('aria-expanded', String(Boolean(c.console)));
      toggle.textContent = c.console ? t('node.console.close') : t('node.console.open');
      if (c.console) openNodes.add(n.name);
      else openNodes.delete(n.name);
      sessionStorage.setItem(CONSOLES_KEY, JSON.stringify([...openNodes]));
    }
  });
  c.toggle = toggle;
  c.card = el(
    'article',
    { class: 'node', dataset: { test: 'node', node: n.name } },
    el('header', {}, el('h3', {}, n.name), title, stateNode),
    el('p', {}, el('span', { class: 'label' }, `${t('node.addresses')}: `), addresses),
    toggle,
    screenToggle,
    termHost,
    displayHost
  );
  c.update = (node) => {
    title.textContent = node.title || '';
    addresses.textContent = (node.addresses || []).join(', ');
    const s = node.state || 'unknown';
    stateNode.textContent = t(`node.state.${s}`);
    stateNode.dataset.state = s;
    toggle.hidden = node.console === false;
    toggle.textContent = c.console ? t('node.console.close') : t('node.console.open');
    screenToggle.hidden = !node.display;
    screenToggle.textContent = c.display ? t('node.display.close') : t('node.display.open');
  };
  return c;
}

async function refreshNodes() {
  if (conn.state !== 'open') return;
  try {
    const reply = await conn.request('nodes');
    const states = new Map((reply.nodes || []).map((n) => [n.name, n]));
    state.nodes = state.nodes.map((n) => ({ ...n, ...(states.get(n.name) || {}) }));
    for (const [name, n] of states) if (!state.nodes.some((x) => x.name === name)) state.nodes.push(n);
    renderNodes();
  } catch {
    /* shown as unknown until the next refresh */
  }
}
setInterval(refreshNodes, NODES_REFRESH_MS);

/* ---- the public scoreboard (when the scenario makes it public) ---- */

const board = new Map(); // team -> total

function renderBoard() {
  const own = state.welcome && state.welcome.team;
  const rows = [...board].sort((a, b) => b[1] - a[1] || a[0] - b[0]);
  $('scoreboard').replaceChildren(
    ...rows.map(([team, total]) =>
      el(
        'tr',
        { class: team === own ? 'own' : '', dataset: { test: 'scoreboard-row', team, own: String(team === own) } },
        el('th', { scope: 'row' }, teamLabel(team)),
        el('td', { class: 'total', dataset: { test: 'scoreboard-total' } }, String(total))
      )
    )
  );
}

async function refreshBoard() {
  try {
    const reply = await conn.request('scoreboard');
    for (const s of reply.teams || []) board.set(s.team, s.total);
    renderBoard();
  } catch {
    /* the score messages still update it */
  }
}

/* ---- timeline ---- */

function timelineEntry(m) {
  const why = reasons.line(m, objectiveTitle);
  const text = m.type === 'points' ? why : describeMessage(m, objectiveTitle);
  if (text === null) return null;
  return el(
    'li',
    { dataset: { test: 'timeline-entry', type: m.type, seq: m.seq } },
    el('span', { class: 'at' }, m.at_ms != null ? formatClock(m.at_ms) : ''),
    el('span', { class: 'what' }, text),
    m.type !== 'points' && why ? el('span', { class: 'points', dataset: { test: 'score-reason' } }, why) : ''
  );
}

function renderTimeline() {
  const entries = state.timeline.map(timelineEntry).filter(Boolean).reverse();
  $('timeline').replaceChildren(...entries);
  document.querySelector('[data-test=timeline-empty]').hidden = entries.length > 0;
}

function addTimeline(m) {
  reasons.note(m);
  state.timeline.push(m);
  const entry = timelineEntry(m);
  if (!entry) return;
  $('timeline').prepend(entry);
  document.querySelector('[data-test=timeline-empty]').hidden = true;
}

/* ---- messages ---- */

function push(map, key, value) {
  if (!map.has(key)) map.set(key, []);
  map.get(key).push(value);
}

conn.on('welcome', (w) => {
  state.welcome = w;
  state.objectives = w.objectives || [];
  setTeamNames((w.exercise || {}).names);
  const old = new Map(state.nodes.map((n) => [n.name, n]));
  state.nodes = (w.nodes || []).map((n) => ({ ...(old.get(n.name) || {}), ...n }));
  const e = w.exercise || {};
  state.exercise = { phase: e.phase || 'ready', at_ms: e.at_ms || 0, speed: e.speed || 1, receivedAt: performance.now() };
  renderHeader();
  buildTasks();
  updateAllTasks();
  renderNodes();
  /* A tabletop exercise has no guests: no Nodes tab. */
  $('tab-nodes').hidden = state.nodes.length === 0;
  renderAccounts($('accounts'), w.accounts || []);
  renderRequests();
  refreshNodes();
  const open = Boolean(e.scoreboard);
  $('tab-scoreboard').hidden = !open;
  if (open) refreshBoard();
});

conn.on('exercise', (m) => {
  /* One the welcome already covers (replayed after it) is history: the
   * welcome's phase and clock are newer. */
  const history = state.welcome && m.seq <= (state.welcome.last_seq ?? 0);
  if (!history) state.exercise = { phase: m.phase, at_ms: m.at_ms, speed: m.speed || 1, receivedAt: performance.now() };
  renderHeader();
  updateAllTasks();
  renderRequests();
  addTimeline(m);
});

conn.on('inbox', (m) => {
  addInboxItem(m);
  addTimeline(m);
});

conn.on('message', (m) => {
  addInboxItem({
    seq: m.seq,
    inject: '',
    from: m.from || t('inbox.broadcast'),
    subject: t('inbox.broadcast'),
    body: m.text,
    at_ms: m.at_ms,
    broadcast: true
  });
  /* The latest broadcast stays on top until dismissed; a replayed one
   * (already seen before this welcome) does not come back. */
  if (!state.welcome || m.seq > (state.welcome.last_seq ?? 0)) {
    $('broadcast-text').textContent = m.text;
    $('broadcast').hidden = false;
  }
  addTimeline(m);
});

conn.on('answer', (m) => {
  push(state.answers, m.objective, m);
  updateTask(m.objective);
  addTimeline(m);
});

conn.on('report', (m) => {
  push(state.reports, m.objective, m);
  updateTask(m.objective);
  addTimeline(m);
});

conn.on('grade', (m) => {
  state.grades.set(`${m.objective}/${m.item}`, m.points);
  updateTask(m.objective);
  addTimeline(m);
});

/* An instructor's feedback on one of the team's reports: under that report. */
conn.on('feedback', (m) => {
  push(state.feedback, m.report, m);
  updateTask(m.objective);
  addTimeline(m);
});

/* A team renamed (roster.js): the header and the scoreboard. */
conn.on('team', noteTeamName);
onTeamNames(() => {
  renderHeader();
  if (!$('tab-scoreboard').hidden) renderBoard();
});

conn.on('hint', (m) => {
  state.hints.set(`${m.objective}/${m.index}`, m);
  updateTask(m.objective);
  addTimeline(m);
});

conn.on('request', (m) => {
  state.requests.add(m);
  renderRequests();
  addTimeline(m);
});

conn.on('score', (m) => {
  board.set(m.team, m.total);
  if (!$('tab-scoreboard').hidden) renderBoard();
  if (state.welcome && m.team !== state.welcome.team) return; /* a public scoreboard's other teams */
  state.score = m;
  for (const entry of reasons.fromScore(m)) addTimeline(entry);
  renderHeader();
  updateAllTasks();
});

conn.on('reset', () => {
  state.inbox = [];
  state.answers.clear();
  state.reports.clear();
  state.grades.clear();
  state.feedback.clear();
  state.hints.clear();
  state.requests.clear();
  state.timeline = [];
  reasons.clear();
  state.score = null;
  renderInbox();
  renderTimeline();
  renderHeader();
});

/* A language change: the page's words switch at once; the scenario's texts
 * come again from the server in the new language. */
onLangChange(() => {
  renderHeader();
  renderInbox();
  renderTimeline();
  renderRequests();
  builtFor = null;
  buildTasks();
  updateAllTasks();
  for (const c of nodeCards.values()) c.update(state.nodes.find((n) => n.name === c.card.dataset.node) || {});
  conn.resync();
});

$('broadcast-dismiss').addEventListener('click', () => {
  $('broadcast').hidden = true;
});

consoleChrome(conn);
tabs(document.querySelector('[role=tablist]'));
renderHeader();
renderInbox();
renderTimeline();
conn.start();
