/*
 * Team requests in Debian's chromium, without guests (console_fixture: the
 * hub over fake actions): a trainee asks for a re-image from the Requests
 * tab (its cost confirmed first, with a note); the instructor sees it
 * waiting, with the count on the tab, and approves it with a note; the
 * trainee sees it approved with that note, the message the request fires
 * arrives in the inbox and the cost comes off the score. A request that
 * acts at once (auto) fires its message with no instructor. The Japanese
 * switch shows the requests in Japanese. axe-core finds no WCAG 2.1 A or
 * AA problem on either Requests tab, and no page has a script error.
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
  return startConsoleFixture('requests.yaml', { prefix: 'requests' });
}

const request = (id) => `${T('request')}[data-request="${id}"]`;

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

test('the instructor starts the exercise and a trainee sees what the team may ask for', { timeout: STEP_MS }, async () => {
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
  /* A tabletop exercise: no guests, so no Nodes tab in either console. */
  await instructor.waitForSelector(T('tab-nodes'), { state: 'hidden' });

  trainee = await context.newPage();
  await trainee.goto(`${fixture.url}/`);
  await trainee.fill(T('join-code'), fixture.codes[1]);
  await trainee.fill(T('join-name'), 'Aiko');
  await trainee.click(T('join-submit'));
  await trainee.waitForURL(/trainee\.html/);
  await trainee.waitForSelector(`${T('connection-state')}[data-state="open"]`);
  await trainee.waitForSelector(T('tab-nodes'), { state: 'hidden' });
  await trainee.click(T('tab-requests'));
  await trainee.waitForSelector(`${request('reimage')}[data-state="none"]`);
  const card = await trainee.textContent(request('reimage'));
  assert.match(card, /Re-image ws/);
  assert.match(card, /what is on it is lost/);
  assert.match(card, /costs 3 points when approved/);
  assert.match(await trainee.textContent(request('call')), /Acts at once/);
});

test('a trainee asks (the cost confirmed first); the instructor approves it with a note', { timeout: STEP_MS }, async () => {
  await trainee.fill(`${request('reimage')} ${T('request-note')}`, 'ws shows a ransom note');
  await trainee.click(`${request('reimage')} ${T('request-ask')}`);
  /* Cancelled first: nothing is asked. */
  await trainee.click(T('confirm-cancel'));
  assert.equal(await trainee.getAttribute(request('reimage'), 'data-state'), 'none');
  await trainee.click(`${request('reimage')} ${T('request-ask')}`);
  await trainee.click(T('confirm-ok'));
  await trainee.waitForSelector(`${request('reimage')}[data-state="asked"]`);
  assert.ok(await trainee.isDisabled(`${request('reimage')} ${T('request-ask')}`), 'one ask at a time');
  await snap(trainee, 'trainee-request-asked');

  await instructor.waitForFunction((sel) => document.querySelector(sel).textContent.trim() === '1', T('requests-waiting-count'));
  await instructor.click(T('tab-requests'));
  const waiting = `${T('request-waiting')}[data-team="1"][data-request="reimage"]`;
  await instructor.waitForSelector(waiting);
  assert.match(await instructor.textContent(`${waiting} ${T('request-team-note')}`), /Aiko: ws shows a ransom note/);
  await instructor.fill(`${waiting} ${T('decide-note')}`, 'Re-imaging now');
  await snap(instructor, 'instructor-request-waiting');
  assert.deepEqual(await accessibilityProblems(instructor), [], 'the instructor\'s Requests tab');
  assert.deepEqual(await accessibilityProblems(trainee), [], 'the trainee\'s Requests tab');
  await instructor.click(`${waiting} ${T('request-approve')}`);
  await instructor.waitForSelector(T('requests-waiting-empty'));
  assert.ok(await instructor.locator(T('requests-waiting-count')).isHidden());
});

test('the approval reaches the trainee, fires its message and costs its points', { timeout: STEP_MS }, async () => {
  await trainee.waitForSelector(`${request('reimage')}[data-state="approved"]`);
  assert.equal((await trainee.textContent(`${request('reimage')} ${T('request-reply')}`)).trim(), 'Re-imaging now');
  assert.ok(await trainee.isDisabled(`${request('reimage')} ${T('request-ask')}`), 'its limit of one is reached');
  await trainee.waitForFunction((sel) => document.querySelector(sel).textContent.trim() === '-3', T('score-total'));
  await trainee.click(T('tab-inbox'));
  const item = `${T('inbox-item')}[data-inject="reimaged"]`;
  await trainee.waitForSelector(item);
  assert.equal((await trainee.textContent(`${item} ${T('inbox-subject')}`)).trim(), 'ws was re-imaged');
  await snap(trainee, 'trainee-request-approved');
});

test('a request that acts at once needs no instructor', { timeout: STEP_MS }, async () => {
  await trainee.click(T('tab-requests'));
  await trainee.click(`${request('call')} ${T('request-ask')}`); /* no cost: no confirmation */
  await trainee.waitForSelector(`${request('call')}[data-state="approved"]`);
  await trainee.waitForSelector(`${T('inbox-item')}[data-inject="management"]`, { state: 'attached' });
  await instructor.waitForSelector(T('requests-waiting-empty'));
});

test('the Japanese switch shows the requests in Japanese', { timeout: STEP_MS }, async () => {
  await trainee.selectOption(T('lang-select'), 'ja');
  await trainee.click(T('tab-requests'));
  await trainee.waitForFunction((sel) => /wsを再イメージ/.test(document.querySelector(sel).textContent), request('reimage'));
  assert.match(await trainee.textContent(request('reimage')), /承認されました/);
});

test('no page had a script error', () => {
  assert.deepEqual(context.pageErrors, []);
});
