/*
 * How an event message of the protocol reads in a timeline, in the
 * console's language: one line for an inbox message, an answer, a report, a
 * grade, a hint, a request, a broadcast or a phase change. Shared by the trainee's
 * timeline and the instructor's view of a team's events.
 */

import { t } from './i18n.js';

/* The line for message m, or null for a message a timeline does not show.
 * objectiveTitle(id) names an objective. */
export function describeMessage(m, objectiveTitle) {
  const objective = m.objective ? objectiveTitle(m.objective) : '';
  switch (m.type) {
    case 'inbox':
      return t('timeline.inbox', { subject: m.subject });
    case 'answer':
      return m.correct === true
        ? t('timeline.answer.correct', { by: m.by || '', objective })
        : t('timeline.answer', { by: m.by || '', objective, text: m.text });
    case 'report':
      return t('timeline.report', { by: m.by || '', objective });
    case 'grade':
      return t('timeline.grade', { objective, item: m.item + 1, points: m.points });
    case 'feedback':
      return t('timeline.feedback', { by: m.by || '', objective });
    case 'team':
      return t('timeline.team', { name: m.name });
    case 'hint':
      return t('timeline.hint', { objective, cost: m.cost });
    case 'message':
      return t('timeline.message', { text: m.text });
    case 'request':
      return t(`timeline.request.${m.state === 'approved' && m.approval === 'auto' ? 'asked' : m.state}`, {
        by: m.by || '',
        title: m.title || m.request
      });
    case 'exercise':
      return t('timeline.exercise', { phase: t(`phase.${m.phase}`) });
    default:
      return null;
  }
}

/* A raw ledger event (instructors' `event` message) as one line. A failed
 * inject's text says how it ended (its value is that status as a number);
 * a retry's value is its attempt. */
export function describeEvent(e) {
  const value = e.kind === 'inject.failed' || e.kind === 'inject.fired' ? null : e.kind === 'inject.retried' ? `#${e.value + 1}` : e.value;
  return [e.kind, e.subject, value, e.text, e.by].filter((x) => x != null && x !== '').join(' · ');
}
