/*
 * The instructor's Overview under load: how long after a team's answer the
 * Overview in Debian's chromium shows it, with 40 teams x 10 objectives
 * and CLIENTS websocket clients connected (default 2,000: 50 members a
 * team, each a session of its own that gets every message of its team).
 *
 * console_fixture runs a tabletop exercise (no guests) for 40 teams: ten
 * questions, a message at the start and RELEASES manual ones. The clients are plain websockets from this
 * process (32 per loopback address, 127.0.0.1 on: the server allows 64 an
 * address), joined with their team's code. The instructor console is open
 * on its Overview at 1366x768. Then one member of each team in turn answers
 * one of its objectives right, ANSWERS_PER_S a second, until every cell of
 * the matrix is achieved (400 answers). For each answer: the time from
 * sending it until the page's cell says achieved (a MutationObserver in
 * the page), and until the next frame after that (requestAnimationFrame:
 * the change is on screen). The page's clock is set against this
 * process's by the shortest of several round trips.
 *
 * Then the instructor releases each manual message for all teams at once
 * (`inject.release`, team 0), 2 s apart: for each team's row, the time
 * from the request until the team's message reaches the page, until the
 * row counts it fired, and the next frame.
 *
 * Also times the server's `overview` summary (every team's injects with
 * why, members online, last actions) asked over a websocket of its own,
 * with all those clients joined.
 *
 * Prints figures only (median, p90, p99, max); no assertion on time: the
 * machine is shared.
 *
 *   ENSHU=build/enshu ENSHU_CONSOLE_FIXTURE=build/tests/browser/console_fixture \
 *     node tests/bench/bench_overview.mjs [CLIENTS [ANSWERS_PER_S]]
 */

import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { HERE as BROWSER, TOP, PASSWORD, enshuBinary, launchBrowser, newContext, sleep } from '../browser/lib.mjs';

const WebSocket = createRequire(join(BROWSER, 'lib.mjs'))('ws');

/* At least one a team: the first member of each team sends its answers. */
const CLIENTS = Math.max(40, Number(process.argv[2] || 2000));
const ANSWERS_PER_S = Number(process.argv[3] || 10);
const TEAMS = 40;
const OBJECTIVES = 10;
const PER_ADDRESS = 32;
const JOINING_AT_ONCE = 16;
const RELEASES = 5;
const RELEASE_GAP_MS = 2000; /* under the server's cap on sessions not joined yet */
const T = (name) => `[data-test="${name}"]`;

const now = () => performance.timeOrigin + performance.now();

/* The exercise: overview.yaml's questions, with RELEASES manual messages. */
function scenarioText() {
  const objectives = Array.from({ length: OBJECTIVES }, (_, i) =>
    `  - {id: q${i + 1}, kind: question, title: Question ${i + 1}, text: "q${i + 1}?", answer: {nocase: a${i + 1}}, points: 10}`
  );
  const manual = Array.from({ length: RELEASES }, (_, i) =>
    `  - {id: m${i + 1}, manual: true, title: Release ${i + 1}, message: {from: soc@example.org, subject: Release ${i + 1}, body: Now.}}`
  );
  return [
    'enshu: 1',
    'id: bench-overview',
    'title: Overview benchmark',
    `teams: {min: 1, max: ${TEAMS}}`,
    'injects:',
    '  - {id: kickoff, at: 0s, title: Kick-off, message: {from: soc@example.org, subject: Begin, body: Go.}}',
    ...manual,
    'objectives:',
    ...objectives,
    ''
  ].join('\n');
}

