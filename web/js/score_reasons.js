/*
 * Why a team's score changed, for the trainee's timeline: every change of
 * points is told as a line beside the event that made it, naming the
 * objective (or the hint, the request) and why: an answer right, a grade,
 * a hint's cost, a request's cost. A check that passed has no event the
 * team sees, so the score message that follows it becomes an entry of its
 * own ("check passed"); so does any change nothing else explains.
 *
 * Reasons are worked out once, as the messages come in ledger order, and
 * kept: the timeline can then be drawn again in another language.
 */

import { t } from './i18n.js';

export class ScoreReasons {
  /* objective(id): the welcome's objective or undefined; requestCost(id):
   * the points a team request costs when approved. */
  constructor({ objective, requestCost }) {
    this.objective = objective;
    this.requestCost = requestCost;
    this.reasons = new WeakMap(); // message -> {key, params}
    this.grades = new Map(); // `${objective}/${item}` -> points graded
    this.explained = new Set(); // seqs whose score change an event explains
    this.checks = new Set(); // check objectives whose points were told
    this.last = null; // the team's previous score message
  }

  clear() {
    this.grades.clear();
    this.explained.clear();
    this.checks.clear();
    this.last = null;
  }

  /* Notes an event message as it comes; returns its reason or null. */
  note(m) {
    let reason = null;
    switch (m.type) {
      case 'answer':
        if (m.correct === true && m.points > 0) reason = { key: 'score.why.answer', points: m.points };
        break;
      case 'grade': {
        const key = `${m.objective}/${m.item}`;
        const before = this.grades.get(key) ?? 0;
        this.grades.set(key, m.points);
        if (m.points !== before)
          reason = { key: 'score.why.grade', points: m.points - before, params: { item: m.item + 1, graded: m.points } };
        break;
      }
      case 'hint':
        if (m.cost > 0) reason = { key: 'score.why.hint', points: -m.cost, params: { number: m.index + 1 } };
        break;
      case 'request': {
        const cost = this.requestCost(m.request);
        if (m.state === 'approved' && cost > 0) reason = { key: 'score.why.request', points: -cost, params: { title: m.title || m.request } };
        break;
      }
      default:
        break;
    }
    if (reason) {
      this.reasons.set(m, reason);
      if (m.seq != null) this.explained.add(m.seq);
    }
    return reason;
  }

  /* The team's new score m: the entries (type 'points') for the changes no
   * event explains: checks passed, and penalties or points otherwise
   * unexplained. After a reload only the latest score is known: each check
   * achieved is then told once. */
  fromScore(m) {
    const out = [];
    const before = new Map(((this.last && this.last.objectives) || []).map((o) => [o.id, o]));
    const explained = this.explained.has(m.seq);
    for (const o of m.objectives || []) {
      const was = before.get(o.id);
      const obj = this.objective(o.id);
      const delta = o.points - (was ? was.points : 0);
      if (obj && obj.kind === 'check') {
        if (o.achieved && !this.checks.has(o.id)) {
          this.checks.add(o.id);
          out.push(this.entry(m, o.id, { key: 'score.why.check', points: o.points }));
        } else if (!o.achieved && was && was.achieved) {
          this.checks.delete(o.id);
          out.push(this.entry(m, o.id, { key: 'score.why.check_lost', points: delta }));
        }
      } else if (this.last && delta !== 0 && !explained) {
        out.push(this.entry(m, o.id, { key: 'score.why.other', points: delta }));
      }
    }
    if (this.last && !explained) {
      const penalty = (m.penalties || 0) - (this.last.penalties || 0);
      if (penalty !== 0) out.push(this.entry(m, null, { key: 'score.why.penalty', points: -penalty }));
    }
    this.last = m;
    return out;
  }

  entry(score, objective, reason) {
    const m = { type: 'points', seq: score.seq, team: score.team, objective };
    this.reasons.set(m, reason);
    return m;
  }

  /* The line that says why m changed the score, or null. objectiveTitle(id)
   * names an objective. */
  line(m, objectiveTitle) {
    const r = this.reasons.get(m);
    if (!r) return null;
    const points = r.points > 0 ? `+${r.points}` : `−${-r.points}`;
    return t(r.key, { points, objective: m.objective ? objectiveTitle(m.objective) : '', ...(r.params || {}) });
  }
}
