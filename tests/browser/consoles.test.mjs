/*
 * The trainee and instructor consoles in Debian's chromium against `enshu
 * run` on real guests (two teams, one workstation each), step by step as a
 * class would use them: the instructor joins and starts the exercise, a
 * trainee joins with the printed code, a released inject arrives live in the
 * inbox, the team answers and its score changes on both consoles, takes a
 * hint, submits a report that the instructor grades, types a command into
 * its guest's serial console, loses its connection and reloads without
 * duplicates, and switches to Japanese. The steps share the pages: each
 * builds on the one before.
 */

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  HERE,
  PASSWORD,
  requirePlatform,
  startRange,
  stopRange,
  launchBrowser,
  newContext,
  snap,
  accessibilityProblems
} from './lib.mjs';

const STEP_MS = 5 * 60 * 1000;
const GUEST_MS = 120000; /* a guest's answer through its serial console */

let range;
let browser;
let trainee; /* team 1's page */
let instructor; /* the instructor's page */
let traineeContext;
let instructorContext;

const T = (name) => `[data-test="${name}"]`;
const objective = (id) => `[data-test="objective"][data-objective="${id}"]`;

/* The test range with its scoreboard public, so trainees see it too. */
let scenarioDir;
function publicScenario() {
  scenarioDir = mkdtempSync(join(tmpdir(), 'enshu-browser-scenario-'));
  const text = readFileSync(join(HERE, 'consoles.yaml'), 'utf8');
  writeFileSync(join(scenarioDir, 'consoles.yaml'), `${text}consoles: {scoreboard: true}\n`);
  copyFileSync(join(HERE, 'notice-log.txt'), join(scenarioDir, 'notice-log.txt'));
  return join(scenarioDir, 'consoles.yaml');
}

before(async () => {
  requirePlatform();
  range = await startRange({ name: 'brwui', scenario: publicScenario(), teams: 2 });
  browser = await launchBrowser();
});

after(async () => {
  if (trainee) await snap(trainee, 'trainee-last').catch(() => {});
  if (instructor) await snap(instructor, 'instructor-last').catch(() => {});
  if (browser) await browser.close();
  await stopRange(range);
  if (scenarioDir) rmSync(scenarioDir, { recursive: true, force: true });
});

async function inboxSeqs(page) {
  return page.$$eval(`${T('inbox-item')}`, (items) => items.map((i) => i.dataset.seq));
}

async function score(page) {
  return (await page.textContent(T('score-total'))).trim();
}

test('the instructor joins with the password, sees the join codes and starts the exercise', { timeout: STEP_MS }, async () => {
  instructorContext = await newContext(browser);
  instructor = await instructorContext.newPage();
  await instructor.goto(`${range.url}/`);
  await instructor.check(T('join-role-instructor'));
  await instructor.fill(T('join-password'), PASSWORD);
  await instructor.click(T('join-submit'));
  await instructor.waitForURL(/instructor\.html/);
  await instructor.waitForSelector(`${T('connection-state')}[data-state="open"]`);
  for (const [team, code] of Object.entries(range.codes)) {
    assert.equal(
      (await instructor.textContent(`${T('join-code-row')}[data-team="${team}"] ${T('join-code')}`)).trim(),
      code,
      `the join code of team ${team}`
    );
  }
  assert.equal(await instructor.getAttribute(T('exercise-phase'), 'data-phase'), 'ready');
  await instructor.click(T('tab-control')); /* the overview comes first */
  await instructor.click(T('exercise-start'));
  await instructor.waitForSelector(`${T('exercise-phase')}[data-phase="running"]`);
});

