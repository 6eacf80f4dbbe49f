/*
 * The instructor console: an overview of every team (overview.js), runs the exercise (start, pause, resume, end,
 * speed), shows each team's injects with why the pending ones have not
 * fired and acts on them (release, skip, hold), broadcasts messages, keeps a
 * live scoreboard with its breakdown and a score-over-time chart, grades
 * reports by rubric, lists every team's nodes (restart, serial console) and
 * the join codes, decides the teams' requests (requests.js), and pages the
 * ledger's events as sentences, filtered by team and kind (events.js).
 *
 * Reports, answers, grades and scores are built from the connection's event
 * messages (kept across reloads); the injects table and the scoreboard's
 * history come from requests, refreshed while they are on screen.
 */

import { t, lang, onLangChange, formatClock } from './i18n.js';
import { Connection } from './connection.js';
import { $, el, confirmDialog, statusLine, errorText, tabs, savedLogin, consoleChrome, saveFile } from './ui.js';
import { SerialConsole, openConsoles } from './terminal.js';
import { GuestDisplay, openDisplays } from './display.js';
import { drawScoreChart, teamColor } from './chart.js';
import { describeMessage, describeEvent, describeReason, injectState } from './describe.js';
import { EventsTab } from './events.js';
import { renderAccounts } from './accounts.js';
import { exerciseNow as timeOf, showClock, objectiveTitle as titleIn } from './exercise.js';
import { RequestLog, renderWaitingRequests } from './requests.js';
import { createOverview } from './overview.js';
import { NodeGroups } from './node_groups.js';
import { setTeamNames, noteTeamName, onTeamNames, teamLabel, teamNameEditor } from './roster.js';
import { ReportBook, reportCard, cardSignature, statusTable } from './reports.js';
import { setupReportDownload } from './report_download.js';

const REFRESH_MS = 5000;

const login = savedLogin();
if (!login || login.role !== 'instructor') location.replace('index.html?role=instructor');

const KEPT = new Set(['inbox', 'answer', 'report', 'grade', 'feedback', 'hint', 'message', 'exercise', 'score', 'request']);
/* A failed inject's alert lasts across reloads: the latest of its events
 * that settle it (failed, retried, fired, skipped) is kept. */
const INJECT_OUTCOMES = new Set(['inject.failed', 'inject.retried', 'inject.fired', 'inject.skipped']);
const injectOutcome = (m) => m.type === 'event' && INJECT_OUTCOMES.has(m.kind);
const conn = new Connection({
  hello: () => ({ token: login.token, lang: lang() }),
  storageKey: 'enshu:log:instructor',
  keep: (m) => KEPT.has(m.type) || injectOutcome(m),
  collapse: (m) =>
    m.type === 'score' ? `score:${m.team}` : m.type === 'exercise' ? 'exercise' : injectOutcome(m) ? `inject:${m.team}/${m.subject}` : null
});
window.enshu = { conn, consoles: openConsoles, displays: openDisplays };

const state = {
  welcome: null,
  exercise: { phase: 'ready', at_ms: 0, speed: 1, receivedAt: performance.now() },
  teams: 0,
  objectives: [],
  nodes: [], // {team, name, title, addresses, console, state}
  scores: new Map(), // team -> score message
  board: null, // the last scoreboard reply
  reports: new ReportBook(), // every report, grade and feedback (reports.js)
  failures: new Map(), // `${team}/${inject}` -> the inject.failed event not yet retried
  requests: new RequestLog()
};
const eventsTab = new EventsTab(conn, () => state.teams);
window.enshu.events = eventsTab;

/* Asks waiting for a decision, with their count on the tab. */
function renderRequests() {
  const waiting = state.requests.waiting().length;
  $('requests-waiting-count').hidden = waiting === 0;
  $('requests-waiting-count').textContent = String(waiting);
  renderWaitingRequests($('requests-waiting'), {
    log: state.requests,
    decide: (team, request, approve, text) =>
      conn.request('request.decide', text ? { team, request, approve, text } : { team, request, approve })
  });
}
let currentTab = 'overview';

