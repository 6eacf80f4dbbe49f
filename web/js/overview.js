/*
 * The instructor console's Overview: every team on one screen (40 teams
 * fit 1366x768), and what to do for all of them at once.
 *
 * - A matrix of teams x objectives: achieved, attempted (how many answers
 *   or reports), hints taken; each team's score.
 * - Per team: its injects fired / pending / held (the "why not yet" of each
 *   pending one in the cell's tooltip and in the team's row detail),
 *   members online, the time since a member last did something.
 * - Alerts per team: an inject that failed (the Retry is the exercise
 *   tab's alert, shown here too), a guest that does not run, a team idle
 *   for more than N minutes (N set here, kept in this browser).
 * - Release a manual inject for every team with one confirmation
 *   (`inject.release` with team 0), and broadcast to all teams.
 *
 * The matrix comes from the event messages the console gets anyway
 * (answer, report, hint, score), cell by cell as they arrive: an answer
 * shows at once, however many teams there are. Injects, members, last
 * actions and guests come from the server's `overview` summary (one
 * request for every team: web/PROTOCOL.md), asked every few seconds and
 * soon after an inject event; inject events move the counts at once.
 */

import { t } from './i18n.js';
import { $, el, confirmDialog, statusLine, errorText } from './ui.js';
import { teamLabel, teamTitle } from './roster.js';

const REFRESH_MS = 5000;
/* After inject events, the summary is asked again at most this often. */
const AFTER_EVENT_MS = 2000;
const TICK_MS = 1000;
const IDLE_KEY = 'enshu:overview:idle-minutes';
const IDLE_DEFAULT_MIN = 10;
/* More teams than this: two tables side by side, so 40 fit one screen. */
const ONE_TABLE_MAX = 20;
const INJECT_STATES = ['fired', 'pending', 'held', 'failed', 'skipped'];

/* Minutes and seconds, short: "45 s", "12 min", "2 h 05 min". */
function shortDuration(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return t('overview.ago.s', { n: s });
  const m = Math.floor(s / 60);
  if (m < 60) return t('overview.ago.min', { n: m });
  return t('overview.ago.h', { h: Math.floor(m / 60), min: String(m % 60).padStart(2, '0') });
}

function readIdleMinutes() {
  try {
    const v = Number(localStorage.getItem(IDLE_KEY));
    if (v > 0) return v;
  } catch {
    /* storage disabled: the default */
  }
  return IDLE_DEFAULT_MIN;
}

/*
 * options:
 *   conn             the console's Connection (listeners are added here,
 *                    before it starts, so stored messages count too)
 *   exercise()       the exercise as the console knows it ({phase, ...})
 *   exerciseNow()    exercise time now, ms
 *   objectiveTitle(id)
 *   failures()       the failed injects not yet settled (inject.failed events)
 */