test('a trainee joins with the printed join code', { timeout: STEP_MS }, async () => {
  traineeContext = await newContext(browser);
  trainee = await traineeContext.newPage();
  await trainee.goto(`${range.url}/`);
  /* A wrong code is refused on the join page. */
  await trainee.fill(T('join-code'), 'ZZZZ-ZZZZ');
  await trainee.fill(T('join-name'), 'Aiko');
  await trainee.click(T('join-submit'));
  await trainee.waitForFunction((sel) => document.querySelector(sel).textContent.length > 0, T('join-error'));
  assert.match(trainee.url(), /\/(index\.html)?$/);

  /* Typed as a Japanese input method gives it: full-width, lower case, no dash. */
  const fullWidth = range.codes[1]
    .toLowerCase()
    .replace('-', '')
    .replace(/[a-z0-9]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0));
  await trainee.fill(T('join-code'), fullWidth);
  assert.equal(await trainee.inputValue(T('join-code')), range.codes[1]);
  await trainee.click(T('join-submit'));
  await trainee.waitForURL(/trainee\.html/);
  await trainee.waitForSelector(`${T('connection-state')}[data-state="open"]`);
  assert.equal((await trainee.textContent(T('team-label'))).trim(), 'Team 1');
  assert.equal((await trainee.textContent(T('member-name'))).trim(), 'Aiko');
  await trainee.waitForSelector(`${T('exercise-phase')}[data-phase="running"]`);
  assert.equal(await trainee.locator(T('inbox-item')).count(), 0, 'the inbox starts empty');
  assert.equal(await trainee.getAttribute('html', 'lang'), 'en');
});

test('an inject released by the instructor arrives live in the inbox, new until opened', { timeout: STEP_MS }, async () => {
  await instructor.click(T('tab-teams'));
  await instructor.selectOption(T('team-select'), '1');
  const row = `${T('inject-row')}[data-inject="notice"]`;
  await instructor.waitForSelector(`${row}[data-state="pending"]`);
  const why = (await instructor.textContent(`${row} ${T('inject-why')}`)).trim();
  assert.ok(why.length > 0, 'a pending inject says why it has not fired');
  await instructor.click(`${row} ${T('inject-release')}`);
  await instructor.click(T('confirm-ok'));
  await instructor.waitForSelector(`${row}[data-state="fired"]`, { timeout: 60000 });
  await snap(instructor, 'instructor-teams');

  const item = `${T('inbox-item')}[data-inject="notice"]`;
  await trainee.waitForSelector(`${item}[data-new="true"]`, { timeout: 60000 });
  assert.equal((await trainee.textContent(T('unread-count'))).trim(), '1');
  assert.equal((await trainee.textContent(`${item} ${T('inbox-subject')}`)).trim(), 'Suspicious login on ws');
  await trainee.click(`${item} ${T('inbox-open')}`);
  assert.match(await trainee.textContent(`${item} ${T('inbox-body')}`), /logged in to ws at night/);
  assert.equal(await trainee.getAttribute(item, 'data-new'), 'false');
  assert.ok(await trainee.locator(T('unread-count')).isHidden());

  const [download] = await Promise.all([
    trainee.waitForEvent('download'),
    trainee.click(`${item} ${T('attachment-download')}`)
  ]);
  assert.equal(download.suggestedFilename(), 'notice-log.txt');
  const saved = await download.path();
  assert.equal(readFileSync(saved, 'utf8'), readFileSync(join(HERE, 'notice-log.txt'), 'utf8'));
  await snap(trainee, 'trainee-inbox');
});

test('the team answers, gets the feedback and its score changes; the instructor sees it', { timeout: STEP_MS }, async () => {
  await trainee.click(T('tab-tasks'));
  const q = objective('which-host');
  assert.equal(await score(trainee), '0');
  await trainee.fill(`${q} ${T('answer-input')}`, 'mail');
  await trainee.click(`${q} ${T('answer-submit')}`);
  await trainee.waitForSelector(`${q} ${T('answer-feedback')}[data-result="wrong"]`);
  assert.match(await trainee.textContent(`${q} ${T('answer-attempts')}`), /2 attempts left/);
  assert.equal(await score(trainee), '0');

  await trainee.fill(`${q} ${T('answer-input')}`, 'WS');
  await trainee.click(`${q} ${T('answer-submit')}`);
  await trainee.waitForSelector(`${q} ${T('answer-feedback')}[data-result="correct"]`);
  await trainee.waitForFunction((sel) => document.querySelector(sel).textContent.trim() === '10', T('score-total'));
  assert.ok(await trainee.isDisabled(`${q} ${T('answer-input')}`), 'a solved question takes no more answers');

  await instructor.click(T('tab-scoreboard'));
  const row = `${T('scoreboard-row')}[data-team="1"]`;
  await instructor.waitForFunction(
    (sel) => document.querySelector(sel)?.textContent.trim() === '10',
    `${row} ${T('scoreboard-total')}`
  );
  assert.equal((await instructor.textContent(`${row} ${T('scoreboard-cell')}[data-objective="which-host"]`)).trim(), '10');
  assert.equal((await instructor.textContent(`${T('scoreboard-row')}[data-team="2"] ${T('scoreboard-total')}`)).trim(), '0');
  assert.equal(await instructor.locator(`${T('score-chart')} path.team-line`).count(), 2, 'one chart line per team');
  await snap(instructor, 'instructor-scoreboard');
});