const controlStatus = statusLine($('control-status'));
const injectStatus = statusLine($('inject-status'));
const nodesStatus = statusLine($('nodes-status'));

const exerciseNow = () => timeOf(state.exercise);
const renderClock = showClock($('exercise-clock'), () => state.exercise);

function objective(id) {
  return state.objectives.find((o) => o.id === id);
}

const objectiveTitle = (id) => titleIn(state.objectives, id);

function teamNumbers() {
  return Array.from({ length: state.teams }, (_, i) => i + 1);
}

/* ---- exercise control ---- */

function renderExercise() {
  const w = state.welcome;
  if (w) {
    $('exercise-title').textContent = w.exercise.title || w.exercise.id;
    document.title = `${w.exercise.title || 'Enshu'} – ${t('join.role.instructor')}`;
  }
  const phase = state.exercise.phase;
  $('exercise-phase').textContent = t(`phase.${phase}`);
  $('exercise-phase').dataset.phase = phase;
  renderClock();
  const enabled = {
    'exercise.start': phase === 'ready',
    'exercise.pause': phase === 'running',
    'exercise.resume': phase === 'paused',
    'exercise.end': phase === 'running' || phase === 'paused'
  };
  for (const b of document.querySelectorAll('.controls [data-action]')) b.disabled = !enabled[b.dataset.action];
  const speed = $('speed-input');
  if (document.activeElement !== speed) speed.value = String(state.exercise.speed || 1);
}

for (const b of document.querySelectorAll('.controls [data-action]')) {
  b.addEventListener('click', async () => {
    if (b.dataset.action === 'exercise.end') {
      const ok = await confirmDialog({
        title: t('control.end.confirm.title'),
        text: t('control.end.confirm.text'),
        ok: t('control.end')
      });
      if (!ok) return;
    }
    b.disabled = true;
    try {
      await conn.request(b.dataset.action);
      controlStatus.ok(t('done'));
    } catch (err) {
      controlStatus.error(errorText(err));
    } finally {
      renderExercise();
    }
  });
}

$('speed-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const speed = Number($('speed-input').value);
  if (!(speed > 0 && speed <= 1000)) {
    controlStatus.error(t('control.speed.invalid'));
    return;
  }
  try {
    await conn.request('exercise.speed', { speed });
    controlStatus.ok(t('done'));
  } catch (err) {
    controlStatus.error(errorText(err));
  }
});

/* ---- broadcast and join codes ---- */

function renderTeamSelects() {
  const bt = $('broadcast-team');
  const keep = bt.value;
  bt.replaceChildren(
    el('option', { value: '0' }, t('broadcast.all')),
    ...teamNumbers().map((n) => el('option', { value: String(n) }, teamLabel(n)))
  );
  bt.value = keep || '0';
  const ts = $('team-select');
  const keepTeam = ts.value;
  ts.replaceChildren(...teamNumbers().map((n) => el('option', { value: String(n) }, teamLabel(n))));
  ts.value = keepTeam || '1';
}

const broadcastStatus = statusLine($('broadcast-status'));
$('broadcast-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const text = $('broadcast-text').value.trim();
  if (!text) return;
  try {
    await conn.request('broadcast', { text, team: Number($('broadcast-team').value) });
    $('broadcast-text').value = '';
    broadcastStatus.ok(t('broadcast.sent'));
  } catch (err) {
    broadcastStatus.error(errorText(err));
  }
});

/* The welcome lists the codes as exercise.join_codes: [{team, code}]. */
function joinCodes(w) {
  const codes = (w.exercise && w.exercise.join_codes) || w.teams || [];
  return Array.isArray(codes) ? codes : [];
}

