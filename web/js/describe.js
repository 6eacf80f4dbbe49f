/*
 * How an event message of the protocol reads in a timeline, in the
 * console's language: one line for an inbox message, an answer, a report, a
 * grade, a hint, a request, a broadcast, a phase or speed change. Shared by the trainee's
 * timeline and the instructor's view of a team's events. Also the ledger's
 * raw events (the instructors' Events tab) and why an inject has not fired
 * (the server's reason codes), as sentences of the catalogue.
 */

import { t, formatClock } from './i18n.js';

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
      /* A change of speed keeps the phase: say the speed, not the phase again. */
      if (m.change === 'speed') return t('timeline.speed', { speed: m.speed });
      return t('timeline.exercise', { phase: t(`phase.${m.phase}`) });
    default:
      return null;
  }
}

/* A raw ledger event (the instructors' `event` message, or one of an
 * `events` page) as one sentence: what happened to what, by whom. Its
 * text, when it says more (a check's output, a report), is shown apart
 * (eventDetail). e.title names its subject when the server knows it. */
export function describeEvent(e) {
  const name = e.title && e.title !== e.subject ? `${e.title} (${e.subject})` : e.subject || '';
  const p = { inject: name, check: name, objective: name, title: name, node: name, by: e.by || '', text: e.text || '' };
  switch (e.kind) {
    case 'exercise.state':
      return e.subject === 'speed'
        ? t('timeline.speed', { speed: e.value / 1000 })
        : t('timeline.exercise', { phase: t(`phase.${e.text}`) === `phase.${e.text}` ? e.text : t(`phase.${e.text}`) });
    case 'inject.failed':
      return t('event.inject.failed', { ...p, why: (e.text || '').split('\n')[0] });
    case 'inject.held':
      return t(e.value ? 'event.inject.held' : 'event.inject.unheld', p);
    case 'inject.retried':
      return t('event.inject.retried', { ...p, attempt: e.value + 1 });
    case 'check.result':
      return t(e.value ? 'event.check.passing' : 'event.check.failing', p);
    case 'answer':
      return t('event.answer', p);
    case 'grade':
      return t('event.grade', { ...p, item: Number(e.text || 0) + 1, points: e.value });
    case 'hint':
      return t('event.hint', { ...p, number: e.value + 1 });
    case 'penalty':
      return t('event.penalty', { ...p, points: e.value, why: e.subject || '' });
    case 'instructor':
      return t(e.subject === 'broadcast' ? (e.team ? 'event.broadcast.team' : 'event.broadcast') : 'event.instructor', p);
    case 'node.state':
      return t(e.value ? 'event.node.up' : 'event.node.down', p);
    case 'request.decided':
      return t(e.value ? 'event.request.approved' : 'event.request.refused', p);
    default: {
      const key = `event.${e.kind}`;
      const text = t(key, p);
      return text === key ? [e.kind, e.subject, e.text].filter(Boolean).join(' · ') : text;
    }
  }
}

/* The part of a raw event's text its sentence does not say (a check's or
 * an inject's output, a report, the rest of a failure), or ''. */
export function eventDetail(e) {
  const text = e.text || '';
  switch (e.kind) {
    case 'inject.failed':
      return text.split('\n').slice(1).join('\n');
    case 'exercise.state':
    case 'answer':
    case 'grade':
    case 'instructor':
      return '';
    default:
      return text;
  }
}

/* An inject's state (pending, fired, failed, skipped) in words. */
export function injectState(state) {
  const key = `inject.state.${state}`;
  const text = t(key);
  return text === key ? state : text;
}

/* Why an inject has not fired, from the server's reason (web/PROTOCOL.md,
 * `timeline`); fallback: the server's English sentence. */
export function describeReason(reason, fallback = '') {
  if (!reason || !reason.code) return fallback;
  const p = {
    node: reason.node || '',
    inject: reason.inject || '',
    state: reason.state ? injectState(reason.state) : '',
    at: reason.at_ms != null ? formatClock(reason.at_ms) : '',
    delay: reason.delay_ms != null ? formatClock(reason.delay_ms).replace(/^T\+/, '') : '',
    condition: reason.condition || ''
  };
  let text;
  switch (reason.code) {
    case 'ended':
      return t(reason.then && reason.then.code === 'due' ? 'why.ended.due' : 'why.ended', {
        then: describeReason({ ...reason.then, paused: false })
      });
    case 'after':
      text = t(reason.state === 'skipped' || reason.state === 'failed' ? 'why.after.stuck' : 'why.after', p);
      break;
    case 'until':
      text = t(reason.inject ? 'why.until.after' : 'why.until', p);
      break;
    default: {
      const key = `why.${reason.code}`;
      text = t(key, p);
      if (text === key) return fallback;
    }
  }
  return reason.paused ? t('why.paused', { why: text }) : text;
}