test('a hint costs what the confirmation said, and only once confirmed', { timeout: STEP_MS }, async () => {
  const q = objective('which-host');
  await trainee.click(`${q} ${T('hint-button')}`);
  const dialog = T('confirm-dialog');
  await trainee.waitForSelector(dialog);
  assert.match(await trainee.textContent(dialog), /costs your team 2 points/);
  await trainee.click(T('confirm-cancel'));
  await trainee.waitForSelector(dialog, { state: 'detached' });
  assert.equal(await trainee.locator(`${q} ${T('hint-text')}`).count(), 0, 'a cancelled hint is not taken');
  assert.equal(await score(trainee), '10');

  await trainee.click(`${q} ${T('hint-button')}`);
  await trainee.click(T('confirm-ok'));
  await trainee.waitForSelector(`${q} ${T('hint-text')}`);
  assert.equal((await trainee.textContent(`${q} ${T('hint-text')}`)).trim(), 'Read the notice from the SOC.');
  await trainee.waitForFunction((sel) => document.querySelector(sel).textContent.trim() === '8', T('score-total'));
});

test('a report is submitted, graded by the instructor, and the trainee sees the grade', { timeout: STEP_MS }, async () => {
  const r = objective('incident-report');
  await trainee.fill(`${r} ${T('report-text')}`, 'At 02:13 someone logged in to ws with the staff password.');
  await trainee.setInputFiles(`${r} ${T('report-file')}`, {
    name: 'evidence.txt',
    mimeType: 'text/plain',
    buffer: Buffer.from('auth.log excerpt\n')
  });
  await trainee.click(`${r} ${T('report-submit')}`);
  await trainee.waitForSelector(`${r} ${T('report-history')} li`);
  assert.match(await trainee.textContent(`${r} ${T('report-history')}`), /logged in to ws with the staff password/);

  await instructor.click(T('tab-reports'));
  const card = `${T('report-item')}[data-team="1"][data-objective="incident-report"]`;
  await instructor.waitForSelector(card);
  assert.match(await instructor.textContent(`${card} ${T('report-text')}`), /logged in to ws/);
  /* The file that came with the report reaches the instructor as sent. */
  const [evidence] = await Promise.all([
    instructor.waitForEvent('download'),
    instructor.click(`${card} ${T('report-attachment')}`)
  ]);
  assert.equal(evidence.suggestedFilename(), 'evidence.txt');
  assert.equal(readFileSync(await evidence.path(), 'utf8'), 'auth.log excerpt\n');
  await instructor.fill(`${card} ${T('grade-input')}[data-item="0"]`, '7');
  await instructor.click(`${card} ${T('grade-submit')}[data-item="0"]`);
  await instructor.waitForSelector(`${card} ${T('rubric-item')}[data-item="0"][data-graded="true"]`);
  await instructor.fill(`${card} ${T('grade-input')}[data-item="1"]`, '10');
  await instructor.click(`${card} ${T('grade-submit')}[data-item="1"]`);

  await snap(instructor, 'instructor-reports');
  const grade = (item) => `${r} ${T('rubric-item')}[data-item="${item}"] ${T('report-grade')}`;
  await trainee.waitForSelector(`${grade(1)}[data-graded="true"]`);
  assert.match(await trainee.textContent(grade(0)), /7 \/ 10/);
  assert.match(await trainee.textContent(grade(1)), /10 \/ 10/);
  await trainee.waitForFunction((sel) => document.querySelector(sel).textContent.trim() === '25', T('score-total'));
  await snap(trainee, 'trainee-tasks');
});