function startFixture() {
  const bin = process.env.ENSHU_CONSOLE_FIXTURE;
  if (!bin) throw new Error('set ENSHU_CONSOLE_FIXTURE to the console_fixture binary');
  const stateDir = mkdtempSync(join(tmpdir(), 'enshu-bench-overview-'));
  const env = { ...process.env, ENSHU_STATE_DIR: stateDir };
  const pw = spawnSync(enshuBinary(), ['passwd'], { input: `${PASSWORD}\n`, env, encoding: 'utf8' });
  if (pw.status !== 0) throw new Error(`enshu passwd failed: ${pw.stderr}`);
  const yaml = join(stateDir, 'bench-overview.yaml');
  writeFileSync(yaml, scenarioText());
  const child = spawn(bin, [yaml, String(TEAMS), '127.0.0.1:0', join(TOP, 'web')], {
    env,
    stdio: ['pipe', 'pipe', 'inherit']
  });
  const f = { child, stateDir, codes: {}, url: null, out: '' };
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (d) => {
      f.out += d;
      const url = f.out.match(/^console: (http:\/\/127\.0\.0\.1:\d+)\/$/m);
      if (url) f.url = url[1];
      for (const m of f.out.matchAll(/^team (\d+) join code: (\S+)$/gm)) f.codes[m[1]] = m[2];
      if (f.url && Object.keys(f.codes).length === TEAMS) resolve(f);
    });
    child.on('exit', (code) => reject(new Error(`console_fixture exited (${code})`)));
  });
}

/* A light client: joins, counts what it gets, answers replies by id. */
class Member {
  constructor(url, index, hello) {
    this.received = 0;
    this.pending = new Map();
    this.nextId = 1;
    const octet = 1 + Math.floor(index / PER_ADDRESS);
    this.ws = new WebSocket(url, 'enshu.v1', { localAddress: `127.0.0.${octet}` });
    this.joined = new Promise((resolve, reject) => {
      this.ws.once('open', () => this.request('hello', hello).then(resolve, reject));
      this.ws.once('error', reject);
    });
    this.ws.on('message', (data, binary) => {
      if (binary) return;
      this.received++;
      const m = JSON.parse(data.toString());
      if (m.id != null && this.pending.has(m.id)) {
        this.pending.get(m.id)(m);
        this.pending.delete(m.id);
      }
    });
    this.ws.on('close', () => {
      this.closed = true;
    });
  }

  request(type, fields = {}) {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.ws.send(JSON.stringify({ ...fields, type, id }));
    });
  }
}

