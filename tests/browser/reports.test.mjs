/*
 * Reports with their history and feedback, and named teams, in Debian's
 * chromium without guests (console_fixture over a tabletop exercise, its
 * teams named by a roster file): both consoles call the teams by the
 * roster's names; a team submits two reports; the instructor sees both,
 * newest first, with the status "submitted"; grades the report with the
 * rubric (status "graded") and writes feedback on the latest report
 * (status "feedback given"), and a table shows where every team stands;
 * the trainee sees the feedback under that report. An instructor renames the team and the trainee's header follows.
 * axe-core finds no WCAG 2.1 A or AA problem on the Reports tab, and no
 * page has a script error.
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
  return startConsoleFixture('reports.yaml', { roster: 'reports-roster.csv', prefix: 'reports' });
}

const objective = (id) => `${T('objective')}[data-objective="${id}"]`;
const card = `${T('report-item')}[data-team="1"][data-objective="incident-report"]`;

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

test("both consoles call the teams by the roster's names", { timeout: STEP_MS }, async () => {
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
  const row = (team) => `${T('join-code-row')}[data-team="${team}"]`;
  await instructor.waitForSelector(`${row(1)} ${T('team-name')}`);
  assert.equal((await instructor.textContent(`${row(1)} ${T('team-name')}`)).trim(), 'Blue Falcons');
  assert.match(await instructor.textContent(`${row(1)} ${T('team-organisation')}`), /Ministry of ICT/);
  assert.equal((await instructor.textContent(`${row(2)} ${T('team-name')}`)).trim(), 'Herons, Red');
  const options = await instructor.locator(`${T('team-select')} option`).allTextContents();
  assert.deepEqual(options, ['Blue Falcons', 'Herons, Red']);

  trainee = await context.newPage();
  await trainee.goto(`${fixture.url}/`);
  await trainee.fill(T('join-code'), fixture.codes[1]);
  await trainee.fill(T('join-name'), 'Aiko');
  await trainee.click(T('join-submit'));
  await trainee.waitForURL(/trainee\.html/);
  await trainee.waitForSelector(`${T('connection-state')}[data-state="open"]`);
  await trainee.waitForFunction((sel) => document.querySelector(sel).textContent.trim() !== '', T('team-label'));
  assert.equal((await trainee.textContent(T('team-label'))).trim(), 'Blue Falcons (Ministry of ICT)');
});

test('a team submits two reports and the instructor sees both, newest first', { timeout: STEP_MS }, async () => {
  await trainee.click(T('tab-tasks'));
  const r = objective('incident-report');
  await trainee.fill(`${r} ${T('report-text')}`, 'First draft: a phishing mail at 09:12.');
  await trainee.click(`${r} ${T('report-submit')}`);
  await trainee.waitForSelector(`${r} ${T('report-entry')}`);
  await trainee.fill(`${r} ${T('report-text')}`, 'Final: the phishing mail at 09:12 led to a login from 203.0.113.7 at 09:20.');
  await trainee.click(`${r} ${T('report-submit')}`);
  await trainee.waitForFunction((sel) => document.querySelectorAll(sel).length === 2, `${r} ${T('report-entry')}`);

  await instructor.click(T('tab-reports'));
  await instructor.waitForSelector(`${card} ${T('report-history')}[data-count="2"]`);
  const entries = await instructor.locator(`${card} ${T('report-entry')} ${T('report-text')}`).allTextContents();
  assert.equal(entries.length, 2);
  assert.match(entries[0], /^Final:/);
  assert.match(entries[1], /^First draft/);
  assert.match(await instructor.textContent(`${card} h3`), /Blue Falcons · Incident report/);
  assert.equal(await instructor.getAttribute(`${card} ${T('report-status')}`, 'data-status'), 'submitted');
  assert.match(await instructor.textContent(`${card} ${T('report-entry')}[data-latest="true"]`), /Report 2 · Aiko/);
  /* Where each team stands: team 2 has sent nothing. */
  const cell = (team) => `${T('report-status-cell')}[data-team="${team}"][data-objective="incident-report"]`;
  assert.equal(await instructor.getAttribute(cell(1), 'data-status'), 'submitted');
  assert.equal(await instructor.getAttribute(cell(2), 'data-status'), 'none');
  assert.equal((await instructor.textContent(cell(2))).trim(), 'not submitted');
  assert.match(await instructor.textContent(`${T('report-status-row')}[data-team="2"]`), /Herons, Red/);
});