/* Members who joined, by team: [{team, name, sessions}] (the `members` reply). */
let members = [];
const codesStatus = statusLine($('codes-status'));

async function refreshMembers() {
  try {
    members = (await conn.request('members')).members || [];
    renderJoinCodes();
  } catch (err) {
    codesStatus.error(errorText(err));
  }
}

async function rotateCode(team) {
  const ok = await confirmDialog({
    title: t('codes.rotate.confirm.title', { team }),
    text: t('codes.rotate.confirm.text'),
    ok: t('codes.rotate')
  });
  if (!ok) return;
  try {
    const r = await conn.request('code.rotate', { team });
    setJoinCode(r.team, r.code);
    codesStatus.ok(t('done'));
  } catch (err) {
    codesStatus.error(errorText(err));
  }
}

async function removeMember(team, name) {
  const ok = await confirmDialog({
    title: t('members.remove.confirm.title', { team, name }),
    text: t('members.remove.confirm.text'),
    ok: t('members.remove')
  });
  if (!ok) return;
  try {
    await conn.request('member.remove', { team, name });
    codesStatus.ok(t('done'));
  } catch (err) {
    codesStatus.error(errorText(err));
  }
  refreshMembers();
}

function setJoinCode(team, code) {
  const codes = joinCodes(state.welcome || {});
  const entry = codes.find((c) => c.team === team);
  if (entry) entry.code = code;
  renderJoinCodes();
}

function renderJoinCodes() {
  const rows = joinCodes(state.welcome || {}).map((c) => {
    const link = new URL(`index.html?code=${encodeURIComponent(c.code)}`, location.href).href;
    const mine = members.filter((m) => m.team === c.team);
    return el(
      'tr',
      { dataset: { test: 'join-code-row', team: c.team } },
      el('th', { scope: 'row' }, teamNameEditor(c.team, (type, fields) => conn.request(type, fields))),
      el(
        'td',
        {},
        el('code', { dataset: { test: 'join-code' } }, c.code),
        ' ',
        el('a', { href: link, class: 'small' }, link),
        ' ',
        el('button', { type: 'button', class: 'small', dataset: { test: 'code-rotate' }, onclick: () => rotateCode(c.team) }, t('codes.rotate'))
      ),
      el(
        'td',
        { dataset: { test: 'members' } },
        mine.length
          ? el(
              'ul',
              { class: 'members' },
              mine.map((m) =>
                el(
                  'li',
                  { dataset: { test: 'member' } },
                  el('span', {}, m.name),
                  ' ',
                  el('button', { type: 'button', class: 'small', dataset: { test: 'member-remove' }, onclick: () => removeMember(c.team, m.name) }, t('members.remove'))
                )
              )
            )
          : t('members.none')
      )
    );
  });
  $('join-codes').replaceChildren(...rows);
}

/* ---- a team's injects and events ---- */

function injectActions(team, inj) {
  const buttons = [];
  const act = async (type, fields, confirmKey) => {
    if (confirmKey) {
      const ok = await confirmDialog({
        title: t(`${confirmKey}.title`, { inject: inj.title || inj.id, team }),
        text: t(`${confirmKey}.text`),
        ok: t(type === 'inject.release' || type === 'inject.retry' ? type : 'inject.skip')
      });
      if (!ok) return;
    }
    try {
      await conn.request(type, { inject: inj.id, team, ...fields });
      injectStatus.ok(t('done'));
    } catch (err) {
      injectStatus.error(errorText(err));
    }
    refreshTimeline();
  };
  if (inj.state === 'failed')
    buttons.push(el('button', { type: 'button', dataset: { test: 'inject-retry' }, onclick: () => act('inject.retry', {}, 'inject.retry.confirm') }, t('inject.retry')));
  const done = inj.state !== 'pending';
  if (!done) {
    buttons.push(
      el('button', { type: 'button', dataset: { test: 'inject-release' }, onclick: () => act('inject.release', {}, 'inject.release.confirm') }, t('inject.release')),
      el('button', { type: 'button', dataset: { test: 'inject-skip' }, onclick: () => act('inject.skip', {}, 'inject.skip.confirm') }, t('inject.skip'))
    );
    /* A held inject can be let go; any other pending one held back. */
    buttons.push(
      inj.held
        ? el('button', { type: 'button', dataset: { test: 'inject-unhold' }, onclick: () => act('inject.hold', { held: false }) }, t('inject.unhold'))
        : el('button', { type: 'button', dataset: { test: 'inject-hold' }, onclick: () => act('inject.hold', { held: true }) }, t('inject.hold'))
    );
  }
  return buttons;
}