test("the scenario's public scoreboard shows every team to the trainee, its own marked", { timeout: STEP_MS }, async () => {
  await trainee.click(T('tab-scoreboard'));
  const row = (team) => `${T('scoreboard-row')}[data-team="${team}"]`;
  await trainee.waitForFunction((sel) => document.querySelector(sel)?.textContent.trim() === '25', `${row(1)} ${T('scoreboard-total')}`);
  assert.equal((await trainee.textContent(`${row(2)} ${T('scoreboard-total')}`)).trim(), '0');
  assert.equal(await trainee.getAttribute(row(1), 'data-own'), 'true');
  assert.equal(await trainee.getAttribute(row(2), 'data-own'), 'false');
  assert.deepEqual(await trainee.$$eval(T('scoreboard-row'), (rows) => rows.map((r) => r.dataset.team)), ['1', '2']);
});

test("a command typed into the guest's serial console prints its output", { timeout: STEP_MS }, async () => {
  await trainee.click(T('tab-nodes'));
  const node = `${T('node')}[data-node="ws"]`;
  await trainee.waitForSelector(`${node} ${T('node-state')}[data-state="running"]`, { timeout: 30000 });
  await trainee.click(`${node} ${T('console-open')}`);
  await trainee.waitForSelector(`${node} ${T('terminal')}[data-channel]`);
  await trainee.click(`${node} ${T('terminal')} .xterm`);
  await trainee.keyboard.press('Enter');
  await trainee.keyboard.type('echo $((6*7))-ok', { delay: 20 });
  await trainee.keyboard.press('Enter');
  await trainee.waitForFunction(() => window.enshu.consoles.get('/ws')?.text().includes('42-ok'), null, { timeout: GUEST_MS });
  /* What the terminal shows, not only its buffer. */
  assert.match(await trainee.textContent(`${node} .xterm-rows`), /42-ok/);
  await snap(trainee, 'trainee-console');
});

test('the terminal pauses its channel above the high-water mark and resumes once xterm caught up', { timeout: STEP_MS }, async () => {
  /* The console's own flow control with the real xterm.js, fed faster than
   * it can parse: one pause, then one resume, and every byte shown. */
  const page = await traineeContext.newPage();
  await page.goto(`${range.url}/index.html`);
  const result = await page.evaluate(async () => {
    const { SerialConsole, HIGH_WATER, LOW_WATER } = await import('/js/terminal.js');
    const sent = [];
    let binary = null;
    const conn = {
      onBinary: (fn) => {
        binary = fn;
        return () => {};
      },
      on: () => () => {},
      request: async (type, fields) => ({ type: 'console', channel: 7, node: fields.node }),
      send: (type, fields) => {
        sent.push(`${type}:${fields.channel}`);
        return true;
      }
    };
    const host = document.createElement('div');
    host.style.height = '200px';
    document.body.append(host);
    const c = new SerialConsole(conn, host, { node: 'x' });
    await c.open();
    const frame = (channel, n, ch = 'y') => {
      const line = new TextEncoder().encode(`${ch.repeat(62)}\r\n`); /* 64 bytes */
      const f = new Uint8Array(1 + line.length * n);
      f[0] = channel;
      for (let i = 0; i < n; i++) f.set(line, 1 + i * line.length);
      return f;
    };
    binary(frame(8, 256, 'z')); /* another channel's output: not ours */
    let fed = 0;
    for (let i = 0; i < 64; i++) {
      binary(frame(7, 256)); /* 16 KiB */
      fed += 256;
    }
    const whileBehind = sent.slice();
    const peak = c.backlog;
    await new Promise((resolve) => {
      const check = () => (c.backlog === 0 ? resolve() : setTimeout(check, 20));
      check();
    });
    const text = c.text().split('\n');
    const lines = text.filter((l) => l === 'y'.repeat(62)).length;
    const foreign = text.filter((l) => l.includes('z')).length;
    return { whileBehind, sent, peak, fed, high: HIGH_WATER, low: LOW_WATER, lines, foreign, scrollback: c.term.options.scrollback };
  });
  await page.close();
  assert.ok(result.peak > result.high, `the backlog never passed the high-water mark (${result.peak})`);
  assert.deepEqual(result.whileBehind, ['console.pause:7'], 'one pause while behind');
  assert.deepEqual(result.sent, ['console.pause:7', 'console.resume:7'], 'one resume once caught up');
  /* Everything fed on channel 7 is in the terminal (up to its scrollback),
   * nothing of channel 8. */
  assert.ok(result.lines >= Math.min(result.fed, result.scrollback), `only ${result.lines} of ${result.fed} lines shown`);
  assert.equal(result.foreign, 0, "another channel's output reached the terminal");
});

