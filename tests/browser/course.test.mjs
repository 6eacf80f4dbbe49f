/*
 * A self-paced course in Debian's chromium, without guests (course_fixture:
 * the pool on simulated test:/// hosts, at most two sandboxes). Two
 * trainees, each in a browser of their own, give the course code and a
 * name on the course page, get a sandbox and its resume token (kept in
 * their browser) and land in the trainee console with their own clock
 * running; a third waits in the queue with a place and an estimate. The
 * instructor sees both sandboxes in the course view and revokes one: the
 * waiting trainee's page then gets the sandbox built in its place, and the
 * revoked trainee's kept token no longer brings them back. No page has a
 * script error, and axe-core finds no WCAG 2.1 A or AA problem on the
 * course page or the course view.
 */

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TOP, PASSWORD, enshuBinary, launchBrowser, newContext, snap, accessibilityProblems } from './lib.mjs';

const CHROMIUM = '/usr/bin/chromium';
const T = (name) => `[data-test="${name}"]`;
const STEP_MS = 60000;

let fixture = null;
let browser = null;
const contexts = {};
const pages = {};

/* Starts course_fixture on intro-office; resolves once it printed its
 * address and the course code. */
function startFixture() {
  const bin = process.env.ENSHU_COURSE_FIXTURE;
  assert.ok(bin, 'set ENSHU_COURSE_FIXTURE to the course_fixture binary');
  const stateDir = mkdtempSync(join(tmpdir(), 'enshu-course-'));
  const env = { ...process.env, ENSHU_STATE_DIR: stateDir };
  const pw = spawnSync(enshuBinary(), ['passwd'], { input: `${PASSWORD}\n`, env, encoding: 'utf8' });
  assert.ifError(pw.error);
  assert.equal(pw.status, 0, `enshu passwd failed: ${pw.stderr}`);
  const child = spawn(bin, [join(TOP, 'scenarios', 'intro-office.yaml'), '127.0.0.1:0', join(TOP, 'web')], {
    env,
    stdio: ['pipe', 'pipe', 'pipe']
  });
  const f = { child, stateDir, url: null, code: null, out: '', err: '' };
  child.stderr.on('data', (d) => {
    f.err += d;
  });
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (d) => {
      f.out += d;
      const url = f.out.match(/^console: (http:\/\/127\.0\.0\.1:\d+)\/$/m);
      if (url) f.url = url[1];
      const code = f.out.match(/^course code: (\S+)$/m);
      if (code) f.code = code[1];
      if (f.url && f.code) resolve(f);
    });
    child.on('exit', (code) => reject(new Error(`course_fixture exited (${code})\n${f.out}\n${f.err}`)));
  });
}

/* A trainee in a browser of their own asks for a sandbox. */
async function askForSandbox(name) {
  contexts[name] = await newContext(browser);
  const page = await contexts[name].newPage();
  pages[name] = page;
  await page.goto(`${fixture.url}/course.html`);
  await page.fill(T('course-code'), fixture.code);
  await page.fill(T('course-name'), name);
  await page.click(T('course-submit'));
  return page;
}

before(async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing; run scripts/setup (Debian package chromium)`);
  fixture = await startFixture();
  browser = await launchBrowser();
});

after(async () => {
  for (const c of Object.values(contexts)) assert.deepEqual(c.pageErrors, [], 'no script errors');
  if (browser) await browser.close();
  if (fixture) {
    const exited = fixture.child.exitCode === null ? new Promise((r) => fixture.child.on('exit', r)) : null;
    fixture.child.kill('SIGTERM');
    await exited;
    rmSync(fixture.stateDir, { recursive: true, force: true });
    assert.doesNotMatch(fixture.err, /Sanitizer|runtime error/, fixture.err);
    assert.equal(fixture.child.exitCode, 0, fixture.err);
  }
});

test('two trainees get a sandbox and its resume token, then their console', { timeout: STEP_MS }, async () => {
  for (const name of ['Ann', 'Bob']) {
    const page = await askForSandbox(name);
    await page.waitForSelector(T('course-granted'));
    const token = (await page.textContent(T('course-token'))).trim();
    assert.match(token, /^[A-Za-z0-9_-]{43}$/);
    const kept = await page.evaluate(() => JSON.parse(localStorage.getItem('enshu:course-resume')));
    assert.equal(kept.token, token);
    assert.equal(kept.name, name);
    if (name === 'Ann') {
      await snap(page, 'course-granted');
      assert.deepEqual(await accessibilityProblems(page), [], 'the course page');
    }
    await page.click(T('course-start'));
    await page.waitForURL(/trainee\.html/);
    await page.waitForSelector(`${T('connection-state')}[data-state="open"]`);
    await page.waitForSelector(`${T('exercise-phase')}[data-phase="running"]`);
  }
});

test('a third trainee waits in the queue with an estimate', { timeout: STEP_MS }, async () => {
  const page = await askForSandbox('Carol');
  await page.waitForSelector(T('course-queue'));
  assert.match(await page.textContent(T('course-position')), /number 1 in the queue/);
  assert.match(await page.textContent(T('course-estimate')), /about \d+ (min|h)/);
  assert.ok(await page.locator(T('course-form')).isHidden());
  await snap(page, 'course-queued');
});

test('the instructor revokes a sandbox; the waiting trainee gets one', { timeout: STEP_MS }, async () => {
  contexts.instructor = await newContext(browser);
  const page = await contexts.instructor.newPage();
  await page.goto(`${fixture.url}/`);
  await page.check(T('join-role-instructor'));
  await page.fill(T('join-password'), PASSWORD);
  await page.click(T('join-submit'));
  await page.waitForURL(/instructor\.html/);
  await page.goto(`${fixture.url}/course_view.html`);
  const row = (name) => `${T('course-sandbox')}[data-trainee="${name}"]`;
  await page.waitForSelector(row('Ann'));
  await page.waitForSelector(row('Bob'));
  assert.equal((await page.textContent(`${row('Ann')} ${T('course-phase')}`)).trim(), 'running');
  assert.match(await page.textContent(T('course-summary')), /2 in use, 0 warm, 1 waiting/);
  await snap(page, 'course-view');
  assert.deepEqual(await accessibilityProblems(page), [], 'the course view');
  await page.click(`${row('Ann')} ${T('course-revoke')}`);
  await page.click(T('confirm-ok'));
  await page.waitForSelector(row('Ann'), { state: 'detached' });

  /* Ann's sandbox torn down and one built in its place: Carol's poll gets it. */
  await pages.Carol.waitForSelector(T('course-granted'), { timeout: 20000 });
  await page.waitForSelector(row('Carol'));
  assert.match(await page.textContent(T('course-summary')), /2 in use, 0 warm, 0 waiting/);
});

test('a revoked trainee\'s kept token no longer brings them back', { timeout: STEP_MS }, async () => {
  const page = pages.Ann;
  await page.goto(`${fixture.url}/course.html`);
  await page.waitForSelector(T('course-resume'));
  await page.click(T('course-resume-button'));
  await page.waitForFunction((sel) => /expired or was ended/.test(document.querySelector(sel).textContent), T('course-error'));
  assert.equal(await page.evaluate(() => localStorage.getItem('enshu:course-resume')), null);

  /* Bob's kept token brings him back to his console. */
  const bob = pages.Bob;
  await bob.goto(`${fixture.url}/course.html`);
  await bob.click(T('course-resume-button'));
  await bob.waitForURL(/trainee\.html/);
  await bob.waitForSelector(`${T('connection-state')}[data-state="open"]`);
});