async function refreshTimeline() {
  if (conn.state !== 'open' || currentTab !== 'teams') return;
  const team = Number($('team-select').value || 1);
  try {
    const reply = await conn.request('timeline', { team });
    if (Number($('team-select').value || 1) !== team) return;
    $('injects').replaceChildren(
      ...(reply.injects || []).map((inj) =>
        el(
          'tr',
          { dataset: { test: 'inject-row', inject: inj.id, state: inj.state } },
          el(
            'th',
            { scope: 'row' },
            /* The server names an inject without a title by its id: once is enough. */
            inj.title && inj.title !== inj.id ? `${inj.title} ` : '',
            el('code', {}, inj.id),
            inj.note ? el('p', { class: 'note', dataset: { test: 'inject-note' } }, inj.note) : ''
          ),
          el('td', { dataset: { test: 'inject-state' } }, injectState(inj.state)),
          el('td', {}, inj.at_ms != null ? formatClock(inj.at_ms) : ''),
          el('td', { dataset: { test: 'inject-why' } }, describeReason(inj.reason, inj.why || '')),
          el('td', { class: 'actions' }, ...injectActions(team, inj))
        )
      )
    );
    const events = reply.events || [];
    $('team-events').replaceChildren(
      ...events
        .slice()
        .reverse()
        .map((e) =>
          el(
            'li',
            { dataset: { test: 'team-event', type: e.type || e.kind || '' } },
            el('span', { class: 'at' }, e.at_ms != null ? formatClock(e.at_ms) : ''),
            el('span', { class: 'what' }, e.type === 'event' ? describeEvent(e) : describeMessage(e, objectiveTitle) ?? e.type)
          )
        )
    );
  } catch (err) {
    /* Many events at once can outrun the timeline's rate limit: ask again
     * when the server says, without an error to read. */
    if (err.code === 'rate_limited') setTimeout(scheduleTimeline, err.retryMs || 1000);
    else injectStatus.error(errorText(err));
  }
}
$('team-select').addEventListener('change', refreshTimeline);

/* ---- scoreboard ---- */

async function refreshScoreboard() {
  if (conn.state !== 'open') return;
  try {
    state.board = await conn.request('scoreboard');
    for (const s of state.board.teams || []) {
      const live = state.scores.get(s.team);
      if (!live || live.total !== s.total) state.scores.set(s.team, { ...s, type: 'score' });
    }
    renderScoreboard();
  } catch {
    /* the live score messages still update the table */
  }
}

