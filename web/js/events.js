/*
 * The instructor console's Events tab: the ledger's events as sentences,
 * newest first in exercise time, filtered by team and by kind, a page at a
 * time from the server (`events`, web/PROTOCOL.md) with no fixed limit:
 * "Older events" asks for the page after the last one shown. A long text
 * (a check's output, a report) shows as a short excerpt with "more".
 *
 * New events (any event message the console receives) bring the newest
 * page again while the tab is on screen, merged with what is shown: at most
 * one request a second, so a burst of events costs one.
 */

import { t, formatClock } from './i18n.js';
import { $, el, errorText } from './ui.js';
import { describeEvent, eventDetail } from './describe.js';
import { teamLabel } from './roster.js';

const PAGE = 50;
const EXCERPT = 160;
const REFRESH_MS = 1000;

/* The kinds of the ledger, grouped as the filter offers them. */
export const KIND_GROUPS = {
  exercise: ['exercise.state'],
  injects: ['inject.begin', 'inject.fired', 'inject.failed', 'inject.skipped', 'inject.held', 'inject.released', 'inject.retried'],
  checks: ['check.result'],
  answers: ['answer'],
  reports: ['report', 'grade'],
  hints: ['hint', 'penalty'],
  requests: ['request', 'request.decided'],
  instructors: ['instructor'],
  nodes: ['node.state']
};

export class EventsTab {
  /* conn: the Connection; teams(): how many teams. */
  constructor(conn, teams) {
    this.conn = conn;
    this.teams = teams;
    this.page = PAGE; // events asked for at a time
    this.shown = new Map(); // seq -> event
    this.next = null; // next_before_seq of the last page, or null: no more
    this.visible = false;
    this.timer = null;
    this.status = $('events-status');
    this.renderFilters();
    $('events-older').addEventListener('click', () => this.load(this.next));
  }

  /* The filter: a team select and a checkbox per group of kinds. */
  renderFilters() {
    const team = $('events-team');
    const chosen = team.value;
    team.replaceChildren(
      el('option', { value: '0' }, t('events.filter.all_teams')),
      ...Array.from({ length: this.teams() }, (_, i) => el('option', { value: String(i + 1) }, teamLabel(i + 1)))
    );
    team.value = chosen && Number(chosen) <= this.teams() ? chosen : '0';
    team.onchange = () => this.reload();
    const boxes = $('events-kinds');
    const checked = new Set([...boxes.querySelectorAll('input:checked')].map((b) => b.value));
    const first = boxes.children.length === 0;
    boxes.replaceChildren(
      ...Object.keys(KIND_GROUPS).map((group) =>
        el(
          'label',
          { class: 'kind' },
          el('input', {
            type: 'checkbox',
            value: group,
            checked: first || checked.has(group),
            dataset: { test: 'events-kind', group },
            onchange: () => this.reload()
          }),
          ` ${t(`events.group.${group}`)}`
        )
      )
    );
  }

  query() {
    const team = Number($('events-team').value || 0);
    const groups = [...$('events-kinds').querySelectorAll('input:checked')].map((b) => b.value);
    const all = groups.length === Object.keys(KIND_GROUPS).length;
    return { team, kinds: all ? null : groups.flatMap((g) => KIND_GROUPS[g]) };
  }

  show() {
    this.visible = true;
    this.reload();
  }

  hide() {
    this.visible = false;
  }

  /* The filter changed: start again from the newest. */
  reload() {
    this.shown.clear();
    this.next = null;
    this.render();
    this.load(null);
  }

  /* A new event came: the newest page again, soon. */
  changed() {
    if (!this.visible || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.load(null, { merge: true });
    }, REFRESH_MS);
  }

  async load(before, { merge = false } = {}) {
    if (this.conn.state !== 'open') return;
    const { team, kinds } = this.query();
    if (kinds && kinds.length === 0) {
      this.shown.clear();
      this.next = null;
      this.render();
      return;
    }
    const fields = { limit: this.page };
    if (team) fields.team = team;
    if (kinds) fields.kinds = kinds;
    if (before) fields.before_seq = before;
    const asked = JSON.stringify(this.query());
    try {
      const reply = await this.conn.request('events', fields);
      if (JSON.stringify(this.query()) !== asked) return; /* the filter changed meanwhile */
      for (const e of reply.events || []) this.shown.set(e.seq, e);
      /* The newest page again keeps where the older pages ended (a burst of
       * more than a page within a second would leave a gap: rare, and the
       * filter's reload closes it). */
      if (!merge) this.next = reply.more ? reply.next_before_seq : null;
      this.status.textContent = '';
      this.render();
    } catch (err) {
      if (err.code === 'rate_limited') setTimeout(() => this.load(before, { merge }), err.retryMs || 1000);
      else this.status.textContent = errorText(err);
    }
  }

  render() {
    const events = [...this.shown.values()].sort((a, b) => b.at_ms - a.at_ms || b.seq - a.seq);
    $('events').replaceChildren(...events.map((e) => this.row(e)));
    $('events-empty').hidden = events.length > 0;
    $('events-older').hidden = this.next === null;
  }

  row(e) {
    const detail = eventDetail(e);
    const li = el(
      'li',
      { dataset: { test: 'event', kind: e.kind, team: e.team, seq: e.seq } },
      el('span', { class: 'at' }, formatClock(e.at_ms)),
      el('span', { class: 'team' }, e.team ? teamLabel(e.team) : t('events.exercise')),
      el('span', { class: 'what' }, el('span', { dataset: { test: 'event-sentence' } }, describeEvent(e)))
    );
    if (detail) {
      const what = li.querySelector('.what');
      const long = detail.length > EXCERPT || detail.includes('\n');
      const excerpt = long ? `${detail.slice(0, EXCERPT).split('\n')[0]}…` : detail;
      const pre = el('pre', { class: 'detail', dataset: { test: 'event-detail' } }, excerpt);
      what.append(pre);
      if (long) {
        let open = false;
        const more = el('button', { type: 'button', class: 'small link', dataset: { test: 'event-more' }, 'aria-expanded': 'false' }, t('events.more'));
        more.addEventListener('click', () => {
          open = !open;
          pre.textContent = open ? detail + (e.text_cut ? `\n${t('events.cut')}` : '') : excerpt;
          more.textContent = t(open ? 'events.less' : 'events.more');
          more.setAttribute('aria-expanded', String(open));
        });
        what.append(more);
      }
    }
    return li;
  }

  /* The language changed: words again, same events. */
  relabel() {
    this.renderFilters();
    this.render();
  }
}
