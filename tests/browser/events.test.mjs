/*
 * Events, the trainee's view and the languages in Debian's chromium,
 * without guests (console_fixture on events.yaml): the trainee's first
 * screen shows the briefing; every change of the score has its reason in
 * the timeline (an answer right, a hint's cost, a grade); a change of speed
 * reads as one, not as "Exercise running" again; the instructor's inject
 * table shows a note inject's note and an inject without a title by its id
 * once; the Events tab pages the ledger's events as sentences, newest first
 * in exercise time, filtered by team and kind, a long text as an excerpt
 * with "more"; in Japanese, inject states, the reasons an inject waits and
 * the events' sentences are Japanese, and so is a refusal's reason. axe-core finds no WCAG 2.1 A or AA
 * problem on the trainee's first screen or the Events tab.
 */

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PASSWORD, launchBrowser, newContext, snap, accessibilityProblems } from './lib.mjs';
import { startConsoleFixture, stopConsoleFixture } from './console_fixture.mjs';

const CHROMIUM = '/usr/bin/chromium';
const T = (name) => `[data-test="${name}"]`;
const STEP_MS = 60000;

let fixture = null;
let browser = null;
let context = null;
let instructor = null;
let trainee = null;

function startFixture() {
  return startConsoleFixture('events.yaml', { prefix: 'events' });
}

async function joinTeam(team, name) {
  const page = await context.newPage();
  await page.goto(`${fixture.url}/`);
  await page.fill(T('join-code'), fixture.codes[team]);
  await page.fill(T('join-name'), name);
  await page.click(T('join-submit'));
  await page.waitForURL(/trainee\.html/);
  await page.waitForSelector(`${T('connection-state')}[data-state="open"]`);
  return page;
}

/* A request from the instructor's page, as its console would send it. */
const ask = (type, fields) => instructor.evaluate(([type, fields]) => window.enshu.conn.request(type, fields), [type, fields]);

const injectRow = (id) => `${T('inject-row')}[data-inject="${id}"]`;
const objective = (id) => `${T('objective')}[data-objective="${id}"]`;

/* The sentences of the Events tab, top to bottom: [{kind, team, seq, at, text}]. */
const eventRows = (page) =>
  page.$$eval(`${T('event-feed')} ${T('event')}`, (rows) =>
    rows.map((r) => ({
      kind: r.dataset.kind,
      team: Number(r.dataset.team),
      seq: Number(r.dataset.seq),
      at: r.querySelector('.at').textContent,
      text: r.querySelector('[data-test="event-sentence"]').textContent
    }))
  );