function renderScoreboard() {
  const teams = teamNumbers();
  const objs = state.objectives;
  $('scoreboard-head').replaceChildren(
    el(
      'tr',
      {},
      el('th', { scope: 'col' }, t('scoreboard.team')),
      el('th', { scope: 'col' }, t('scoreboard.total')),
      ...objs.map((o) => el('th', { scope: 'col', title: o.text || '' }, objectiveTitle(o.id))),
      el('th', { scope: 'col' }, t('scoreboard.penalties'))
    )
  );
  const ranked = teams
    .map((n) => ({ team: n, s: state.scores.get(n) }))
    .sort((a, b) => (b.s ? b.s.total : 0) - (a.s ? a.s.total : 0) || a.team - b.team);
  $('scoreboard').replaceChildren(
    ...ranked.map(({ team, s }) =>
      el(
        'tr',
        { dataset: { test: 'scoreboard-row', team } },
        el('th', { scope: 'row' }, el('span', { class: 'swatch', style: `background:${teamColor(team)}` }), teamLabel(team)),
        el('td', { class: 'total', dataset: { test: 'scoreboard-total' } }, s ? String(s.total) : '0'),
        ...objs.map((o) => {
          const x = s && s.objectives ? s.objectives.find((y) => y.id === o.id) : null;
          return el(
            'td',
            { class: x && x.achieved ? 'achieved' : '', dataset: { test: 'scoreboard-cell', objective: o.id } },
            x ? `${x.points}` : '0'
          );
        }),
        el('td', { dataset: { test: 'scoreboard-penalties' } }, s ? String(s.penalties || 0) : '0')
      )
    )
  );
  const boardTeams = new Map(((state.board && state.board.teams) || []).map((x) => [x.team, x]));
  drawScoreChart($('score-chart'), {
    teams: teams.map((n) => {
      const b = boardTeams.get(n);
      const live = state.scores.get(n);
      const history = b && b.history ? b.history.slice() : [];
      const last = history.length ? history[history.length - 1][1] : 0;
      if (live && live.total !== last) history.push([exerciseNow(), live.total]);
      return { team: n, history, total: live ? live.total : last };
    }),
    nowMs: exerciseNow(),
    maxPoints: state.board && state.board.max,
    labels: {
      title: t('scoreboard.chart'),
      desc: t('scoreboard.chart.desc'),
      minutes: t('scoreboard.minutes'),
      team: (n) => teamLabel(n)
    }
  });
}

/* ---- reports ---- */

/* The file a team sent with a report, saved through the browser. */
async function downloadReportFile(report, statusNode) {
  try {
    const reply = await conn.request('attachment', { report: report.seq });
    saveFile(reply.name || report.attachment.name, reply.data);
  } catch (err) {
    statusLine(statusNode).error(errorText(err));
  }
}

function renderReports() {
  const host = $('reports');
  /* Keep a grade or feedback being typed: rebuild only the cards whose data changed. */
  const entries = state.reports.entries();
  const existing = new Map([...host.children].map((c) => [`${c.dataset.team}/${c.dataset.objective}`, c]));
  const nodes = entries.map((c) => {
    const o = objective(c.objective) || { id: c.objective, rubric: [] };
    const sig = cardSignature(c, o, state.reports, teamLabel(c.team));
    const old = existing.get(c.key);
    if (old && old.dataset.sig === sig && !renderReports.force) return old;
    const card = reportCard({
      team: c.team,
      objective: o,
      reports: c.reports,
      book: state.reports,
      request: (type, fields) => conn.request(type, fields),
      teamLabel,
      objectiveTitle,
      download: downloadReportFile
    });
    card.dataset.sig = sig;
    return card;
  });
  renderReports.force = false;
  host.replaceChildren(...nodes);
  $('report-statuses').replaceChildren(
    statusTable({
      teams: teamNumbers(),
      objectives: state.objectives.filter((o) => o.kind === 'report'),
      book: state.reports,
      teamLabel,
      objectiveTitle,
      show: (team, objectiveId) => host.querySelector(`[data-team="${team}"][data-objective="${objectiveId}"]`)?.scrollIntoView()
    }) || ''
  );
  document.querySelector('[data-test=reports-empty]').hidden = entries.length > 0;
  let ungraded = 0;
  for (const c of entries) {
    const rubric = (objective(c.objective) || {}).rubric || [];
    if (rubric.some((r) => state.reports.grade(c.team, c.objective, r.item) == null)) ungraded++;
  }
  $('ungraded').hidden = ungraded === 0;
  $('ungraded').textContent = String(ungraded);
}

