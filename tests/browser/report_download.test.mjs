/*
 * The after-action report downloaded from the instructor console, in
 * Debian's chromium, without guests (console_fixture over requests.yaml, a
 * tabletop exercise of two teams): a trainee answers and asks; the
 * instructor downloads the report from the Scoreboard tab as CSV (a row per
 * team and objective, and per member: the trainee's name and their right
 * answer credited), HTML (the class summary, both teams, the chart) and
 * JSON (the same scores as the scoreboard). A trainee asking for the
 * report is refused. No page has a script error.
 */

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PASSWORD, launchBrowser, newContext, snap } from './lib.mjs';
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
  return startConsoleFixture('requests.yaml', { prefix: 'report' });
}

/* Downloads the report in format from the Scoreboard tab; its name and text. */
async function download(format) {
  await instructor.click(T('tab-scoreboard'));
  await instructor.selectOption(T('report-format'), format);
  const [file] = await Promise.all([instructor.waitForEvent('download'), instructor.click(T('report-download'))]);
  const text = readFileSync(await file.path(), 'utf8');
  await instructor.waitForFunction((sel) => /Saved/.test(document.querySelector(sel).textContent), T('report-status'));
  return { name: file.suggestedFilename(), text };
}

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

test('the exercise runs; a trainee answers wrong, then right, and calls management', { timeout: STEP_MS }, async () => {
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

  trainee = await context.newPage();
  await trainee.goto(`${fixture.url}/`);
  await trainee.fill(T('join-code'), fixture.codes[1]);
  await trainee.fill(T('join-name'), 'Aiko');
  await trainee.click(T('join-submit'));
  await trainee.waitForURL(/trainee\.html/);
  await trainee.waitForSelector(`${T('connection-state')}[data-state="open"]`);
  /* Through the page's own connection: what the forms send. */
  const outcome = (text) =>
    trainee.evaluate((t) => window.enshu.conn.request('answer', { objective: 'which-host', text: t }), text);
  await outcome('db1');
  await outcome('WS');
  await trainee.evaluate(() => window.enshu.conn.request('request.ask', { request: 'call' }));
  await trainee.waitForFunction((sel) => document.querySelector(sel).textContent.trim() === '10', T('score-total'));
});

test('the instructor downloads the report as CSV: a row per team and objective, and per member', { timeout: STEP_MS }, async () => {
  const { name, text } = await download('csv');
  assert.equal(name, 'browser-requests-after-action.csv');
  const lines = text.trimEnd().split('\r\n');
  assert.match(lines[0], /^scenario,team,team_name,organisation,member,rank,team_total,/);
  const cols = lines[0].split(',');
  const rows = lines.slice(1).map((l) => Object.fromEntries(l.split(',').map((v, i) => [cols[i], v])));
  const team1 = rows.find((r) => r.team === '1' && r.member === '');
  const aiko = rows.find((r) => r.team === '1' && r.member === 'Aiko');
  const team2 = rows.find((r) => r.team === '2' && r.member === '');
  assert.ok(team1 && aiko && team2, text);
  assert.equal(team1.points, '10');
  assert.equal(team1.achieved, '1');
  assert.equal(team1.attempts, '2');
  assert.equal(team1.rank, '1');
  assert.equal(aiko.credited, '1');
  assert.equal(aiko.actions, '2');
  assert.equal(team2.achieved, '0');
  assert.equal(team2.rank, '2');
  assert.equal(rows.length, 3, 'two teams, one member, one objective');
});

test('as HTML: the class summary, both teams, the chart, the answers', { timeout: STEP_MS }, async () => {
  const { name, text } = await download('html');
  assert.equal(name, 'browser-requests-after-action.html');
  assert.match(text, /<h2>Class summary<\/h2>/);
  assert.match(text, /<section class="team" id="team-1">/);
  assert.match(text, /<section class="team" id="team-2">/);
  assert.match(text, /<svg class="chart"/);
  assert.match(text, /Answer to which-host: wrong: <q>db1<\/q>/);
  assert.match(text, /Answer to which-host: right: <q>WS<\/q>/);
  assert.match(text, /Request asked: Call management \(approved at once\)/);
  assert.match(text, /Inject fired: management/);
  assert.doesNotMatch(text, /<script/);
  await snap(instructor, 'instructor-report-download');
});

test('as JSON: the scores the scoreboard shows', { timeout: STEP_MS }, async () => {
  const { text } = await download('json');
  const report = JSON.parse(text);
  const board = await instructor.evaluate(() => window.enshu.conn.request('scoreboard'));
  for (const team of board.teams) {
    const t = report.teams.find((x) => x.team === team.team);
    assert.equal(t.total, team.total, `team ${team.team}`);
  }
  assert.deepEqual(report.teams[0].members, ['Aiko']);
});

test('a trainee may not download the report', { timeout: STEP_MS }, async () => {
  const refused = await trainee.evaluate(() =>
    window.enshu.conn.request('after_action', { format: 'csv' }).then(() => null, (e) => e.code)
  );
  assert.equal(refused, 'forbidden');
});

test('no page had a script error', () => {
  assert.deepEqual(context.pageErrors, []);
});