before(async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing; run scripts/setup (Debian package chromium)`);
  fixture = await startFixture();
  browser = await launchBrowser();
  context = await newContext(browser);
});

after(async () => {
  if (browser) await browser.close();
  if (fixture) await stopConsoleFixture(fixture);
});

test("a trainee's first screen is the briefing, not an empty inbox", { timeout: STEP_MS }, async () => {
  trainee = await joinTeam(1, 'Aiko');
  await trainee.waitForSelector(T('briefing'), { state: 'visible' });
  assert.match(await trainee.textContent(T('briefing-text')), /accounting team behaves oddly/);
  assert.equal(await trainee.getAttribute(T('tab-inbox'), 'aria-selected'), 'true');
  await snap(trainee, 'events-trainee-briefing');
  assert.deepEqual(await accessibilityProblems(trainee), [], "the trainee's first screen");
});

test('the instructor sees a note inject\'s note, an untitled inject\'s id once, and why each waits', { timeout: STEP_MS }, async () => {
  instructor = await context.newPage();
  await instructor.goto(`${fixture.url}/`);
  await instructor.check(T('join-role-instructor'));
  await instructor.fill(T('join-password'), PASSWORD);
  await instructor.click(T('join-submit'));
  await instructor.waitForURL(/instructor\.html/);
  await instructor.waitForSelector(`${T('connection-state')}[data-state="open"]`);
  await instructor.click(T('tab-control')); /* the overview comes first */
  await instructor.click(T('exercise-start'));
  await instructor.waitForSelector(`${T('exercise-phase')}[data-phase="running"]`);
  await instructor.click(T('tab-teams'));
  await instructor.waitForSelector(injectRow('call-the-team'));
  const head = (id) => instructor.textContent(`${injectRow(id)} th`);
  assert.match(await head('call-the-team'), /Phone the team lead/);
  assert.equal((await instructor.textContent(`${injectRow('call-the-team')} th code`)).trim(), 'call-the-team');
  assert.equal((await head('call-the-team')).split('call-the-team').length - 1, 1, 'the id shows once');
  assert.match(await head('alert'), /^SOC alert\s*alert$/);
  assert.equal((await instructor.textContent(`${injectRow('alert')} ${T('inject-state')}`)).trim(), 'pending');
  assert.equal((await instructor.textContent(`${injectRow('alert')} ${T('inject-why')}`)).trim(), 'waiting to be released by an instructor');
  assert.match(await instructor.textContent(`${injectRow('follow-up')} ${T('inject-why')}`), /^waiting for inject alert \(pending\)$/);
});

test('a change of speed reads as one in the timeline', { timeout: STEP_MS }, async () => {
  await ask('exercise.speed', { speed: 2 });
  await trainee.click(T('tab-timeline'));
  await trainee.waitForSelector(`${T('timeline-entry')}[data-type="exercise"]:has-text("Speed set to ×2")`);
  const phases = await trainee.$$eval(`${T('timeline-entry')}[data-type="exercise"]`, (rows) => rows.map((r) => r.textContent));
  assert.equal(phases.filter((x) => /Exercise running/.test(x)).length, 1, phases.join(' | '));
});

test('every change of the score is explained in the timeline', { timeout: STEP_MS }, async () => {
  await trainee.click(T('tab-tasks'));
  await trainee.click(`${objective('which-host')} ${T('hint-button')}`);
  await trainee.click(T('confirm-ok'));
  await trainee.waitForSelector(`${objective('which-host')} ${T('hint-text')}`);
  await trainee.fill(`${objective('which-host')} ${T('answer-input')}`, 'WS');
  await trainee.click(`${objective('which-host')} ${T('answer-submit')}`);
  await trainee.waitForFunction((sel) => document.querySelector(sel).textContent.trim() === '8', T('score-total'));
  const long = `At 02:13 someone logged in to ws with the staff password. ${'Then files were copied to a share. '.repeat(8)}`;
  await trainee.fill(`${objective('summary')} ${T('report-text')}`, long);
  await trainee.click(`${objective('summary')} ${T('report-submit')}`);
  await trainee.waitForSelector(`${objective('summary')} ${T('report-history')}`);
  await ask('grade', { team: 1, objective: 'summary', item: 0, points: 4 });
  await trainee.waitForFunction((sel) => document.querySelector(sel).textContent.trim() === '12', T('score-total'));
  await trainee.click(T('tab-timeline'));
  const reasons = await trainee.$$eval(T('score-reason'), (rows) => rows.map((r) => r.textContent));
  assert.ok(reasons.includes('−2: hint 1 for Which host'), reasons.join(' | '));
  assert.ok(reasons.includes('+10: Which host answered right'), reasons.join(' | '));
  assert.ok(reasons.includes('+4: Summary, item 1 graded 4 points'), reasons.join(' | '));
  await snap(trainee, 'events-trainee-score-reasons');
});

test('the Events tab pages the ledger as sentences, filtered by team and kind', { timeout: STEP_MS }, async () => {
  /* Team 2 does something too, and messages reach both teams. */
  const second = await joinTeam(2, 'Budi');
  await second.evaluate(() => window.enshu.conn.request('answer', { objective: 'which-host', text: 'db' }));
  await ask('inject.release', { inject: 'alert', team: 0 });
  await ask('broadcast', { team: 2, text: 'Team 2: look at the mail server' });
  await second.close();

  await instructor.evaluate(() => {
    window.enshu.events.page = 4;
  });
  await instructor.click(T('tab-events'));
  await instructor.waitForSelector(`${T('event-feed')} ${T('event')}`);
  /* Every team, every kind: newest first in exercise time, four at a time. */
  let rows = await eventRows(instructor);
  assert.equal(rows.length, 4);
  assert.ok(await instructor.isVisible(T('events-older')));
  await instructor.click(T('events-older'));
  await instructor.waitForFunction((sel) => document.querySelectorAll(sel).length === 8, `${T('event-feed')} ${T('event')}`);
  rows = await eventRows(instructor);
  for (let i = 1; i < rows.length; i++)
    assert.ok(rows[i - 1].at > rows[i].at || (rows[i - 1].at === rows[i].at && rows[i - 1].seq > rows[i].seq), `row ${i} out of order`);
  assert.equal(new Set(rows.map((r) => r.seq)).size, rows.length, 'no event twice');

  /* Team 2 only. */
  await instructor.selectOption(T('events-team'), '2');
  await instructor.waitForFunction((sel) => [...document.querySelectorAll(sel)].every((r) => r.dataset.team === '2') && document.querySelectorAll(sel).length > 0, `${T('event-feed')} ${T('event')}`);
  rows = await eventRows(instructor);
  assert.ok(rows.every((r) => r.team === 2));
  /* Only answers and reports: page through to the end. */
  for (const group of ['exercise', 'injects', 'checks', 'hints', 'requests', 'instructors', 'nodes'])
    await instructor.uncheck(`${T('events-kind')}[data-group="${group}"]`);
  await instructor.waitForFunction((sel) => {
    const r = [...document.querySelectorAll(sel)];
    return r.length > 0 && r.every((x) => ['answer', 'report', 'grade'].includes(x.dataset.kind));
  }, `${T('event-feed')} ${T('event')}`);
  rows = await eventRows(instructor);
  assert.deepEqual(rows.map((r) => [r.kind, r.team, r.text]), [['answer', 2, 'Budi answered Which host (which-host): db']]);
  assert.ok(await instructor.isHidden(T('events-older')), 'one answer: no older page');

  /* Team 1's report: a long text as an excerpt with "more". */
  await instructor.selectOption(T('events-team'), '1');
  const report = `${T('event-feed')} ${T('event')}[data-kind="report"]`;
  await instructor.waitForSelector(report);
  assert.match(await instructor.textContent(`${report} ${T('event-sentence')}`), /^Aiko submitted a report for Summary \(summary\)$/);
  const excerpt = await instructor.textContent(`${report} ${T('event-detail')}`);
  assert.ok(excerpt.length <= 161 && excerpt.endsWith('…'), excerpt);
  await instructor.click(`${report} ${T('event-more')}`);
  assert.match(await instructor.textContent(`${report} ${T('event-detail')}`), /(Then files were copied to a share\. ){7}Then files were copied to a share\.$/);
  await snap(instructor, 'events-instructor-filtered');
  assert.deepEqual(await accessibilityProblems(instructor), [], 'the Events tab');

  /* Every kind again, all teams: the released inject reads as a sentence. */
  await instructor.selectOption(T('events-team'), '0');
  for (const group of ['exercise', 'injects', 'checks', 'hints', 'requests', 'instructors', 'nodes'])
    await instructor.check(`${T('events-kind')}[data-group="${group}"]`);
  await instructor.evaluate(() => {
    window.enshu.events.page = 50;
    window.enshu.events.reload();
  });
  await instructor.waitForSelector(`${T('event')}[data-kind="inject.released"]`);
  assert.match(await instructor.textContent(`${T('event')}[data-kind="inject.released"][data-team="1"] ${T('event-sentence')}`), /^Inject SOC alert \(alert\) released by instructor$/);
  assert.match(await instructor.textContent(`${T('event')}[data-kind="instructor"] ${T('event-sentence')}`), /^Message to the team: Team 2: look at the mail server$/);
});

test('in Japanese, inject states, why they wait and the events are Japanese', { timeout: STEP_MS }, async () => {
  await instructor.selectOption(T('lang-select'), 'ja');
  /* The page's words switch at once; the scenario's titles come again from
   * the server over the connection the language change reopens. */
  await instructor.waitForSelector(`${T('event')}[data-kind="inject.released"][data-team="1"] ${T('event-sentence')}:has-text("SOCの警報")`);
  assert.match(await instructor.textContent(`${T('event')}[data-kind="inject.released"][data-team="1"] ${T('event-sentence')}`), /^instructor がインジェクト SOCの警報 \(alert\) を発生させました$/);
  await instructor.click(T('tab-teams'));
  await instructor.waitForSelector(`${injectRow('call-the-team')} ${T('inject-state')}:has-text("未発生")`);
  assert.equal((await instructor.textContent(`${injectRow('call-the-team')} ${T('inject-why')}`)).trim(), '講師が発生させるのを待っています');
  await instructor.waitForSelector(`${injectRow('call-the-team')} ${T('inject-note')}:has-text("チームリーダーに電話")`);
  assert.equal((await instructor.textContent(`${injectRow('alert')} ${T('inject-state')}`)).trim(), '発生済み');
  assert.match(await instructor.textContent(`${injectRow('follow-up')} ${T('inject-why')}`), /^T\+\d:\d\d:\d\d まで待機中\(alert の 0:10:00 後\)$/);
  await snap(instructor, 'events-instructor-ja');
  /* A refusal's reason is said by its code, in Japanese, not in the server's English. */
  const refusal = await instructor.evaluate(async () =>
    (await import('/js/ui.js')).errorText({ code: 'conflict', message: 'inject.skip: not possible now' })
  );
  assert.match(refusal, /今は実行できません/);
});

test('a partial catalogue (Thai) shows its own words and English for the rest', { timeout: STEP_MS }, async () => {
  await trainee.selectOption(T('lang-select'), 'th');
  await trainee.click(T('tab-inbox'));
  await trainee.waitForFunction((sel) => document.querySelector(sel).textContent.trim() === 'การบรรยายสรุป', '#briefing-title');
  assert.equal(await trainee.getAttribute('html', 'lang'), 'th');
  assert.equal((await trainee.textContent(`${T('tab-inbox')} [data-i18n="nav.inbox"]`)).trim(), 'กล่องข้อความ');
  /* Not translated yet: English, not the key. */
  await trainee.click(T('tab-tasks'));
  assert.match(await trainee.textContent(`${objective('summary')}`), /How it is graded/);
  await snap(trainee, 'events-trainee-th');
});

test('no page had a script error', () => {
  assert.deepEqual(context.pageErrors, []);
});