/* ---- nodes ---- */

const consoles = new Map(); // `${team}/${node}` -> {console, panel}

function toggleConsole(n) {
  const key = `${n.team}/${n.name}`;
  const open = consoles.get(key);
  if (open) {
    open.console.close();
    open.panel.remove();
    consoles.delete(key);
  } else {
    const host = el('div', { class: 'terminal', dataset: { test: 'terminal', node: n.name, team: n.team } });
    const panel = el(
      'section',
      { class: 'console-panel', dataset: { test: 'console-panel', team: n.team, node: n.name } },
      el('h3', {}, t('console.label', { node: `${teamLabel(n.team)} ${n.name}` })),
      host
    );
    $('consoles').append(panel);
    const c = new SerialConsole(conn, host, { node: n.name, team: n.team });
    consoles.set(key, { console: c, panel });
    c.open();
  }
  renderNodes();
}

const screens = new Map(); // `${team}/${node}` -> {display, panel}

/* A node's screen, watched (view-only) until the instructor takes control. */
function toggleDisplay(n) {
  const key = `${n.team}/${n.name}`;
  const open = screens.get(key);
  if (open) {
    open.display.close();
    open.panel.remove();
    screens.delete(key);
  } else {
    const host = el('div', { class: 'display', dataset: { test: 'display', node: n.name, team: n.team } });
    const panel = el(
      'section',
      { class: 'console-panel', dataset: { test: 'display-panel', team: n.team, node: n.name } },
      el('h3', {}, t('display.label', { node: `${teamLabel(n.team)} ${n.name}` })),
      host
    );
    $('consoles').append(panel);
    const d = new GuestDisplay(conn, host, { node: n.name, team: n.team, watch: true });
    screens.set(key, { display: d, panel });
    d.open();
  }
  renderNodes();
}

/* what: 'restart' (power cycle) or 'revert' (a fresh disk over the image). */
async function restartNode(n, what = 'restart') {
  const ok = await confirmDialog({
    title: t(`node.${what}.confirm.title`, { node: n.name, team: n.team }),
    text: t(`node.${what}.confirm.text`),
    ok: t(`node.${what}`)
  });
  if (!ok) return;
  n.restarting = true;
  renderNodes();
  try {
    await conn.request(`node.${what}`, { team: n.team, node: n.name });
    nodesStatus.ok(t('done'));
  } catch (err) {
    nodesStatus.error(errorText(err));
  } finally {
    n.restarting = false;
    refreshNodes();
  }
}

const nodeGroups = new NodeGroups($('nodes-table'));
$('node-groups-open').addEventListener('click', () => nodeGroups.setAll(true));
$('node-groups-close').addEventListener('click', () => nodeGroups.setAll(false));

function renderNodes() {
  nodeGroups.render(
    state.nodes,
    (n) => {
      const s = n.state || 'unknown';
      const open = consoles.has(`${n.team}/${n.name}`);
      const screenOpen = screens.has(`${n.team}/${n.name}`);
      return el(
        'tr',
        { dataset: { test: 'node-row', team: n.team, node: n.name } },
        el('td', {}, teamLabel(n.team)),
        el('th', { scope: 'row' }, n.name, n.title ? el('span', { class: 'small' }, ` ${n.title}`) : null),
        el('td', {}, (n.addresses || []).join(', ')),
        el('td', { dataset: { test: 'node-state', state: s } }, t(`node.state.${s}`)),
        el(
          'td',
          { class: 'actions' },
          el('button', { type: 'button', disabled: n.restarting, dataset: { test: 'node-restart' }, onclick: () => restartNode(n) }, t('node.restart')),
          el('button', { type: 'button', disabled: n.restarting, dataset: { test: 'node-revert' }, onclick: () => restartNode(n, 'revert') }, t('node.revert')),
          n.console === false
            ? null
            : el(
                'button',
                { type: 'button', 'aria-pressed': String(open), dataset: { test: 'console-open' }, onclick: () => toggleConsole(n) },
                open ? t('node.console.close') : t('node.console.open')
              ),
          n.display
            ? el(
                'button',
                { type: 'button', 'aria-pressed': String(screenOpen), dataset: { test: 'display-open' }, onclick: () => toggleDisplay(n) },
                screenOpen ? t('node.display.close') : t('node.display.open')
              )
            : null
        )
      );
    }
  );
}