function quantile(sorted, q) {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

function report(name, values) {
  const s = values.slice().sort((a, b) => a - b);
  const f = (v) => v.toFixed(1).padStart(7);
  console.log(`${name.padEnd(34)} n=${String(s.length).padStart(4)}  median ${f(quantile(s, 0.5))}  p90 ${f(quantile(s, 0.9))}  p99 ${f(quantile(s, 0.99))}  max ${f(s[s.length - 1])} ms`);
}

async function main() {
  const fixture = await startFixture();
  const wsUrl = `${fixture.url.replace(/^http/, 'ws')}/ws`;
  const browser = await launchBrowser();
  const members = [];
  try {
    /* The instructor console, on its Overview. */
    const context = await newContext(browser, { viewport: { width: 1366, height: 768 } });
    const page = await context.newPage();
    await page.goto(`${fixture.url}/`);
    await page.check(T('join-role-instructor'));
    await page.fill(T('join-password'), PASSWORD);
    await page.click(T('join-submit'));
    await page.waitForURL(/instructor\.html/);
    await page.waitForSelector(`${T('connection-state')}[data-state="open"]`);
    await page.click(T('tab-control'));
    await page.click(T('exercise-start'));
    await page.waitForSelector(`${T('exercise-phase')}[data-phase="running"]`);
    await page.click(T('tab-overview'));
    await page.waitForFunction((sel) => document.querySelectorAll(sel).length === 40, T('overview-row'));

    /* The clients, 50 a team by default. */
    const started = now();
    for (let i = 0; i < CLIENTS; i += JOINING_AT_ONCE) {
      const batch = [];
      for (let k = i; k < Math.min(CLIENTS, i + JOINING_AT_ONCE); k++) {
        const team = (k % TEAMS) + 1;
        const m = new Member(wsUrl, k, { version: 1, role: 'team', code: fixture.codes[team], name: `m${k}`, since: 0 });
        m.team = team;
        members.push(m);
        batch.push(m.joined);
      }
      const replies = await Promise.all(batch);
      for (const r of replies) if (r.type !== 'welcome') throw new Error(`a client could not join: ${JSON.stringify(r)}`);
    }
    console.log(`${CLIENTS} clients joined in ${((now() - started) / 1000).toFixed(1)} s`);

    /* The server's summary of every team, as an instructor asks for it. */
    const ins = new Member(wsUrl, CLIENTS, { version: 1, role: 'instructor', password: PASSWORD, since: 0 });
    members.push(ins);
    if ((await ins.joined).type !== 'welcome') throw new Error('the instructor could not join');
    const summaryMs = [];
    let summaryBytes = 0;
    for (let i = 0; i < 25; i++) {
      const a = now();
      const r = await ins.request('overview');
      summaryMs.push(now() - a);
      if (r.type !== 'overview') throw new Error(`overview: ${JSON.stringify(r)}`);
      summaryBytes = JSON.stringify(r).length;
      await sleep(100);
    }
    report(`overview request (${(summaryBytes / 1024).toFixed(1)} KiB)`, summaryMs);

    /* Every cell's change to achieved, timed in the page. */
    await page.evaluate(() => {
      /* When each message reached the console's handlers, and how long
       * they took with it. */
      window.benchDispatched = [];
      const conn = window.enshu.conn;
      const dispatch = conn.dispatch.bind(conn);
      conn.dispatch = (msg) => {
        const at = performance.timeOrigin + performance.now();
        dispatch(msg);
        window.benchDispatched.push({ type: msg.type, team: msg.team, at, took: performance.timeOrigin + performance.now() - at });
      };
      window.benchSeen = [];
      window.benchFired = [];
      const observer = new MutationObserver((records) => {
        for (const r of records) {
          const td = r.target;
          if (td.dataset && td.dataset.test === 'overview-injects' && r.attributeName === 'data-fired' && r.oldValue !== td.dataset.fired) {
            const seen = { key: `${td.dataset.fired}/${td.closest('tr').dataset.team}`, dom: performance.timeOrigin + performance.now() };
            window.benchFired.push(seen);
            requestAnimationFrame(() => {
              seen.frame = performance.timeOrigin + performance.now();
            });
            continue;
          }
          if (td.dataset && td.dataset.test === 'overview-cell' && td.dataset.state === 'achieved' && r.oldValue !== 'achieved') {
            const seen = { key: `${td.dataset.team}/${td.dataset.objective}`, dom: performance.timeOrigin + performance.now() };
            window.benchSeen.push(seen);
            requestAnimationFrame(() => {
              seen.frame = performance.timeOrigin + performance.now();
            });
          }
        }
      });
      observer.observe(document.querySelector('[data-test="overview-matrix"]'), {
        subtree: true,
        attributes: true,
        attributeFilter: ['data-state', 'data-fired'],
        attributeOldValue: true
      });
    });

    /* The page's clock against ours: the shortest round trip's midpoint. */
    let offset = 0;
    let best = Infinity;
    for (let i = 0; i < 20; i++) {
      const a = now();
      const p = await page.evaluate(() => performance.timeOrigin + performance.now());
      const b = now();
      if (b - a < best) {
        best = b - a;
        offset = p - (a + b) / 2;
      }
    }
    console.log(`page clock offset ${offset.toFixed(2)} ms (round trip ${best.toFixed(2)} ms)`);

    /* One sender a team: its first member. */
    const sender = new Map();
    for (const m of members) if (!sender.has(m.team)) sender.set(m.team, m);
    const sent = new Map(); // key -> our time
    const refused = [];
    const gap = 1000 / ANSWERS_PER_S;
    const t0 = now();
    let n = 0;
    for (let q = 1; q <= OBJECTIVES; q++) {
      for (let team = 1; team <= TEAMS; team++) {
        const due = t0 + n * gap;
        n++;
        const wait = due - now();
        if (wait > 0) await sleep(wait);
        const key = `${team}/q${q}`;
        sent.set(key, now());
        sender
          .get(team)
          .request('answer', { objective: `q${q}`, text: `a${q}` })
          .then((r) => {
            if (r.type !== 'ok') refused.push(`${key}: ${JSON.stringify(r)}`);
          });
      }
    }
    await page.waitForFunction((n) => window.benchSeen.length >= n && window.benchSeen.every((s) => s.frame), sent.size - refused.length, {
      timeout: 60000
    });
    const seen = await page.evaluate(() => window.benchSeen);
    const dispatched = await page.evaluate(() => window.benchDispatched);
    /* The score message that brought each answer's cell: its team's first
     * after the answer was sent (a team answers every 4 s). */
    const arrived = [];
    for (const [key, at] of sent) {
      const team = Number(key.split('/')[0]);
      const d = dispatched.find((x) => x.type === 'score' && x.team === team && x.at - offset >= at);
      if (d) arrived.push(d.at - offset - at);
    }
    const handling = dispatched.map((d) => d.took);
    const handlingScore = dispatched.filter((d) => d.type === 'score').map((d) => d.took);
    const dom = [];
    const frame = [];
    for (const s of seen) {
      const at = sent.get(s.key);
      if (at == null) continue;
      dom.push(s.dom - offset - at);
      frame.push(s.frame - offset - at);
    }
    const received = members.reduce((a, m) => a + m.received, 0);
    const closed = members.filter((m) => m.closed).length;
    console.log(`${sent.size} answers at ${ANSWERS_PER_S}/s; ${refused.length} refused; clients got ${received} messages; ${closed} clients closed`);
    for (const r of refused.slice(0, 5)) console.log(`  refused ${r}`);
    report('answer -> score message in the page', arrived);
    report('the page handling one message', handling);
    report('the page handling a score message', handlingScore);
    report('answer -> cell achieved (DOM)', dom);
    report('answer -> next frame (on screen)', frame);

    /* Releases for all teams: fired goes from k to k + 1 on each row (the
     * kick-off fired at the start). */
    const released = new Map(); // fired count -> our time
    for (let k = 1; k <= RELEASES; k++) {
      await page.waitForFunction((n) => document.querySelectorAll(`[data-test="overview-injects"][data-fired="${n}"]`).length === 40, k);
      await sleep(RELEASE_GAP_MS);
      released.set(k + 1, now());
      const r = await ins.request('inject.release', { inject: `m${k}`, team: 0 });
      if (r.type !== 'ok') throw new Error(`release m${k}: ${JSON.stringify(r)}`);
    }
    await page.waitForFunction(
      (n) => document.querySelectorAll(`[data-test="overview-injects"][data-fired="${n}"]`).length === 40 && window.benchFired.every((s) => s.frame),
      RELEASES + 1,
      { timeout: 60000 }
    );
    const fired = await page.evaluate(() => window.benchFired);
    /* When each team's message reached the page: how long the engine
     * took to fire it for that team and fan it out. */
    const inboxes = await page.evaluate(() => window.benchDispatched.filter((d) => d.type === 'inbox'));
    const rarrived = [];
    for (const [, at] of released) {
      for (let team = 1; team <= TEAMS; team++) {
        const d = inboxes.find((x) => x.team === team && x.at - offset >= at);
        if (d) rarrived.push(d.at - offset - at);
      }
    }
    const rdom = [];
    const rframe = [];
    for (const f of fired) {
      const at = released.get(Number(f.key.split('/')[0]));
      if (at == null) continue;
      rdom.push(f.dom - offset - at);
      rframe.push(f.frame - offset - at);
    }
    console.log(`${RELEASES} releases for all ${TEAMS} teams`);
    report('release -> the team\'s message in the page', rarrived);
    report('release -> row counts it (DOM)', rdom);
    report('release -> next frame (on screen)', rframe);
    if (context.pageErrors.length) console.log(`page errors: ${context.pageErrors.join('; ')}`);
  } finally {
    for (const m of members) m.ws.terminate();
    await browser.close();
    const exited = new Promise((r) => fixture.child.on('exit', r));
    fixture.child.kill('SIGTERM');
    await exited;
    rmSync(fixture.stateDir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