test('a flood of guest output reaches the terminal whole', { timeout: STEP_MS }, async () => {
  await trainee.click(`${T('node')}[data-node="ws"] ${T('terminal')} .xterm`);
  await trainee.keyboard.type('seq 1 20000; echo flood-$((1+1))-done', { delay: 10 });
  await trainee.keyboard.press('Enter');
  await trainee.waitForFunction(() => /^flood-2-done$/m.test(window.enshu.consoles.get('/ws')?.text() || ''), null, {
    timeout: GUEST_MS
  });
  const tail = await trainee.evaluate(() => window.enshu.consoles.get('/ws').text());
  const numbers = tail.split('\n').filter((l) => /^\d+$/.test(l.trim())).map(Number);
  /* The last lines of the flood, in order and without a gap. */
  const last = numbers.slice(-1000);
  assert.equal(last[last.length - 1], 20000);
  for (let i = 1; i < last.length; i++) assert.equal(last[i], last[i - 1] + 1, `a gap after ${last[i - 1]}`);
});

test("a burst of typing is paced under the server's message limit and reaches the guest whole", { timeout: STEP_MS }, async () => {
  /* 160 messages at once, one character each: more than the server lets
   * through (it closes a socket sending over 50 a second, bursts of 100
   * allowed); the connection paces them. One command line, so the guest's
   * echo of typed-ahead input cannot cut into its output. */
  const sent = await trainee.evaluate(() => {
    window.burstSocket = window.enshu.conn.ws;
    const c = window.enshu.consoles.get('/ws');
    const line = `: ${'x'.repeat(130)}; echo pace-$((40+2))-end\r`;
    for (const ch of line) window.enshu.conn.send('console.input', { channel: c.channel, data: ch });
    return line.length;
  });
  assert.ok(sent > 100);
  await trainee.waitForFunction(() => /^pace-42-end$/m.test(window.enshu.consoles.get('/ws').text()), null, { timeout: GUEST_MS });
  assert.ok(
    await trainee.evaluate(() => window.enshu.conn.ws === window.burstSocket && window.enshu.conn.state === 'open'),
    'the burst cost the connection'
  );
});