async function refreshNodes() {
  if (conn.state !== 'open') return;
  try {
    const reply = await conn.request('nodes', { team: 0 });
    const byKey = new Map((reply.nodes || []).map((n) => [`${n.team}/${n.name}`, n]));
    state.nodes = state.nodes.map((n) => {
      const fresh = byKey.get(`${n.team}/${n.name}`);
      return fresh ? { ...n, state: fresh.state } : n;
    });
    for (const [key, n] of byKey) if (!state.nodes.some((x) => `${x.team}/${x.name}` === key)) state.nodes.push(n);
    renderNodes();
  } catch (err) {
    nodesStatus.error(errorText(err));
  }
}

/* ---- events: the Events tab pages them from the ledger ---- */

function addEvent() {
  eventsTab.changed();
}

/* ---- messages ---- */

conn.on('welcome', (w) => {
  state.welcome = w;
  const e = w.exercise || {};
  state.exercise = { phase: e.phase || 'ready', at_ms: e.at_ms || 0, speed: e.speed || 1, receivedAt: performance.now() };
  state.teams = e.teams || joinCodes(w).length;
  state.objectives = w.objectives || [];
  setTeamNames(e.names);
  const old = new Map(state.nodes.map((n) => [`${n.team}/${n.name}`, n]));
  state.nodes = (w.nodes || []).map((n) => ({ ...(old.get(`${n.team}/${n.name}`) || {}), ...n }));
  renderExercise();
  renderTeamSelects();
  eventsTab.renderFilters();
  if (currentTab === 'events') eventsTab.reload();
  renderJoinCodes();
  renderAccounts($('accounts'), w.accounts || [], { withTeam: true });
  refreshMembers();
  renderReports.force = true;
  renderReports();
  renderNodes();
  /* A tabletop exercise has no guests: no Nodes tab. */
  $('tab-nodes').hidden = state.nodes.length === 0;
  refreshNodes();
  refreshScoreboard();
  refreshTimeline();
});

/* Another instructor replaced a team's join code. */
conn.on('join_code', (m) => setJoinCode(m.team, m.code));

conn.on('exercise', (m) => {
  /* One the welcome already covers (replayed after it) is history: the
   * welcome's phase and clock are newer. */
  const history = state.welcome && m.seq <= (state.welcome.last_seq ?? 0);
  if (!history) state.exercise = { phase: m.phase, at_ms: m.at_ms, speed: m.speed || 1, receivedAt: performance.now() };
  renderExercise();
});

conn.on('score', (m) => {
  state.scores.set(m.team, m);
  /* Drawn when on screen (the tab draws it when shown): with 40 teams a
   * table and chart per score message would hold up every other view. */
  if (currentTab === 'scoreboard') renderScoreboard();
});

for (const type of ['report', 'grade', 'feedback']) {
  conn.on(type, (m) => {
    state.reports.add(m);
    renderReports();
  });
}

/* A team renamed (roster.js). */
conn.on('team', noteTeamName);
onTeamNames(() => {
  overview.render();
  renderTeamSelects();
  renderJoinCodes();
  renderScoreboard();
  renderReports.force = true;
  renderReports();
  renderNodes();
  renderRequests();
  eventsTab.relabel();
});

conn.on('request', (m) => {
  state.requests.add(m);
  renderRequests();
});

/* The feed shows every event as it comes: raw ones and those the teams
 * see; a team's inject table follows its events. */