export function createOverview({ conn, exercise, exerciseNow, objectiveTitle, failures }) {
  const data = {
    teams: 0,
    objectives: [],
    scores: new Map(), // team -> score message
    attempts: new Map(), // `${team}/${objective}` -> answers and reports
    hints: new Map(), // `${team}/${objective}` -> hints taken
    summary: null, // the last overview reply
    teamSummary: new Map(), // team -> its entry of that reply (moved on by inject events)
    summaryAt: 0, // performance.now() when it came
    actedAt: new Map(), // team -> performance.now() of a member's action seen live
    expanded: new Set() // teams whose detail row is open
  };
  const cells = new Map(); // `${team}/${objective}` -> td
  const rows = new Map(); // team -> {row, detail, score, injects, online, last, alerts}
  const status = statusLine($('overview-status'));
  let idleMinutes = readIdleMinutes();

  /* ---- what a cell and a row show ---- */

  function achieved(team, objective) {
    const s = data.scores.get(team);
    const o = s && s.objectives ? s.objectives.find((x) => x.id === objective) : null;
    return Boolean(o && o.achieved);
  }

  function paintCell(team, objective) {
    const td = cells.get(`${team}/${objective}`);
    if (!td) return;
    const key = `${team}/${objective}`;
    const tries = data.attempts.get(key) || 0;
    const hints = data.hints.get(key) || 0;
    const state = achieved(team, objective) ? 'achieved' : tries ? 'attempted' : 'none';
    td.dataset.state = state;
    td.dataset.hints = String(hints);
    td.firstChild.textContent = state === 'achieved' ? '✓' : tries ? String(tries) : '';
    td.lastChild.textContent = hints ? String(hints) : '';
    const words = [t(`overview.cell.${state}`)];
    if (tries) words.push(t('overview.cell.tries', { n: tries }));
    if (hints) words.push(t('overview.cell.hints', { n: hints }));
    td.title = `${teamLabel(team)} · ${objectiveTitle(objective)}: ${words.join(', ')}`;
  }

  /* Milliseconds since a member of team last did something, or null when
   * nobody has yet. */
  function idleMs(team) {
    const now = performance.now();
    const seen = data.actedAt.get(team);
    const s = data.teamSummary.get(team);
    const fromServer = s && s.idle_ms != null ? s.idle_ms + (now - data.summaryAt) : null;
    const fromLive = seen != null ? now - seen : null;
    if (fromServer == null) return fromLive;
    if (fromLive == null) return fromServer;
    return Math.min(fromServer, fromLive);
  }

  /* The alerts of team now: [{kind, text, title}]. */
  function alertsOf(team) {
    const out = [];
    const s = data.teamSummary.get(team);
    const failed = [...failures()].filter((m) => m.team === team);
    if (failed.length)
      out.push({
        kind: 'failed',
        text: t('overview.alert.failed', { n: failed.length }),
        title: failed.map((m) => `${m.subject}: ${(m.text || '').split('\n')[0]}`).join('\n')
      });
    if (s && s.down && s.down.length)
      out.push({
        kind: 'down',
        text: t('overview.alert.down', { n: s.down.length }),
        title: s.down.map((d) => `${d.name}: ${t(`node.state.${d.state}`)}`).join('\n')
      });
    if (exercise().phase === 'running') {
      /* Nobody has done anything yet: idle since the start. */
      const idle = idleMs(team) ?? exerciseNow();
      if (idle >= idleMinutes * 60000)
        out.push({
          kind: 'idle',
          text: t('overview.alert.idle', { time: shortDuration(idle) }),
          title: t('overview.alert.idle.title', { minutes: idleMinutes })
        });
    }
    return out;
  }

  function injectCounts(team) {
    const s = data.teamSummary.get(team);
    const c = (s && s.injects) || {};
    return Object.fromEntries(INJECT_STATES.map((k) => [k, c[k] || 0]));
  }

  function injectTitle(id) {
    const list = (data.summary && data.summary.injects) || [];
    const inj = list.find((x) => x.id === id);
    return inj ? inj.title || inj.id : id;
  }

  function waitingLines(team) {
    const s = data.teamSummary.get(team);
    return ((s && s.waiting) || []).map(
      (w) => `${injectTitle(w.id)}${w.held ? ` (${t('overview.held')})` : ''}: ${w.why || ''}`
    );
  }

  function paintRow(team) {
    const r = rows.get(team);
    if (!r) return;
    const s = data.teamSummary.get(team);
    const score = data.scores.get(team);
    r.score.textContent = score ? String(score.total) : '0';

    const c = injectCounts(team);
    r.injects.dataset.fired = String(c.fired);
    r.injects.dataset.pending = String(c.pending);
    r.injects.dataset.held = String(c.held);
    r.injects.replaceChildren(
      el('span', { class: 'fired' }, String(c.fired)),
      '/',
      el('span', { class: 'pending' }, String(c.pending)),
      '/',
      el('span', { class: 'held' }, String(c.held))
    );
    const waiting = waitingLines(team);
    r.injects.title = [t('overview.injects.title', c), ...waiting].join('\n');

    const online = (s && s.online) || [];
    r.online.dataset.online = String(online.length);
    r.online.textContent = s ? `${online.length}/${s.members}` : '';
    r.online.title = online.length ? online.join(', ') : t('overview.online.none');

    paintActivity(team);
    if (data.expanded.has(team)) r.detail.replaceChildren(detailCell(team));
  }

  /* The parts that change with time alone: last activity and alerts. */
  function paintActivity(team) {
    const r = rows.get(team);
    if (!r) return;
    const idle = idleMs(team);
    r.last.textContent = idle == null ? '–' : shortDuration(idle);
    r.last.title = idle == null ? t('overview.last.none') : t('overview.last.title', { time: shortDuration(idle) });
    const alerts = alertsOf(team);
    const sig = alerts.map((a) => `${a.kind}:${a.text}`).join('|');
    if (r.alerts.dataset.sig !== sig) {
      r.alerts.dataset.sig = sig;
      r.alerts.replaceChildren(
        ...alerts.map((a) =>
          el('span', { class: `flag ${a.kind}`, title: a.title, dataset: { test: 'overview-alert', kind: a.kind, team } }, a.text)
        )
      );
    }
    r.row.dataset.alerts = String(alerts.length);
    return alerts.length;
  }

  function detailCell(team) {
    const s = data.teamSummary.get(team);
    const waiting = (s && s.waiting) || [];
    const online = (s && s.online) || [];
    const down = (s && s.down) || [];
    return el(
      'td',
      { colspan: String(data.objectives.length + 6) },
      el('h3', {}, t('overview.detail.pending')),
      waiting.length
        ? el(
            'ul',
            { class: 'why' },
            waiting.map((w) =>
              el(
                'li',
                { dataset: { test: 'overview-why', inject: w.id, held: String(Boolean(w.held)) } },
                el('strong', {}, injectTitle(w.id)),
                w.held ? ` (${t('overview.held')})` : '',
                `: ${w.why || ''}`
              )
            )
          )
        : el('p', { class: 'empty' }, t('overview.detail.none')),
      el('p', {}, `${t('overview.detail.online')}: ${online.length ? online.join(', ') : t('overview.online.none')}`),
      down.length
        ? el('p', {}, `${t('overview.detail.down')}: ${down.map((d) => `${d.name} (${t(`node.state.${d.state}`)})`).join(', ')}`)
        : null
    );
  }

  function toggleDetail(team) {
    const r = rows.get(team);
    if (data.expanded.has(team)) data.expanded.delete(team);
    else data.expanded.add(team);
    const open = data.expanded.has(team);
    r.toggle.setAttribute('aria-expanded', String(open));
    r.detail.hidden = !open;
    if (open) r.detail.replaceChildren(detailCell(team));
  }

  /* ---- the whole matrix ---- */

  function teamRow(team) {
    const toggle = el(
      'button',
      { type: 'button', class: 'link', title: teamTitle(team), 'aria-expanded': String(data.expanded.has(team)), dataset: { test: 'overview-team' }, onclick: () => toggleDetail(team) },
      teamLabel(team)
    );
    const objectiveCells = data.objectives.map((o) => {
      const td = el('td', { class: 'cell', dataset: { test: 'overview-cell', team, objective: o.id } }, el('span', {}), el('sup', {}));
      cells.set(`${team}/${o.id}`, td);
      return td;
    });
    const r = {
      toggle,
      score: el('td', { class: 'num', dataset: { test: 'overview-score' } }),
      injects: el('td', { class: 'injects', dataset: { test: 'overview-injects' } }),
      online: el('td', { class: 'num', dataset: { test: 'overview-online' } }),
      last: el('td', { class: 'num', dataset: { test: 'overview-last' } }),
      alerts: el('td', { class: 'alerts-cell', dataset: { test: 'overview-alerts' } })
    };
    r.row = el('tr', { dataset: { test: 'overview-row', team } }, el('th', { scope: 'row' }, toggle), ...objectiveCells, r.score, r.injects, r.online, r.last, r.alerts);
    r.detail = el('tr', { class: 'detail', hidden: !data.expanded.has(team), dataset: { test: 'overview-detail', team } });
    rows.set(team, r);
    return [r.row, r.detail];
  }

  function table(teams) {
    return el(
      'table',
      { class: 'overview' },
      el(
        'thead',
        {},
        el(
          'tr',
          {},
          el('th', { scope: 'col' }, t('overview.team')),
          ...data.objectives.map((o, i) =>
            el('th', { scope: 'col', class: 'cell', title: objectiveTitle(o.id) }, el('abbr', { title: objectiveTitle(o.id) }, String(i + 1)))
          ),
          el('th', { scope: 'col', class: 'num' }, t('overview.score')),
          el('th', { scope: 'col', title: t('overview.injects.head.title') }, t('overview.injects.head')),
          el('th', { scope: 'col', class: 'num', title: t('overview.online.head.title') }, t('overview.online.head')),
          el('th', { scope: 'col', class: 'num', title: t('overview.last.head.title') }, t('overview.last.head')),
          el('th', { scope: 'col' }, t('overview.alerts'))
        )
      ),
      el('tbody', {}, ...teams.flatMap(teamRow))
    );
  }

  function render() {
    cells.clear();
    rows.clear();
    const teams = Array.from({ length: data.teams }, (_, i) => i + 1);
    const halves = teams.length > ONE_TABLE_MAX ? [teams.slice(0, Math.ceil(teams.length / 2)), teams.slice(Math.ceil(teams.length / 2))] : [teams];
    $('overview-matrix').replaceChildren(...halves.map(table));
    $('overview-legend').replaceChildren(
      el('span', { class: 'cell', dataset: { state: 'achieved' } }, '✓'),
      ` ${t('overview.cell.achieved')} `,
      el('span', { class: 'cell', dataset: { state: 'attempted' } }, '2'),
      ` ${t('overview.legend.attempted')} `,
      el('span', { class: 'cell', dataset: { state: 'none', hints: '1' } }, el('span', {}), el('sup', {}, '1')),
      ` ${t('overview.legend.hints')} `,
      el('span', { class: 'cell', dataset: { state: 'none' } }),
      ` ${t('overview.cell.none')} · `,
      t('overview.legend.injects')
    );
    for (const team of teams) {
      for (const o of data.objectives) paintCell(team, o.id);
      paintRow(team);
    }
    renderRelease();
    paintTab();
  }

  /* The alert count on the tab. */
  function paintTab() {
    let n = 0;
    for (const team of rows.keys()) n += Number(rows.get(team).row.dataset.alerts || 0);
    const badge = $('overview-alert-count');
    badge.hidden = n === 0;
    badge.textContent = String(n);
  }

  /* ---- bulk actions ---- */

  function manualInjects() {
    return ((data.summary && data.summary.injects) || []).filter((i) => i.manual);
  }

  /* Teams for which inject id is still pending (held or not). */
  function pendingFor(id) {
    let n = 0;
    for (const s of data.teamSummary.values()) if ((s.waiting || []).some((w) => w.id === id)) n++;
    return n;
  }

  function renderRelease() {
    const select = $('overview-release-inject');
    const keep = select.value;
    const manual = manualInjects();
    select.replaceChildren(
      ...manual.map((i) => el('option', { value: i.id }, t('overview.release.option', { inject: i.title || i.id, teams: pendingFor(i.id) })))
    );
    if (manual.some((i) => i.id === keep)) select.value = keep;
    $('overview-release').disabled = manual.length === 0;
    $('overview-release-form').dataset.manual = String(manual.length);
  }

  $('overview-release-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const id = $('overview-release-inject').value;
    if (!id) return;
    const teams = pendingFor(id);
    const ok = await confirmDialog({
      title: t('overview.release.confirm.title', { inject: injectTitle(id), teams }),
      text: t('overview.release.confirm.text'),
      ok: t('overview.release')
    });
    if (!ok) return;
    try {
      await conn.request('inject.release', { inject: id, team: 0 });
      status.ok(t('overview.released', { inject: injectTitle(id), teams }));
    } catch (err) {
      status.error(errorText(err));
    }
    schedule(0);
  });

  $('overview-broadcast-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const input = $('overview-broadcast-text');
    const text = input.value.trim();
    if (!text) return;
    try {
      await conn.request('broadcast', { text, team: 0 });
      input.value = '';
      status.ok(t('broadcast.sent'));
    } catch (err) {
      status.error(errorText(err));
    }
  });

  const idleInput = $('overview-idle');
  idleInput.value = String(idleMinutes);
  idleInput.addEventListener('change', () => {
    const v = Number(idleInput.value);
    if (!(v > 0)) {
      idleInput.value = String(idleMinutes);
      return;
    }
    idleMinutes = v;
    try {
      localStorage.setItem(IDLE_KEY, String(v));
    } catch {
      /* kept for this page only */
    }
    tick();
  });

  /* ---- the server's summary ---- */

  let timer = null;
  let asking = false;
  function schedule(ms) {
    if (timer) return;
    timer = setTimeout(() => {
      timer = null;
      refresh();
    }, ms);
  }

  async function refresh() {
    if (conn.state !== 'open' || asking) return;
    asking = true;
    try {
      const reply = await conn.request('overview');
      data.summary = reply;
      data.summaryAt = performance.now();
      data.teamSummary = new Map((reply.teams || []).map((s) => [s.team, s]));
      for (const team of rows.keys()) paintRow(team);
      renderRelease();
      paintTab();
    } catch (err) {
      if (err.code === 'rate_limited') schedule(err.retryMs || 1000);
      else if (err.code !== 'disconnected') status.error(errorText(err));
    } finally {
      asking = false;
    }
  }

  /* An inject event moves its team's counts at once (the next summary
   * brings the "why" of what is left). */
  function applyInjectEvent(m) {
    const s = data.teamSummary.get(m.team);
    if (!s || !s.injects) return;
    const to = { 'inject.fired': 'fired', 'inject.failed': 'failed', 'inject.skipped': 'skipped' }[m.kind];
    const i = (s.waiting || []).findIndex((w) => w.id === m.subject);
    if (to && i >= 0) {
      const [w] = s.waiting.splice(i, 1);
      s.injects[w.held ? 'held' : 'pending'] -= 1;
      s.injects[to] += 1;
    } else if (m.kind === 'inject.retried' && s.injects.failed > 0) {
      s.injects.failed -= 1;
      s.injects.pending += 1;
      s.waiting.push({ id: m.subject, held: false, why: '' });
    } else if (m.kind === 'inject.held') {
      /* value: 1 held, 0 let go */
      const w = (s.waiting || []).find((x) => x.id === m.subject);
      const held = Boolean(m.value);
      if (w && w.held !== held) {
        w.held = held;
        s.injects.held += held ? 1 : -1;
        s.injects.pending += held ? -1 : 1;
      }
    }
    paintRow(m.team);
    paintTab();
  }

  /* ---- the event messages ---- */

  /* Whether m happened now rather than being caught up with. */
  const live = (m) => conn.welcome && typeof m.seq === 'number' && m.seq > (conn.welcome.last_seq ?? 0);

  function acted(m) {
    if (!live(m) || !m.team) return;
    data.actedAt.set(m.team, performance.now());
    paintActivity(m.team);
  }

  function count(map, m) {
    const key = `${m.team}/${m.objective}`;
    map.set(key, (map.get(key) || 0) + 1);
    paintCell(m.team, m.objective);
  }

  conn.on('answer', (m) => {
    count(data.attempts, m);
    acted(m);
  });
  conn.on('report', (m) => {
    count(data.attempts, m);
    acted(m);
  });
  conn.on('hint', (m) => {
    count(data.hints, m);
    acted(m);
  });
  conn.on('request', (m) => {
    if (m.state === 'asked' || m.approval === 'auto') acted(m);
  });
  conn.on('score', (m) => {
    data.scores.set(m.team, m);
    for (const o of data.objectives) paintCell(m.team, o.id);
    const r = rows.get(m.team);
    if (r) r.score.textContent = String(m.total);
  });
  conn.on('event', (m) => {
    if (!m.kind || !m.kind.startsWith('inject.')) return;
    if (live(m)) applyInjectEvent(m);
    else if (m.team) paintActivity(m.team); /* a failure's alert, from history */
    schedule(AFTER_EVENT_MS);
  });
  /* A message inject that fired comes as the team's inbox message, not as
   * an inject.fired event. */
  conn.on('inbox', (m) => {
    if (live(m)) applyInjectEvent({ kind: 'inject.fired', team: m.team, subject: m.inject });
    schedule(AFTER_EVENT_MS);
  });
  conn.on('welcome', (w) => {
    const e = w.exercise || {};
    data.teams = e.teams || ((e.join_codes || []).length);
    data.objectives = w.objectives || [];
    render();
    refresh();
  });
  conn.on('reset', () => {
    data.scores.clear();
    data.attempts.clear();
    data.hints.clear();
    data.actedAt.clear();
    render();
  });

  /* Time alone changes the last activity and the idle alerts. */
  function tick() {
    for (const team of rows.keys()) paintActivity(team);
    paintTab();
  }
  setInterval(tick, TICK_MS);
  /* Also while another tab is on screen: the tab shows the alert count. */
  setInterval(refresh, REFRESH_MS);

  return {
    render,
    refresh,
    /* A failed inject came or went (the exercise tab's alerts). */
    failuresChanged: tick
  };
}