test('after a lost connection and a reload the inbox has every message once', { timeout: STEP_MS }, async () => {
  await trainee.click(T('tab-inbox'));
  const before = await inboxSeqs(trainee);
  assert.equal(before.length, 1);

  /* The page's socket drops; the console connects again by itself. */
  const attaches = await trainee.evaluate(() => window.enshu.consoles.get('/ws').attaches);
  await trainee.evaluate(() => {
    window.droppedSocket = window.enshu.conn.ws;
    window.droppedSocket.close();
  });
  await trainee.waitForFunction(
    () => window.enshu.conn.state === 'open' && window.enshu.conn.ws && window.enshu.conn.ws !== window.droppedSocket,
    null,
    { timeout: 30000 }
  );
  /* A message sent after the reconnect arrives, once. */
  await instructor.click(T('tab-control'));
  await instructor.fill(T('broadcast-text'), 'Lunch at noon.');
  await instructor.selectOption(T('broadcast-team'), '1');
  await instructor.click(T('broadcast-send'));
  await trainee.waitForFunction((sel) => document.querySelectorAll(sel).length === 2, T('inbox-item'));
  const afterReconnect = await inboxSeqs(trainee);
  assert.equal(new Set(afterReconnect).size, afterReconnect.length, 'duplicates in the inbox after a reconnect');
  assert.ok(before.every((s) => afterReconnect.includes(s)));

  /* The serial console came back with the connection (what is typed
   * before it has is not sent: wait for it). */
  await trainee.waitForFunction(
    (before) => {
      const c = window.enshu.consoles.get('/ws');
      return c.channel !== null && c.attaches > before;
    },
    attaches,
    { timeout: 30000 }
  );
  await trainee.click(T('tab-nodes'));
  await trainee.click(`${T('node')}[data-node="ws"] ${T('terminal')} .xterm`);
  await trainee.keyboard.type('echo again-$((40+2))', { delay: 20 });
  await trainee.keyboard.press('Enter');
  await trainee.waitForFunction(() => window.enshu.consoles.get('/ws')?.text().includes('again-42'), null, { timeout: GUEST_MS });

  await trainee.reload();
  await trainee.waitForSelector(`${T('connection-state')}[data-state="open"]`);
  await trainee.click(T('tab-inbox'));
  /* Let everything the server replays after the hello come in: a broadcast
   * sent now is the last thing it sends, so it arrives after them. */
  await instructor.fill(T('broadcast-text'), 'After the reload.');
  await instructor.click(T('broadcast-send'));
  await trainee.waitForFunction((sel) => document.querySelectorAll(sel).length >= 3, T('inbox-item'));
  const afterReload = await inboxSeqs(trainee);
  assert.equal(afterReload.length, 3, `inbox after reload: ${afterReload}`);
  assert.equal(new Set(afterReload).size, 3, 'duplicates in the inbox after a reload');
  assert.equal(
    await trainee.getAttribute(`${T('inbox-item')}[data-inject="notice"]`, 'data-new'),
    'false',
    'an opened message stays opened after a reload'
  );
  assert.equal(await score(trainee), '25', 'the score after a reload');
  /* The console open before the reload is open again. */
  await trainee.waitForFunction(() => window.enshu.consoles.get('/ws')?.channel != null, null, { timeout: 30000 });
  /* One score message may explain several objectives: a reason line is told by its text too. */
  const timeline = await trainee.$$eval(T('timeline-entry'), (els) =>
    els.map((e) => `${e.dataset.type}/${e.dataset.seq}${e.dataset.type === 'points' ? `/${e.textContent}` : ''}`)
  );
  assert.equal(new Set(timeline).size, timeline.length, `duplicates in the timeline after a reload: ${timeline}`);
  for (const type of ['inbox', 'answer', 'hint', 'report', 'grade', 'message']) {
    assert.ok(timeline.some((e) => e.startsWith(`${type}/`)), `no ${type} in the team's timeline`);
  }
});

test('the language switch shows the console and the scenario in Japanese', { timeout: STEP_MS }, async () => {
  await trainee.selectOption(T('lang-select'), 'ja');
  /* The catalogue is fetched first. */
  await trainee.waitForFunction(() => document.documentElement.lang === 'ja');
  assert.equal((await trainee.textContent(T('tab-tasks'))).trim(), '課題');
  assert.equal((await trainee.textContent(T('team-label'))).trim(), 'チーム 1');
  /* The scenario's texts come again from the server, in Japanese. */
  const subject = `${T('inbox-item')}[data-inject="notice"] ${T('inbox-subject')}`;
  await trainee.waitForFunction((sel) => document.querySelector(sel)?.textContent.trim() === 'wsで不審なログイン', subject);
  await trainee.click(T('tab-tasks'));
  await trainee.waitForFunction(
    (sel) => document.querySelector(sel)?.textContent.includes('対象端末'),
    `${objective('which-host')} h3`
  );
  assert.equal((await trainee.textContent(T('exercise-title'))).trim(), 'ブラウザコンソール試験用レンジ');
  const seqs = await inboxSeqs(trainee);
  assert.equal(seqs.length, 3);
  assert.equal(new Set(seqs).size, 3, 'duplicates in the inbox after the language switch');
  await snap(trainee, 'trainee-ja');

  /* The choice is kept: the join page opens in Japanese. */
  const page = await traineeContext.newPage();
  await page.goto(`${range.url}/`);
  await page.waitForFunction(() => document.documentElement.lang === 'ja');
  assert.equal((await page.textContent(T('join-submit'))).trim(), '参加');
  await page.close();
});

