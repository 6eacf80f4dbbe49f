/*
 * Why a team's score changed (web/js/score_reasons.js), in Node.js over the
 * real English catalogue: each event that changes points says so once; a
 * check that passed, which the team never sees as an event, is told from
 * the score that follows it (also after a reload, once); a check that no
 * longer passes, and a penalty nothing explains, are told too.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/* What the browser gives i18n.js: the catalogues over fetch, a language. */
globalThis.navigator = { languages: ['en'], language: 'en' };
globalThis.fetch = async (url) => {
  const text = readFileSync(fileURLToPath(url), 'utf8');
  return { ok: true, status: 200, json: async () => JSON.parse(text) };
};
const { ScoreReasons } = await import('../../web/js/score_reasons.js');

const OBJECTIVES = [
  { id: 'q', kind: 'question', title: 'Which host' },
  { id: 'web-up', kind: 'check', title: 'Web site back' },
  { id: 'r', kind: 'report', title: 'Summary' }
];
const title = (id) => OBJECTIVES.find((o) => o.id === id).title;
const fresh = () =>
  new ScoreReasons({ objective: (id) => OBJECTIVES.find((o) => o.id === id), requestCost: (id) => (id === 'reimage' ? 3 : 0) });
const score = (seq, total, penalties, points) => ({
  type: 'score',
  seq,
  team: 1,
  total,
  penalties,
  objectives: OBJECTIVES.map((o) => ({ id: o.id, points: points[o.id] || 0, achieved: (points[o.id] || 0) > 0 }))
});
/* The timeline's lines of the messages and of the score entries, in order. */
function lines(r, messages) {
  const out = [];
  for (const m of messages) {
    if (m.type === 'score') {
      for (const e of r.fromScore(m)) out.push(r.line(e, title));
    } else {
      r.note(m);
      const line = r.line(m, title);
      if (line) out.push(line);
    }
  }
  return out;
}

test('events that change points say why, and their scores add nothing', () => {
  const r = fresh();
  assert.deepEqual(
    lines(r, [
      score(1, 0, 0, {}),
      { type: 'hint', seq: 2, objective: 'q', index: 0, cost: 2 },
      score(2, -2, 2, {}),
      { type: 'answer', seq: 3, objective: 'q', correct: false, points: 0 },
      { type: 'answer', seq: 4, objective: 'q', correct: true, points: 10 },
      score(4, 8, 2, { q: 10 }),
      { type: 'grade', seq: 5, objective: 'r', item: 0, points: 4 },
      score(5, 12, 2, { q: 10, r: 4 }),
      { type: 'grade', seq: 6, objective: 'r', item: 0, points: 3 },
      score(6, 11, 2, { q: 10, r: 3 }),
      { type: 'request', seq: 7, request: 'reimage', title: 'Re-image ws', state: 'asked' },
      { type: 'request', seq: 8, request: 'reimage', title: 'Re-image ws', state: 'approved' },
      score(8, 8, 5, { q: 10, r: 3 })
    ]),
    [
      '−2: hint 1 for Which host',
      '+10: Which host answered right',
      '+4: Summary, item 1 graded 4 points',
      '−1: Summary, item 1 graded 3 points',
      '−3: request “Re-image ws” approved'
    ]
  );
});

test('a check that passes is told by the score after it; one that fails again too', () => {
  const r = fresh();
  assert.deepEqual(
    lines(r, [score(1, 0, 0, {}), score(9, 15, 0, { 'web-up': 15 }), score(10, 15, 0, { 'web-up': 15 }), score(11, 0, 0, {})]),
    ['+15: Web site back done (check passed)', '−15: Web site back no longer passes its check']
  );
});

test('after a reload the latest score tells each check achieved once, and nothing else', () => {
  const r = fresh();
  assert.deepEqual(lines(r, [score(20, 23, 2, { q: 10, 'web-up': 15 }), score(20, 23, 2, { q: 10, 'web-up': 15 })]), [
    '+15: Web site back done (check passed)'
  ]);
});

test('a penalty nothing explains is told as a penalty', () => {
  const r = fresh();
  assert.deepEqual(lines(r, [score(1, 10, 0, { q: 10 }), score(2, 5, 5, { q: 10 })]), ['−5: penalty']);
});
