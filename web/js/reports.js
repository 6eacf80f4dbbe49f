/*
 * Reports in the consoles: every report a team sent on an objective (not
 * only the latest), with who sent it, when, and its file; the rubric
 * grades; the instructors' written feedback on each report; and where each
 * team's report stands (status).
 *
 * A ReportBook is built from the connection's event messages (`report`,
 * `grade`, `feedback`), kept across reloads, so it holds the whole history.
 * The status follows the server's rule (engine/exercise/report_book.h),
 * judged by the latest report: "none" (nothing sent), "submitted" (neither
 * a grade nor feedback after it), "graded" (a grade came after it),
 * "feedback" (feedback was written on it). A new report after a grade or
 * feedback is "submitted" again: it waits for the instructor.
 *
 * reportCard draws one team's reports on one objective for instructors:
 * the history newest first, each with its feedback and a form to write
 * more (report.feedback), and the rubric to grade next to it.
 */

import { t, formatClock } from './i18n.js';
import { el, statusLine, errorText } from './ui.js';

export const REPORT_STATUSES = ['none', 'submitted', 'graded', 'feedback'];

export class ReportBook {
  constructor() {
    this.clear();
  }

  clear() {
    this.reports = new Map(); // `${team}/${objective}` -> [report messages], oldest first
    this.grades = new Map(); // `${team}/${objective}/${item}` -> points
    this.gradedSeq = new Map(); // `${team}/${objective}` -> seq of the latest grade
    this.feedback = new Map(); // report seq -> [feedback messages]
  }

  add(m) {
    const key = `${m.team}/${m.objective}`;
    if (m.type === 'report') {
      if (!this.reports.has(key)) this.reports.set(key, []);
      const list = this.reports.get(key);
      if (!list.some((r) => r.seq === m.seq)) list.push(m);
    } else if (m.type === 'grade') {
      this.grades.set(`${key}/${m.item}`, m.points);
      this.gradedSeq.set(key, Math.max(this.gradedSeq.get(key) || 0, m.seq || 0));
    } else if (m.type === 'feedback') {
      if (!this.feedback.has(m.report)) this.feedback.set(m.report, []);
      const list = this.feedback.get(m.report);
      if (!list.some((f) => f.seq === m.seq)) list.push(m);
    }
  }

  /* [{key, team, objective, reports}] sorted by team then objective. */
  entries() {
    return [...this.reports]
      .map(([key, reports]) => {
        const [team, objective] = key.split('/');
        return { key, team: Number(team), objective, reports };
      })
      .sort((a, b) => a.team - b.team || a.objective.localeCompare(b.objective));
  }

  grade(team, objective, item) {
    return this.grades.get(`${team}/${objective}/${item}`);
  }

  feedbackOn(seq) {
    return this.feedback.get(seq) || [];
  }

  status(team, objective) {
    const key = `${team}/${objective}`;
    const reports = this.reports.get(key) || [];
    if (!reports.length) return 'none';
    const latest = reports[reports.length - 1].seq;
    if (this.feedbackOn(latest).length) return 'feedback';
    if ((this.gradedSeq.get(key) || 0) > latest) return 'graded';
    return 'submitted';
  }
}

/* The status as a badge. */
export function statusBadge(status) {
  return el('span', { class: `badge report-status ${status}`, dataset: { test: 'report-status', status } }, t(`reports.status.${status}`));
}

/* The feedback written on one report, oldest first. */
export function feedbackList(feedback) {
  if (!feedback.length) return null;
  return el(
    'ul',
    { class: 'feedback', dataset: { test: 'report-feedback-list' } },
    feedback.map((f) =>
      el(
        'li',
        { dataset: { test: 'report-feedback', seq: f.seq } },
        el('span', { class: 'by' }, t('reports.feedback.by', { by: f.by || t('join.role.instructor'), at: formatClock(f.at_ms || 0) })),
        el('p', { class: 'text', dataset: { test: 'report-feedback-text' } }, f.text)
      )
    )
  );
}

function feedbackForm(team, objective, report, request) {
  const text = el('textarea', {
    rows: 3,
    maxlength: 4000,
    'aria-label': t('reports.feedback.label'),
    placeholder: t('reports.feedback.label'),
    dataset: { test: 'feedback-text' }
  });
  const statusNode = el('span', { class: 'status', role: 'alert' });
  const status = statusLine(statusNode);
  const send = el('button', { type: 'submit', class: 'small', dataset: { test: 'feedback-submit' } }, t('reports.feedback.send'));
  const form = el('form', { class: 'feedback-form', dataset: { test: 'feedback-form' } }, text, send, statusNode);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const value = text.value.trim();
    if (!value) {
      text.focus();
      return;
    }
    send.disabled = true;
    try {
      await request('report.feedback', { team, objective, report: report.seq, text: value });
      text.value = '';
      status.ok(t('reports.feedback.sent'));
    } catch (err) {
      status.error(errorText(err));
    } finally {
      send.disabled = false;
    }
  });
  return form;
}