for (const type of ['event', 'inbox', 'answer', 'report', 'grade', 'feedback', 'team', 'hint', 'message', 'request']) {
  conn.on(type, (m) => {
    addEvent(m);
    if (currentTab === 'teams' && Number($('team-select').value) === m.team) scheduleTimeline();
  });
}

/* A failed inject stays an alert on the exercise tab until it is retried
 * (or fires, or is skipped): how it ended, its stderr, and a Retry. */
function trackFailure(m) {
  const key = `${m.team}/${m.subject}`;
  if (m.kind === 'inject.failed') state.failures.set(key, m);
  else if (injectOutcome(m)) state.failures.delete(key);
  else return;
  renderAlerts();
}

/* On the exercise tab and on the overview alike. */
function renderAlerts() {
  $('inject-alerts').replaceChildren(...failureAlerts('inject-alert'));
  $('overview-failures').replaceChildren(...failureAlerts('overview-failure'));
  overview.failuresChanged();
}

/* test: the data-test of each alert (its Retry: `${test}-retry`); the
 * exercise tab's are inject-alert with alert-retry. */
function failureAlerts(test) {
  return [...state.failures.values()].map((m) => {
    const [first, ...rest] = (m.text || '').split('\n');
    return el(
      'li',
      { dataset: { test, team: m.team, inject: m.subject } },
      el('span', {}, t('alert.inject.failed', { team: m.team, inject: m.subject, at: formatClock(m.at_ms), why: first })),
      ' ',
      el(
        'button',
        {
          type: 'button',
          class: 'small',
          dataset: { test: test === 'inject-alert' ? 'alert-retry' : `${test}-retry` },
          onclick: async () => {
            try {
              await conn.request('inject.retry', { inject: m.subject, team: m.team });
              controlStatus.ok(t('done'));
            } catch (err) {
              controlStatus.error(errorText(err));
            }
          }
        },
        t('inject.retry')
      ),
      rest.length ? el('pre', { dataset: { test: 'alert-stderr' } }, rest.join('\n')) : ''
    );
  });
}
conn.on('event', trackFailure);

/* Many events at once refresh the table once. */
let timelineTimer = null;
function scheduleTimeline() {
  if (!timelineTimer)
    timelineTimer = setTimeout(() => {
      timelineTimer = null;
      refreshTimeline();
    }, 300);
}

conn.on('reset', () => {
  state.failures.clear();
  renderAlerts();
  state.scores.clear();
  state.reports.clear();
  state.requests.clear();
  renderReports();
  renderScoreboard();
  renderRequests();
});

onLangChange(() => {
  overview.render();
  renderExercise();
  renderAlerts();
  renderTeamSelects();
  renderJoinCodes();
  renderAccounts($('accounts'), (state.welcome && state.welcome.accounts) || [], { withTeam: true });
  renderScoreboard();
  renderReports.force = true;
  renderReports();
  renderNodes();
  renderRequests();
  eventsTab.relabel();
  conn.resync();
});

setInterval(() => {
  if (currentTab === 'teams') refreshTimeline();
  if (currentTab === 'scoreboard') refreshScoreboard();
  if (currentTab === 'nodes') refreshNodes();
}, REFRESH_MS);

const overview = createOverview({
  conn,
  exercise: () => state.exercise,
  exerciseNow,
  objectiveTitle,
  failures: () => state.failures.values()
});
consoleChrome(conn);
setupReportDownload(conn);
tabs(document.querySelector('[role=tablist]'), (name) => {
  currentTab = name;
  if (name === 'teams') refreshTimeline();
  if (name === 'scoreboard') {
    renderScoreboard();
    refreshScoreboard();
  }
  if (name === 'nodes') refreshNodes();
  if (name === 'events') eventsTab.show();
  else eventsTab.hide();
});
renderExercise();
renderReports();
renderRequests();
conn.start();