test('the instructor grades with the rubric, then writes feedback on the latest report', { timeout: STEP_MS }, async () => {
  assert.match(await instructor.textContent(`${card} ${T('rubric-item')}[data-item="0"]`), /A timeline with times/);
  await instructor.fill(`${card} ${T('grade-input')}[data-item="0"]`, '8');
  await instructor.click(`${card} ${T('grade-submit')}[data-item="0"]`);
  await instructor.waitForSelector(`${card} ${T('rubric-item')}[data-item="0"][data-graded="true"]`);
  await instructor.waitForSelector(`${card} ${T('report-status')}[data-status="graded"]`);

  const latest = `${card} ${T('report-entry')}[data-latest="true"]`;
  await instructor.fill(`${latest} ${T('feedback-text')}`, 'Good timeline. Now name the root cause.');
  await instructor.click(`${latest} ${T('feedback-submit')}`);
  await instructor.waitForSelector(`${latest} ${T('report-feedback')}`);
  assert.match(await instructor.textContent(`${latest} ${T('report-feedback-text')}`), /name the root cause/);
  await instructor.waitForSelector(`${card} ${T('report-status')}[data-status="feedback"]`);
  assert.equal((await instructor.textContent(`${card} ${T('report-status')}`)).trim(), 'feedback given');
  await instructor.waitForSelector(`${T('report-status-cell')}[data-team="1"][data-status="feedback"]`);
  /* The earlier report has none. */
  assert.equal(await instructor.locator(`${card} ${T('report-entry')}[data-latest="false"] ${T('report-feedback')}`).count(), 0);
  await snap(instructor, 'instructor-report-feedback');
  assert.deepEqual(await accessibilityProblems(instructor), [], "the instructor's Reports tab");
});

test('the trainee sees the grade and the feedback under the report it is on', { timeout: STEP_MS }, async () => {
  const r = objective('incident-report');
  await trainee.waitForSelector(`${r} ${T('report-feedback')}`);
  const entries = trainee.locator(`${r} ${T('report-entry')}`);
  assert.equal(await entries.count(), 2);
  /* The trainee's history lists oldest first: the feedback is on the second. */
  assert.equal(await entries.nth(0).locator(T('report-feedback')).count(), 0);
  assert.match(await entries.nth(1).locator(T('report-feedback-text')).textContent(), /Good timeline\. Now name the root cause\./);
  assert.match(await trainee.textContent(`${r} ${T('rubric-item')}[data-item="0"] ${T('report-grade')}`), /8 \/ 10/);
  await trainee.click(T('tab-timeline'));
  await trainee.waitForFunction(() => /wrote feedback on the report for Incident report/.test(document.body.textContent));
  await snap(trainee, 'trainee-report-feedback');
});

test("an instructor renames the team: both consoles follow, and the feedback stays after a reload", { timeout: STEP_MS }, async () => {
  await instructor.click(T('tab-control'));
  const row = `${T('join-code-row')}[data-team="1"]`;
  await instructor.click(`${row} ${T('team-rename')}`);
  await instructor.fill(`${row} ${T('team-rename-name')}`, 'Falcons Prime');
  await instructor.fill(`${row} ${T('team-rename-organisation')}`, 'Cyber Agency');
  await instructor.click(`${row} ${T('team-rename-save')}`);
  await instructor.waitForFunction((sel) => document.querySelector(sel).textContent.trim() === 'Falcons Prime', `${row} ${T('team-name')}`);
  await trainee.waitForFunction((sel) => document.querySelector(sel).textContent.trim() === 'Falcons Prime (Cyber Agency)', T('team-label'));
  /* Another team's name is refused. */
  await instructor.click(`${row} ${T('team-rename')}`);
  await instructor.fill(`${row} ${T('team-rename-name')}`, 'Herons, Red');
  await instructor.click(`${row} ${T('team-rename-save')}`);
  await instructor.waitForFunction((sel) => /another team has that name/.test(document.querySelector(sel).textContent), `${row} ${T('team-editor')} .status`);

  await trainee.reload();
  await trainee.waitForSelector(`${T('connection-state')}[data-state="open"]`);
  await trainee.waitForFunction((sel) => document.querySelector(sel).textContent.trim() === 'Falcons Prime (Cyber Agency)', T('team-label'));
  await trainee.click(T('tab-tasks'));
  await trainee.waitForSelector(`${objective('incident-report')} ${T('report-feedback')}`);
});

test('no page had a script error', () => {
  assert.deepEqual(context.pageErrors, []);
});
