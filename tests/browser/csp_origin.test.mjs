/*
 * The consoles' websocket and pages against outside pages, in Debian's
 * chromium, without guests (console_fixture: the hub over fake actions):
 * - a page of another origin (served here from 127.0.0.2) cannot open the
 *   websocket, while a page of an origin given to --allow-origin (127.0.0.3)
 *   can;
 * - the consoles' pages carry the Content-Security-Policy and work under it
 *   with no violation reported (instructor and trainee, every tab, and an
 *   xterm.js terminal as the serial consoles make it), and the policy is
 *   enforced: an inline script is refused and reported;
 * - the trainee of team 1 sees its team's accounts with team 1's password
 *   under Nodes, and nothing of team 2's; the instructor sees both;
 * - a session that joined outlives the login deadline (10 s), one that did
 *   not is closed at it.
 */

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import http from 'node:http';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HERE, TOP, PASSWORD, ProtocolClient, enshuBinary, launchBrowser } from './lib.mjs';

const CHROMIUM = '/usr/bin/chromium';
const T = (name) => `[data-test="${name}"]`;
const STEP_MS = 60000;

let fixture = null;
let browser = null;
const pages = {}; /* the outside pages' servers: {foreign, allowed} */

/* A page that tries the websocket given in its query and tells how it went. */
const OUTSIDE_PAGE = `<!doctype html><html lang="en"><title>outside</title><body><script>
window.result = new Promise((resolve) => {
  const ws = new WebSocket(new URLSearchParams(location.search).get('ws'), 'enshu.v1');
  ws.onopen = () => { resolve('open'); ws.close(); };
  ws.onclose = (e) => resolve('closed ' + e.code);
});
</script></body></html>`;

function outsideServer(address) {
  return new Promise((resolve) => {
    const server = http.createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(OUTSIDE_PAGE);
    });
    server.listen(0, address, () => resolve({ server, origin: `http://${address}:${server.address().port}` }));
  });
}

/* Starts console_fixture; resolves once it printed its address and codes. */
function startFixture(allowOrigin) {
  const bin = process.env.ENSHU_CONSOLE_FIXTURE;
  assert.ok(bin, 'set ENSHU_CONSOLE_FIXTURE to the console_fixture binary');
  const stateDir = mkdtempSync(join(tmpdir(), 'enshu-csp-'));
  const env = { ...process.env, ENSHU_STATE_DIR: stateDir };
  const pw = spawnSync(enshuBinary(), ['passwd'], { input: `${PASSWORD}\n`, env, encoding: 'utf8' });
  assert.ifError(pw.error);
  assert.equal(pw.status, 0, `enshu passwd failed: ${pw.stderr}`);
  const child = spawn(bin, [join(HERE, 'consoles.yaml'), '2', '127.0.0.1:0', join(TOP, 'web'), allowOrigin], {
    env,
    stdio: ['pipe', 'pipe', 'pipe']
  });
  const f = { child, stateDir, codes: {}, url: null, out: '', err: '' };
  child.stderr.on('data', (d) => {
    f.err += d;
  });
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (d) => {
      f.out += d;
      const url = f.out.match(/^console: (http:\/\/127\.0\.0\.1:\d+)\/$/m);
      if (url) f.url = url[1];
      for (const m of f.out.matchAll(/^team (\d+) join code: (\S+)$/gm)) f.codes[m[1]] = m[2];
      if (f.url && Object.keys(f.codes).length === 2) resolve(f);
    });
    child.on('exit', (code) => reject(new Error(`console_fixture exited (${code})\n${f.out}\n${f.err}`)));
  });
}

/* A context whose pages reach only the loopback addresses of this test, and
 * that records every Content-Security-Policy violation and page error. */
async function newContext() {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await context.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (['127.0.0.1', '127.0.0.2', '127.0.0.3'].includes(url.hostname) || url.protocol === 'data:') return route.continue();
    return route.abort('blockedbyclient');
  });
  await context.addInitScript(() => {
    window.__violations = [];
    document.addEventListener('securitypolicyviolation', (e) =>
      window.__violations.push(`${e.effectiveDirective} ${e.blockedURI} (${e.sourceFile}:${e.lineNumber})`)
    );
  });
  context.reports = [];
  context.on('page', (page) => {
    page.on('pageerror', (e) => context.reports.push(`page error: ${e.message}`));
    page.on('console', (m) => {
      if (/Content.Security.Policy|Refused to/i.test(m.text())) context.reports.push(`console: ${m.text()}`);
    });
  });
  return context;
}