test('the instructor pauses, resumes and sets the speed; the trainee follows', { timeout: STEP_MS }, async () => {
  const phase = (p) => `${T('exercise-phase')}[data-phase="${p}"]`;
  await instructor.click(T('tab-control'));
  await instructor.click(T('exercise-pause'));
  await instructor.waitForSelector(phase('paused'));
  await trainee.waitForSelector(phase('paused'));
  assert.ok(await instructor.isDisabled(T('exercise-pause')));
  /* While paused the trainee's forms take nothing, and the console says why. */
  const notice = `${T('phase-notice')}[data-phase="paused"]`;
  await trainee.waitForSelector(notice, { state: 'attached' });
  assert.match(await trainee.textContent(notice), /paused|一時停止/);
  assert.ok(await trainee.isDisabled(`${objective('incident-report')} ${T('report-submit')}`));
  await instructor.click(T('exercise-resume'));
  await instructor.waitForSelector(phase('running'));
  await trainee.waitForSelector(phase('running'));
  assert.equal(await trainee.getAttribute(T('phase-notice'), 'hidden'), '');
  assert.ok(!(await trainee.isDisabled(`${objective('incident-report')} ${T('report-submit')}`)));
  await instructor.fill(T('speed-input'), '2');
  await instructor.click(T('speed-set'));
  await trainee.waitForFunction((sel) => document.querySelector(sel).textContent.includes('×2'), T('exercise-clock'));
  await instructor.fill(T('speed-input'), '1');
  await instructor.click(T('speed-set'));
  await trainee.waitForFunction((sel) => !document.querySelector(sel).textContent.includes('×'), T('exercise-clock'));
});

test("the instructor restarts a team's node; the trainee's console comes back by itself", { timeout: STEP_MS }, async () => {
  await instructor.click(T('tab-nodes'));
  const row = (team) => `${T('node-row')}[data-team="${team}"][data-node="ws"]`;
  await instructor.waitForSelector(`${row(1)} ${T('node-state')}[data-state="running"]`);
  await instructor.waitForSelector(`${row(2)} ${T('node-state')}[data-state="running"]`);
  const attaches = await trainee.evaluate(() => window.enshu.consoles.get('/ws').attaches);
  await instructor.click(`${row(1)} ${T('node-restart')}`);
  await instructor.click(T('confirm-ok'));
  await instructor.waitForFunction((sel) => /Done|完了/.test(document.querySelector(sel).textContent), T('nodes-status'), {
    timeout: 120000
  });
  await instructor.waitForSelector(`${row(1)} ${T('node-state')}[data-state="running"]`);

  /* The guest's console ended with the restart; the trainee's terminal
   * opens it again and takes commands once the guest's shell is up. */
  await trainee.click(T('tab-nodes'));
  const term = `${T('node')}[data-node="ws"] ${T('terminal')}`;
  await trainee.waitForFunction(
    (before) => {
      const c = window.enshu.consoles.get('/ws');
      return c.channel !== null && c.attaches > before;
    },
    attaches,
    { timeout: 90000 }
  );
  const deadline = Date.now() + GUEST_MS;
  let back = false;
  while (!back && Date.now() < deadline) {
    await trainee.click(`${term} .xterm`);
    await trainee.keyboard.type('echo back-$((1+2))', { delay: 10 });
    await trainee.keyboard.press('Enter');
    back = await trainee
      .waitForFunction(() => /^back-3$/m.test(window.enshu.consoles.get('/ws')?.text() || ''), null, { timeout: 10000 })
      .then(() => true, () => false);
  }
  assert.ok(back, 'the console did not come back after the restart');
});