function rubricItems(team, o, book, request, status) {
  return (o.rubric || []).map((r) => {
    const inputId = `grade-${team}-${o.id}-${r.item}`;
    const current = book.grade(team, o.id, r.item);
    const input = el('input', {
      id: inputId,
      type: 'number',
      min: 0,
      max: r.points,
      step: 1,
      value: current != null ? current : '',
      dataset: { test: 'grade-input', item: r.item }
    });
    const button = el(
      'button',
      {
        type: 'button',
        dataset: { test: 'grade-submit', item: r.item },
        onclick: async () => {
          const points = Number(input.value);
          if (input.value === '' || !(points >= 0 && points <= r.points)) {
            input.focus();
            return;
          }
          button.disabled = true;
          try {
            await request('grade', { team, objective: o.id, item: r.item, points });
            status.ok(t('reports.graded'));
          } catch (err) {
            status.error(errorText(err));
          } finally {
            button.disabled = false;
          }
        }
      },
      t('reports.grade')
    );
    return el(
      'li',
      { dataset: { test: 'rubric-item', item: r.item, graded: String(current != null) } },
      el('label', { for: inputId }, t('reports.item', { item: r.item + 1, text: r.text, points: r.points })),
      el('span', { class: 'row' }, input, button)
    );
  });
}

/* One team's reports on one objective, for instructors.
 * opts: {team, objective (the welcome's), reports, book, request
 * (conn.request), teamLabel(n), objectiveTitle(id), download(report, statusNode)}. */
export function reportCard({ team, objective: o, reports, book, request, teamLabel, objectiveTitle, download }) {
  const statusNode = el('p', { class: 'status', role: 'alert' });
  const status = statusLine(statusNode);
  const history = [...reports].reverse().map((r, i) =>
    el(
      'li',
      { class: i === 0 ? 'latest' : 'earlier', dataset: { test: 'report-entry', seq: r.seq, latest: String(i === 0) } },
      el('p', { class: 'by' }, `${t('reports.number', { n: reports.length - i })} · ${r.by || ''} · ${formatClock(r.at_ms || 0)}`),
      el('pre', { dataset: { test: 'report-text' } }, r.text),
      r.attachment
        ? el(
            'p',
            {},
            el(
              'button',
              { type: 'button', class: 'link', dataset: { test: 'report-attachment' }, onclick: () => download(r, statusNode) },
              t('reports.attachment', { name: r.attachment.name })
            )
          )
        : null,
      feedbackList(book.feedbackOn(r.seq)),
      feedbackForm(team, o.id, r, request)
    )
  );
  return el(
    'article',
    { class: 'card report', dataset: { test: 'report-item', team, objective: o.id, status: book.status(team, o.id) } },
    el('h3', {}, `${teamLabel(team)} · ${objectiveTitle(o.id)} `, statusBadge(book.status(team, o.id))),
    el(
      'div',
      { class: 'report-columns' },
      el('ol', { class: 'report-history', dataset: { test: 'report-history', count: reports.length } }, history),
      el('div', { class: 'report-rubric' }, el('h4', {}, t('report.rubric')), el('ol', { class: 'rubric' }, ...rubricItems(team, o, book, request, status)))
    ),
    statusNode
  );
}

/* Where every team stands on every report objective: a table of teams x
 * report objectives, each cell the status; a cell with reports jumps to
 * their card. opts: {teams: [n], objectives (the report objectives of the
 * welcome), book, teamLabel(n), objectiveTitle(id), show(team, objective)}. */
export function statusTable({ teams, objectives, book, teamLabel, objectiveTitle, show }) {
  if (!objectives.length || !teams.length) return null;
  return el(
    'table',
    { class: 'report-statuses', dataset: { test: 'report-status-table' } },
    el('caption', {}, t('reports.statuses')),
    el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, t('codes.team')), objectives.map((o) => el('th', { scope: 'col' }, objectiveTitle(o.id))))),
    el(
      'tbody',
      {},
      teams.map((team) =>
        el(
          'tr',
          { dataset: { test: 'report-status-row', team } },
          el('th', { scope: 'row' }, teamLabel(team)),
          objectives.map((o) => {
            const status = book.status(team, o.id);
            const badge = statusBadge(status);
            return el(
              'td',
              { dataset: { test: 'report-status-cell', team, objective: o.id, status } },
              status === 'none' ? badge : el('button', { type: 'button', class: 'link', onclick: () => show(team, o.id) }, badge)
            );
          })
        )
      )
    )
  );
}

/* What a card shows, to rebuild only cards whose data changed (and so keep
 * a grade or feedback being typed elsewhere). */
export function cardSignature(entry, o, book, names) {
  return JSON.stringify([
    entry.reports.length,
    o && o.rubric,
    (o && o.rubric ? o.rubric : []).map((r) => book.grade(entry.team, entry.objective, r.item)),
    entry.reports.map((r) => book.feedbackOn(r.seq).length),
    names
  ]);
}