async function violations(page) {
  return page.evaluate(() => window.__violations);
}

before(async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing; run scripts/setup (Debian package chromium)`);
  assert.ok(existsSync(join(TOP, 'web', 'vendor', 'xterm', 'xterm.js')), 'web/vendor/xterm is missing; run scripts/setup');
  pages.foreign = await outsideServer('127.0.0.2');
  pages.allowed = await outsideServer('127.0.0.3');
  fixture = await startFixture(pages.allowed.origin);
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
  for (const p of Object.values(pages)) p.server.close();
  if (fixture) {
    const exited = fixture.child.exitCode === null ? new Promise((r) => fixture.child.on('exit', r)) : null;
    fixture.child.kill('SIGTERM');
    await exited;
    rmSync(fixture.stateDir, { recursive: true, force: true });
    /* It stops cleanly (in a sanitizer build: nothing leaked or misused). */
    assert.doesNotMatch(fixture.err, /Sanitizer|runtime error/, fixture.err);
    assert.equal(fixture.child.exitCode, 0, fixture.err);
  }
});

test('a page of another origin cannot open the websocket; one allowed with --allow-origin can', { timeout: STEP_MS }, async () => {
  const context = await newContext();
  const page = await context.newPage();
  const ws = encodeURIComponent(`${fixture.url.replace(/^http/, 'ws')}/ws`);

  await page.goto(`${pages.foreign.origin}/?ws=${ws}`);
  assert.equal(await page.evaluate(() => window.result), 'closed 1006');
  assert.match(fixture.err, new RegExp(`origin "${pages.foreign.origin}"`), 'the server refused it for its origin');

  await page.goto(`${pages.allowed.origin}/?ws=${ws}`);
  assert.equal(await page.evaluate(() => window.result), 'open');

  /* and the consoles' own page may, which is where the consoles connect from */
  await page.goto(`${fixture.url}/index.html`);
  assert.equal(
    await page.evaluate(async (url) => {
      const ws = new WebSocket(url, 'enshu.v1');
      return new Promise((resolve) => {
        ws.onopen = () => resolve('open');
        ws.onclose = (e) => resolve(`closed ${e.code}`);
      });
    }, `${fixture.url.replace(/^http/, 'ws')}/ws`),
    'open'
  );
  await context.close();
});

test('the consoles work under their Content-Security-Policy with no violation', { timeout: STEP_MS }, async () => {
  const context = await newContext();
  const instructor = await context.newPage();
  const response = await instructor.goto(`${fixture.url}/`);
  const csp = response.headers()['content-security-policy'];
  assert.match(csp, /script-src 'self';/);
  assert.match(csp, /frame-ancestors 'none'/);
  assert.equal(response.headers()['x-content-type-options'], 'nosniff');
  assert.equal(response.headers()['referrer-policy'], 'no-referrer');

  await instructor.check(T('join-role-instructor'));
  await instructor.fill(T('join-password'), PASSWORD);
  await instructor.click(T('join-submit'));
  await instructor.waitForURL(/instructor\.html/);
  await instructor.waitForSelector(`${T('connection-state')}[data-state="open"]`);
  for (const tab of ['overview', 'teams', 'scoreboard', 'reports', 'nodes', 'events', 'control']) await instructor.click(T(`tab-${tab}`));
  await instructor.click(T('exercise-start'));
  await instructor.waitForSelector(`${T('exercise-phase')}[data-phase="running"]`);

  const trainee = await context.newPage();
  await trainee.goto(`${fixture.url}/`);
  await trainee.fill(T('join-code'), fixture.codes[1]);
  await trainee.fill(T('join-name'), 'Aiko');
  await trainee.click(T('join-submit'));
  await trainee.waitForURL(/trainee\.html/);
  await trainee.waitForSelector(`${T('connection-state')}[data-state="open"]`);
  for (const tab of ['tasks', 'nodes', 'timeline', 'inbox']) await trainee.click(T(`tab-${tab}`));

  /* The team's accounts, with its own password and not the other team's;
   * the instructor sees both teams'. */
  await trainee.click(T('tab-nodes'));
  const accounts = await trainee.textContent(T('accounts-panel'));
  assert.match(accounts, /aiko/);
  assert.match(accounts, /Team1-Start!/);
  assert.doesNotMatch(await trainee.content(), /Team2-Start!/);
  await instructor.click(T('tab-nodes'));
  const all = await instructor.textContent(T('accounts-panel'));
  assert.match(all, /Team1-Start!/);
  assert.match(all, /Team2-Start!/);

  /* A terminal as the serial consoles make one (xterm.js with its
   * stylesheet), written to in 24-bit colour. */
  const shown = await trainee.evaluate(async () => {
    const css = document.createElement('link');
    css.rel = 'stylesheet';
    css.href = '/vendor/xterm/xterm.css';
    document.head.append(css);
    const { Terminal } = await import('/vendor/xterm/xterm.js');
    const box = document.createElement('div');
    document.body.append(box);
    const term = new Terminal({ cols: 40, rows: 4 });
    term.open(box);
    await new Promise((resolve) => term.write('\x1b[38;2;200;30;30mred\x1b[0m plain\r\n', resolve));
    await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
    return box.querySelector('.xterm-rows').textContent;
  });
  assert.match(shown, /red plain/);

  assert.deepEqual(await violations(instructor), [], 'violations on the instructor console');
  assert.deepEqual(await violations(trainee), [], 'violations on the trainee console');
  assert.deepEqual(context.reports, []);
  await context.close();
});

test('the policy is enforced: an inline script is refused and reported, framing is refused', { timeout: STEP_MS }, async () => {
  const context = await newContext();
  const page = await context.newPage();
  await page.goto(`${fixture.url}/index.html`);
  const ran = await page.evaluate(async () => {
    const s = document.createElement('script');
    s.textContent = 'window.__inline = true;';
    document.body.append(s);
    await new Promise((resolve) => setTimeout(resolve, 100));
    return window.__inline === true;
  });
  assert.equal(ran, false, 'an inline script ran');
  assert.equal((await violations(page)).length, 1);
  assert.match((await violations(page))[0], /^script-src-elem inline/);

  /* An outside page framing the console: the frame stays empty. */
  const outside = await context.newPage();
  await outside.goto(`${pages.foreign.origin}/`);
  await outside.evaluate((src) => {
    const f = document.createElement('iframe');
    f.src = src;
    document.body.append(f);
    return new Promise((resolve) => f.addEventListener('load', resolve));
  }, `${fixture.url}/index.html`);
  const frame = outside.frames().find((f) => f.url().startsWith(fixture.url));
  const joinForm = frame ? await frame.$(T('join-submit')).catch(() => null) : null;
  assert.equal(joinForm, null, 'the console rendered inside another origin\'s frame');
  await context.close();
});

test('a session that joined outlives the login deadline; one that did not is closed at it', { timeout: STEP_MS }, async () => {
  const url = `${fixture.url.replace(/^http/, 'ws')}/ws`;
  const joined = await ProtocolClient.connect(url);
  const idle = await ProtocolClient.connect(url);
  const welcome = await joined.request('hello', { version: 1, role: 'team', code: fixture.codes[2], name: 'Ben', since: 0 });
  assert.equal(welcome.type, 'welcome', JSON.stringify(welcome));
  await idle.waitFor(() => idle.closed, 'the login deadline to close the idle session', 20000);
  assert.deepEqual(idle.closed, { code: 1008, reason: 'log in within 10 s' });
  /* the joined one connected first, so its deadline has passed too; it is still served */
  assert.equal(joined.closed, null);
  const reply = await joined.request('timeline');
  assert.notEqual(reply.type, 'closed', JSON.stringify(reply));
  assert.notEqual(reply.type, 'error', JSON.stringify(reply));
  joined.close();
});
