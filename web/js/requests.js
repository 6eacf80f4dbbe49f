/*
 * Team requests in the consoles (web/PROTOCOL.md: `request.ask`,
 * `request.decide` and the `request` messages): what a team may ask for,
 * the state of each of its asks as the server's messages tell it, the
 * trainee's Requests panel and the instructor's list of asks waiting for a
 * decision. Both consoles keep one RequestLog fed with every `request`
 * message, in seq order.
 */

import { t } from './i18n.js';
import { el, confirmDialog, statusLine, errorText } from './ui.js';
import { teamLabel } from './roster.js';

/* What the `request` messages say of each team's requests. */
export class RequestLog {
  constructor() {
    this.byKey = new Map(); // `${team}/${request}` -> {asks, refused, state, note, by, at_ms, seq, title}
  }

  clear() {
    this.byKey.clear();
  }

  /* One `request` message: an ask ('asked', or 'approved' at once for an
   * auto request) or a decision ('approved', 'refused'). */
  add(m) {
    const key = `${m.team}/${m.request}`;
    const r = this.byKey.get(key) || { team: m.team, request: m.request, asks: 0, refused: 0, state: null };
    const isAsk = m.state === 'asked' || m.approval === 'auto';
    if (isAsk) r.asks += 1;
    if (m.state === 'refused') r.refused += 1;
    r.state = m.state;
    r.note = isAsk ? null : m.note; /* an instructor's decision's note, for the team */
    if (isAsk) r.asked_note = m.note;
    r.by = m.by;
    r.at_ms = m.at_ms;
    r.seq = m.seq;
    r.title = m.title;
    this.byKey.set(key, r);
  }

  of(team, request) {
    return this.byKey.get(`${team}/${request}`) || { team, request, asks: 0, refused: 0, state: null };
  }

  /* Every ask waiting for an instructor, oldest first. */
  waiting() {
    return [...this.byKey.values()].filter((r) => r.state === 'asked').sort((a, b) => a.seq - b.seq);
  }
}

/* Whether a team may ask for request r now (the server checks it again). */
function mayAsk(r, entry, running) {
  return running && entry.state !== 'asked' && entry.asks - entry.refused < (r.limit || 1);
}

/*
 * The trainee's Requests panel in container: one card per request of the
 * welcome, with its state and an Ask button (cost confirmed first when it
 * has one). ask(id, note) sends request.ask and resolves or throws.
 */
export function renderTeamRequests(container, { requests, log, team, running, ask }) {
  if (!requests.length) {
    container.replaceChildren(el('p', { class: 'empty', dataset: { test: 'requests-empty' } }, t('requests.empty')));
    return;
  }
  container.replaceChildren(
    el('p', { class: 'help' }, t('requests.help')),
    ...requests.map((r) => {
      const entry = log.of(team, r.id);
      const noteId = `request-note-${r.id}`;
      const note = el('input', { id: noteId, autocomplete: 'off', maxlength: 2000, dataset: { test: 'request-note' } });
      const status = statusLine(el('p', { class: 'status', role: 'alert', dataset: { test: 'request-status' } }));
      const button = el(
        'button',
        {
          type: 'button',
          class: 'primary',
          dataset: { test: 'request-ask' },
          disabled: !mayAsk(r, entry, running),
          onclick: async () => {
            if (r.cost) {
              const ok = await confirmDialog({
                title: t('request.confirm.title', { title: r.title || r.id }),
                text: t('request.confirm.text', { cost: r.cost }),
                ok: t('request.confirm.ok')
              });
              if (!ok) return;
            }
            button.disabled = true;
            status.clear();
            try {
              await ask(r.id, note.value.trim());
              note.value = '';
              status.ok(t('request.sent'));
            } catch (err) {
              status.error(errorText(err));
              button.disabled = false;
            }
          }
        },
        t('request.ask')
      );
      const stateText = entry.state ? t(`request.state.${entry.state}`) : '';
      return el(
        'article',
        { class: 'card request', dataset: { test: 'request', request: r.id, state: entry.state || 'none' } },
        el('h3', {}, r.title || r.id),
        r.text ? el('p', { class: 'text' }, r.text) : null,
        el(
          'p',
          { class: 'help' },
          r.approval === 'auto' ? t('request.auto') : t('request.instructor'),
          r.cost ? ` · ${t('request.cost', { cost: r.cost })}` : '',
          (r.limit || 1) > 1 ? ` · ${t('request.limit', { count: entry.asks - entry.refused, limit: r.limit })}` : ''
        ),
        stateText ? el('p', { class: 'state', dataset: { test: 'request-state' } }, stateText) : null,
        entry.note && entry.state !== 'asked' ? el('p', { class: 'note', dataset: { test: 'request-reply' } }, entry.note) : null,
        el('label', { for: noteId }, t('request.note')),
        el('div', { class: 'row' }, note, button),
        status.node
      );
    })
  );
}

/*
 * The instructor's list of asks waiting for a decision in container: team,
 * request, the team's note, a note for the team and Approve / Refuse.
 * decide(team, id, approve, note) sends request.decide.
 */
export function renderWaitingRequests(container, { log, decide }) {
  const waiting = log.waiting();
  if (!waiting.length) {
    container.replaceChildren(el('p', { class: 'empty', dataset: { test: 'requests-waiting-empty' } }, t('requests.waiting.empty')));
    return;
  }
  container.replaceChildren(
    ...waiting.map((w) => {
      const noteId = `decide-note-${w.team}-${w.request}`;
      const note = el('input', { id: noteId, autocomplete: 'off', maxlength: 2000, dataset: { test: 'decide-note' } });
      const status = statusLine(el('p', { class: 'status', role: 'alert' }));
      const buttons = [];
      const send = async (approve) => {
        for (const b of buttons) b.disabled = true;
        try {
          await decide(w.team, w.request, approve, note.value.trim());
        } catch (err) {
          status.error(errorText(err));
          for (const b of buttons) b.disabled = false;
        }
      };
      buttons.push(
        el('button', { type: 'button', class: 'primary', dataset: { test: 'request-approve' }, onclick: () => send(true) }, t('request.approve')),
        el('button', { type: 'button', dataset: { test: 'request-refuse' }, onclick: () => send(false) }, t('request.refuse'))
      );
      return el(
        'article',
        { class: 'card request', dataset: { test: 'request-waiting', team: w.team, request: w.request } },
        el('h3', {}, `${teamLabel(w.team)}: ${w.title || w.request}`),
        w.asked_note ? el('p', { class: 'note', dataset: { test: 'request-team-note' } }, t('request.team_note', { by: w.by || '', note: w.asked_note })) : null,
        el('label', { for: noteId }, t('request.note.instructor')),
        el('div', { class: 'row' }, note, ...buttons),
        status.node
      );
    })
  );
}
