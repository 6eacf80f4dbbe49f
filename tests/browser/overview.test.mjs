/*
 * The instructor's Overview in Debian's chromium, without guests
 * (console_fixture over overview.yaml, a tabletop exercise, for 40 teams),
 * on a 1366x768 screen:
 * - the matrix shows all 40 teams, and fits the screen: no horizontal
 *   scroll, and the 40th team's row is on screen;
 * - a team's right answer turns its cell achieved, a wrong one attempted,
 *   a hint marks the cell;
 * - "Release for all" fires a manual inject for every team after one
 *   confirmation (the server's own overview agrees);
 * - a broadcast to all reaches a team;
 * - with a small idle time teams show an idle alert, which goes with a
 *   large one;
 * - axe-core finds no WCAG 2.1 A or AA problem, and no script error;
 * - the Nodes tab groups 40 teams' 160 nodes by team (another fixture, of
 *   overview-nodes.yaml): 40 closed groups, each saying how many of its
 *   nodes do not run, opened one at a time or all at once.
 * Teams act through the protocol (a plain websocket), as a browser would.
 */

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { PASSWORD, launchBrowser, newContext, snap, accessibilityProblems, ProtocolClient } from './lib.mjs';
import { startConsoleFixture } from './console_fixture.mjs';

const CHROMIUM = '/usr/bin/chromium';
const T = (name) => `[data-test="${name}"]`;
const STEP_MS = 60000;
const TEAMS = 40;

let fixture = null;
let nodesFixture = null;
let browser = null;
let context = null;
let instructor = null;
const clients = [];

function startFixture(yaml) {
  return startConsoleFixture(yaml, { teams: TEAMS, prefix: 'overview' });
}

/* A member of team over the protocol. */
async function member(team, name) {
  const c = await ProtocolClient.connect(`${fixture.url.replace(/^http/, 'ws')}/ws`);
  clients.push(c);
  const w = await c.request('hello', { version: 1, role: 'team', code: fixture.codes[team], name, since: 0 });
  assert.equal(w.type, 'welcome', JSON.stringify(w));
  return c;
}

const row = (team) => `${T('overview-row')}[data-team="${team}"]`;
const cell = (team, objective) => `${T('overview-cell')}[data-team="${team}"][data-objective="${objective}"]`;