test("the instructor holds, unholds and skips another team's inject, opens its console and reverts its node", { timeout: STEP_MS }, async () => {
  await instructor.click(T('tab-teams'));
  await instructor.selectOption(T('team-select'), '2');
  const row = `${T('inject-row')}[data-inject="notice"]`;
  await instructor.waitForSelector(`${row}[data-state="pending"]`);
  const why = async () => (await instructor.textContent(`${row} ${T('inject-why')}`)).trim();
  const waiting = await why();
  await instructor.click(`${row} ${T('inject-hold')}`);
  await instructor.waitForFunction(
    ([sel, before]) => document.querySelector(sel)?.textContent.trim() !== before,
    [`${row} ${T('inject-why')}`, waiting]
  );
  const held = await why();
  assert.match(held, /held/i, 'a held inject says so');
  assert.equal(await instructor.locator(`${row} ${T('inject-hold')}`).count(), 0, 'a held inject offers unhold, not hold');
  await instructor.click(`${row} ${T('inject-unhold')}`);
  await instructor.waitForFunction(([sel, h]) => document.querySelector(sel)?.textContent.trim() !== h, [`${row} ${T('inject-why')}`, held]);
  assert.equal(await why(), waiting);
  await instructor.click(`${row} ${T('inject-skip')}`);
  await instructor.click(T('confirm-ok'));
  await instructor.waitForSelector(`${row}[data-state="skipped"]`);
  assert.equal(await instructor.locator(`${row} button`).count(), 0, 'a skipped inject offers no more actions');

  await instructor.click(T('tab-nodes'));
  await instructor.click(`${T('node-row')}[data-team="2"][data-node="ws"] ${T('console-open')}`);
  const term = `${T('console-panel')}[data-team="2"][data-node="ws"] ${T('terminal')}`;
  await instructor.waitForSelector(`${term}[data-channel]`);
  await instructor.click(`${term} .xterm`);
  await instructor.keyboard.press('Enter');
  await instructor.keyboard.type('echo team2-$((3*3))', { delay: 10 });
  await instructor.keyboard.press('Enter');
  await instructor.waitForFunction(() => /^team2-9$/m.test(window.enshu.consoles.get('2/ws')?.text() || ''), null, {
    timeout: GUEST_MS
  });
  await snap(instructor, 'instructor-console');

  /* A revert puts the guest back on a fresh disk; it runs again after. */
  const row2 = `${T('node-row')}[data-team="2"][data-node="ws"]`;
  await instructor.evaluate((sel) => {
    document.querySelector(sel).textContent = '';
  }, T('nodes-status'));
  await instructor.click(`${row2} ${T('node-revert')}`);
  await instructor.click(T('confirm-ok'));
  await instructor.waitForFunction((sel) => /Done|完了/.test(document.querySelector(sel).textContent), T('nodes-status'), {
    timeout: 180000
  });
  await instructor.waitForSelector(`${row2} ${T('node-state')}[data-state="running"]`);
});

test('axe-core finds no WCAG 2.1 A or AA problem on any page, tab or dialog', { timeout: STEP_MS }, async () => {
  const problems = [];
  const audit = async (page, where) => {
    for (const p of await accessibilityProblems(page)) problems.push(`${where}: ${p}`);
  };
  const join = await traineeContext.newPage();
  await join.goto(`${range.url}/`);
  await audit(join, 'join page');
  await join.check(T('join-role-instructor'));
  await audit(join, 'join page, instructor');
  await join.close();
  for (const tab of ['inbox', 'tasks', 'nodes', 'timeline', 'scoreboard']) {
    await trainee.click(T(`tab-${tab}`));
    await audit(trainee, `trainee ${tab}`);
  }
  for (const tab of ['control', 'teams', 'scoreboard', 'reports', 'nodes', 'events']) {
    await instructor.click(T(`tab-${tab}`));
    await audit(instructor, `instructor ${tab}`);
  }
  await instructor.click(T('tab-control'));
  await instructor.click(T('exercise-end'));
  await instructor.waitForSelector(T('confirm-dialog'));
  await audit(instructor, 'confirmation dialog');
  await instructor.keyboard.press('Escape'); /* the dialog closes without ending */
  await instructor.waitForSelector(T('confirm-dialog'), { state: 'detached' });
  assert.equal(await instructor.getAttribute(T('exercise-phase'), 'data-phase'), 'running');
  assert.deepEqual(problems, []);

  /* The tabs work from the keyboard: arrows move, the panel follows. */
  await trainee.focus(T('tab-inbox'));
  await trainee.keyboard.press('Enter');
  await trainee.keyboard.press('ArrowRight');
  assert.equal(await trainee.getAttribute(T('tab-tasks'), 'aria-selected'), 'true');
  assert.ok(await trainee.evaluate(() => document.activeElement.dataset.test === 'tab-tasks'));
  assert.ok(await trainee.isVisible('#panel-tasks'));
  assert.ok(await trainee.isHidden('#panel-inbox'));
  await trainee.keyboard.press('End');
  assert.equal(await trainee.getAttribute(T('tab-scoreboard'), 'aria-selected'), 'true');
});

test('no page had a script error', () => {
  assert.deepEqual(traineeContext.pageErrors, []);
  assert.deepEqual(instructorContext.pageErrors, []);
});