before(async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing; run scripts/setup (Debian package chromium)`);
  fixture = await startFixture('overview.yaml');
  nodesFixture = await startFixture('overview-nodes.yaml');
  browser = await launchBrowser();
  context = await newContext(browser, { viewport: { width: 1366, height: 768 } });
});

after(async () => {
  for (const c of clients) c.close();
  if (browser) await browser.close();
  for (const f of [fixture, nodesFixture]) {
    if (!f) continue;
    const exited = f.child.exitCode === null ? new Promise((r) => f.child.on('exit', r)) : null;
    f.child.kill('SIGTERM');
    await exited;
    rmSync(f.stateDir, { recursive: true, force: true });
    assert.doesNotMatch(f.err, /Sanitizer|runtime error/, f.err);
    assert.equal(f.child.exitCode, 0, f.err);
  }
});

test('the overview is the first tab and shows all 40 teams', { timeout: STEP_MS }, async () => {
  instructor = await context.newPage();
  await instructor.goto(`${fixture.url}/`);
  await instructor.check(T('join-role-instructor'));
  await instructor.fill(T('join-password'), PASSWORD);
  await instructor.click(T('join-submit'));
  await instructor.waitForURL(/instructor\.html/);
  await instructor.waitForSelector(`${T('connection-state')}[data-state="open"]`);
  assert.equal(await instructor.getAttribute(T('tab-overview'), 'aria-selected'), 'true');
  await instructor.waitForFunction((sel) => document.querySelectorAll(sel).length === 40, T('overview-row'));
  /* Ten objectives a team: 400 cells. */
  assert.equal(await instructor.locator(T('overview-cell')).count(), 400);
  await instructor.click(T('tab-control'));
  await instructor.click(T('exercise-start'));
  await instructor.waitForSelector(`${T('exercise-phase')}[data-phase="running"]`);
  await instructor.click(T('tab-overview'));
  /* The message at 0 s fires for every team; one waits 2 h, one for us. */
  for (let team = 1; team <= TEAMS; team++)
    await instructor.waitForSelector(`${row(team)} ${T('overview-injects')}[data-fired="1"][data-pending="2"]`);
  /* Why not yet, in the team's row detail. */
  await instructor.click(`${row(5)} ${T('overview-team')}`);
  const why = await instructor.textContent(`${T('overview-detail')}[data-team="5"] ${T('overview-why')}[data-inject="late-news"]`);
  assert.match(why, /Late news/);
  await instructor.click(`${row(5)} ${T('overview-team')}`);
  assert.ok(await instructor.isHidden(`${T('overview-detail')}[data-team="5"]`));
});

test("a team's answers and hints show in its cells", { timeout: STEP_MS }, async () => {
  const aiko = await member(7, 'Aiko');
  assert.equal((await aiko.request('answer', { objective: 'q4', text: 'wrong' })).type, 'ok');
  await instructor.waitForSelector(`${cell(7, 'q4')}[data-state="attempted"]`);
  assert.equal((await instructor.textContent(cell(7, 'q4'))).trim(), '1');
  assert.equal((await aiko.request('answer', { objective: 'q3', text: 'A3' })).type, 'ok');
  await instructor.waitForSelector(`${cell(7, 'q3')}[data-state="achieved"]`);
  assert.equal((await instructor.textContent(`${row(7)} ${T('overview-score')}`)).trim(), '10');
  assert.equal((await aiko.request('hint', { objective: 'q1', index: 0 })).type, 'ok');
  await instructor.waitForSelector(`${cell(7, 'q1')}[data-hints="1"][data-state="none"]`);
  /* Nothing of it on another team's row. */
  assert.equal(await instructor.getAttribute(cell(8, 'q3'), 'data-state'), 'none');
  /* Aiko is online, and did something a moment ago (the summary comes
   * every 5 s). */
  await instructor.waitForSelector(`${row(7)} ${T('overview-online')}[data-online="1"]`);
  assert.notEqual((await instructor.textContent(`${row(7)} ${T('overview-last')}`)).trim(), '–');
  assert.equal((await instructor.textContent(`${row(8)} ${T('overview-last')}`)).trim(), '–');
});

test('release for all fires a manual inject for every team after one confirmation', { timeout: STEP_MS }, async () => {
  await instructor.waitForSelector(`${T('overview-release-inject')} option[value="press-call"]`, { state: 'attached' });
  await instructor.selectOption(T('overview-release-inject'), 'press-call');
  await instructor.click(T('overview-release'));
  assert.match(await instructor.textContent(T('confirm-dialog')), /all teams/);
  await instructor.click(T('confirm-ok'));
  await instructor.waitForSelector(T('confirm-dialog'), { state: 'detached' });
  await instructor.waitForFunction(
    ({ sel, n }) => document.querySelectorAll(sel).length === n,
    { sel: `${T('overview-injects')}[data-fired="2"][data-pending="1"]`, n: TEAMS }
  );
  /* No second confirmation was asked. */
  assert.equal(await instructor.locator(T('confirm-dialog')).count(), 0);
  assert.match(await instructor.textContent(T('overview-status')), /40 teams/);
  /* The server agrees: fired for every team. */
  const ins = await ProtocolClient.connect(`${fixture.url.replace(/^http/, 'ws')}/ws`);
  clients.push(ins);
  assert.equal((await ins.request('hello', { version: 1, role: 'instructor', password: PASSWORD, since: 0 })).type, 'welcome');
  const summary = await ins.request('overview');
  assert.equal(summary.type, 'overview');
  assert.equal(summary.teams.length, TEAMS);
  for (const s of summary.teams) {
    assert.equal(s.injects.fired, 2, `team ${s.team}`);
    assert.ok(!s.waiting.some((w) => w.id === 'press-call'), `team ${s.team} still waits for press-call`);
  }
  await snap(instructor, 'instructor-overview-released');
});

test('a broadcast to all reaches the teams', { timeout: STEP_MS }, async () => {
  const ben = await member(33, 'Ben');
  await instructor.fill(T('overview-broadcast-text'), 'Lunch at noon.');
  await instructor.click(T('overview-broadcast'));
  await ben.waitFor(() => ben.messages.find((m) => m.type === 'message' && m.text === 'Lunch at noon.'), 'the broadcast');
  /* The field is emptied once the server's ok reaches the console, which may be after the team got it. */
  await instructor.waitForFunction((sel) => document.querySelector(sel).value === '', T('overview-broadcast-text'));
});

test('teams idle longer than the set time get an alert', { timeout: STEP_MS }, async () => {
  await instructor.fill(T('overview-idle'), '0.05');
  await instructor.dispatchEvent(T('overview-idle'), 'change');
  /* Team 1 never did anything: idle since the start, more than 3 s ago. */
  await instructor.waitForSelector(`${row(1)} ${T('overview-alert')}[data-kind="idle"]`);
  await instructor.waitForFunction((sel) => document.querySelectorAll(sel).length === 40, `${T('overview-alert')}[data-kind="idle"]`);
  await instructor.waitForFunction((sel) => document.querySelector(sel).textContent.trim() === '40', T('overview-alert-count'));
  await snap(instructor, 'instructor-overview-idle');
  await instructor.fill(T('overview-idle'), '600');
  await instructor.dispatchEvent(T('overview-idle'), 'change');
  await instructor.waitForSelector(`${T('overview-alert')}[data-kind="idle"]`, { state: 'detached' });
  assert.ok(await instructor.isHidden(T('overview-alert-count')));
});

test('40 teams fit 1366x768 with no horizontal scroll, accessibly', { timeout: STEP_MS }, async () => {
  const fit = await instructor.evaluate(() => {
    const rows = document.querySelectorAll('[data-test="overview-row"]');
    const last = rows[rows.length - 1].getBoundingClientRect();
    const widest = Math.max(...[...document.querySelectorAll('[data-test="overview-matrix"] table')].map((t) => t.getBoundingClientRect().right));
    return {
      scrollWidth: document.documentElement.scrollWidth,
      clientWidth: document.documentElement.clientWidth,
      widest,
      lastBottom: last.bottom,
      height: innerHeight
    };
  });
  assert.ok(fit.scrollWidth <= fit.clientWidth, `horizontal scroll: ${JSON.stringify(fit)}`);
  assert.ok(fit.widest <= fit.clientWidth, `a table is wider than the screen: ${JSON.stringify(fit)}`);
  assert.ok(fit.lastBottom <= fit.height, `the 40th team is below the screen: ${JSON.stringify(fit)}`);
  await snap(instructor, 'instructor-overview');
  assert.deepEqual(await accessibilityProblems(instructor), []);
  assert.deepEqual(context.pageErrors, []);
});

test('the Nodes tab groups 160 nodes by team, each group saying how many do not run', { timeout: STEP_MS }, async () => {
  const page = await context.newPage();
  await page.goto(`${nodesFixture.url}/`);
  await page.check(T('join-role-instructor'));
  await page.fill(T('join-password'), PASSWORD);
  await page.click(T('join-submit'));
  await page.waitForURL(/instructor\.html/);
  await page.waitForSelector(`${T('connection-state')}[data-state="open"]`);
  await page.click(T('tab-nodes'));
  const group = (team) => `${T('node-group')}[data-team="${team}"]`;
  await page.waitForFunction((sel) => document.querySelectorAll(sel).length === 40, T('node-group'));
  /* 40 teams: every group starts closed, no node row shown. */
  assert.equal(await page.locator(`${T('node-group')}[data-open="false"]`).count(), 40);
  assert.equal(await page.locator(T('node-row')).count(), 0);
  /* No guests run here: each group says its 4 nodes do not. */
  assert.equal(await page.locator(`${T('node-group-down')}[data-down="4"]`).count(), 40);
  assert.match(await page.textContent(`${group(3)} ${T('node-group-down')}`), /4 not running/);
  await page.click(`${group(3)} ${T('node-group-toggle')}`);
  await page.waitForSelector(`${group(3)}[data-open="true"]`);
  assert.equal(await page.getAttribute(`${group(3)} ${T('node-group-toggle')}`, 'aria-expanded'), 'true');
  assert.equal(await page.locator(T('node-row')).count(), 4);
  assert.equal(await page.locator(`${group(3)} ${T('node-row')}[data-team="3"]`).count(), 4);
  await page.click(T('node-groups-open'));
  assert.equal(await page.locator(T('node-row')).count(), 160);
  await page.click(T('node-groups-close'));
  assert.equal(await page.locator(T('node-row')).count(), 0);
  await snap(page, 'instructor-nodes-grouped');
  assert.deepEqual(await accessibilityProblems(page), []);
  assert.deepEqual(context.pageErrors, []);
  await page.close();
});
