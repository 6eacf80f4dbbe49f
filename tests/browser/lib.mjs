/*
 * Shared by the browser tests: brings a real range up with `enshu run
 * --listen 127.0.0.1:0 --wait` in a private ENSHU_STATE_DIR (instructor
 * password set with `enshu passwd`), reads the console address and join
 * codes it prints, launches Debian's chromium headless with every request
 * outside 127.0.0.1 refused, speaks the console protocol over a plain
 * websocket, and at the end brings the range down and checks that nothing
 * of it is left (as tests/e2e/lib.sh does).
 */

import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import WebSocket from 'ws';

export const HERE = dirname(fileURLToPath(import.meta.url));
export const TOP = join(HERE, '..', '..');
export const PASSWORD = 'correct horse battery staple';
const CHROMIUM = '/usr/bin/chromium';
const UP_TIMEOUT_MS = 8 * 60 * 1000;

export function enshuBinary() {
  const bin = process.env.ENSHU;
  assert.ok(bin, 'set ENSHU to the enshu binary');
  return bin;
}

/* What the tests need that scripts/setup provides, with how to get it. */
export function requirePlatform() {
  const virsh = spawnSync('virsh', ['-c', 'qemu:///system', 'version'], { encoding: 'utf8' });
  assert.equal(virsh.status, 0, 'libvirtd does not answer on qemu:///system; run scripts/setup first');
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing; run scripts/setup (Debian package chromium)`);
  assert.ok(
    existsSync(join(TOP, 'web', 'vendor', 'xterm', 'xterm.js')),
    'web/vendor/xterm is missing; run scripts/setup (npm ci in web/)'
  );
}

/* Sleeps ms milliseconds (only for polling, never as a check). */
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/*
 * Brings the range up and the consoles with it. Resolves with
 * {url, wsUrl, codes: {1: 'XXXX-XXXX', ...}, name, env, output()}.
 */
export async function startRange({ name, scenario, teams, args = [] }) {
  const enshu = enshuBinary();
  const stateDir = mkdtempSync(join(tmpdir(), 'enshu-browser-'));
  const env = { ...process.env, ENSHU_STATE_DIR: stateDir };
  const pw = spawnSync(enshu, ['passwd'], { input: `${PASSWORD}\n`, env, encoding: 'utf8' });
  assert.equal(pw.status, 0, `enshu passwd failed: ${pw.stderr}`);

  const child = spawn(
    enshu,
    ['run', scenario, '--teams', String(teams), '--name', name, '--listen', '127.0.0.1:0', '--wait', ...args],
    { env, stdio: ['ignore', 'pipe', 'pipe'] }
  );
  let out = '';
  let err = '';
  const range = { name, env, stateDir, child, codes: {}, url: null, exited: null };
  range.output = () => `--- stdout ---\n${out}\n--- stderr ---\n${err}`;
  range.exit = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      range.exited = { code, signal };
      resolve(range.exited);
    });
  });
  child.stderr.on('data', (d) => {
    err += d;
  });
  try {
    await servingConsoles(range, teams, () => out, (d) => {
      out += d;
    });
  } catch (e) {
    /* Whatever came up goes down again before the failure is reported. */
    await stopRange(range).catch((down) => console.error(`bringing ${name} down failed too: ${down.message}`));
    throw e;
  }
  range.wsUrl = `${range.url.replace(/^http/, 'ws')}/ws`;
  return range;
}

/* Resolves once enshu run printed the console address and every join code. */
function servingConsoles(range, teams, output, append) {
  const { child } = range;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`enshu run did not serve the consoles in time\n${range.output()}`)), UP_TIMEOUT_MS);
    const check = () => {
      const url = output().match(/^console: (http:\/\/127\.0\.0\.1:\d+)\/$/m);
      if (url) range.url = url[1];
      for (const m of output().matchAll(/^team (\d+) join code: (\S+)$/gm)) range.codes[m[1]] = m[2];
      if (range.url && Object.keys(range.codes).length === teams) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on('data', (d) => {
      append(d);
      check();
    });
    range.exit.then(() => {
      clearTimeout(timer);
      reject(new Error(`enshu run exited early (${JSON.stringify(range.exited)})\n${range.output()}`));
    });
  });
}

function lines(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return (r.stdout || '').split('\n').filter(Boolean);
}

/* Stops enshu run (Ctrl-C pauses and exits), brings the range down and
 * checks that no domain, network, volume, process or state of it remains. */
export async function stopRange(range) {
  if (!range) return;
  if (!range.exited) {
    range.child.kill('SIGINT');
    const timeout = sleep(60000).then(() => 'timeout');
    if ((await Promise.race([range.exit, timeout])) === 'timeout') {
      range.child.kill('SIGKILL');
      await range.exit;
    }
  }
  const down = spawnSync(enshuBinary(), ['down', '--name', range.name], { env: range.env, encoding: 'utf8' });
  assert.equal(down.status, 0, `enshu down failed: ${down.stderr}`);
  assertRangeGone(range);
  rmSync(range.stateDir, { recursive: true, force: true });
}

export function assertRangeGone(range) {
  const prefix = `enshu-${range.name}-`;
  const doms = lines('virsh', ['-c', 'qemu:///system', 'list', '--all', '--name']).filter((l) => l.startsWith(prefix));
  const nets = lines('virsh', ['-c', 'qemu:///system', 'net-list', '--all', '--name']).filter((l) => l.startsWith(prefix));
  const vols = lines('virsh', ['-c', 'qemu:///system', 'vol-list', 'enshu']).filter((l) => l.includes(prefix));
  const procs = lines('pgrep', ['-fa', prefix]).filter((l) => !l.includes('pgrep'));
  assert.deepEqual(doms, [], `domains of range ${range.name} remain`);
  assert.deepEqual(nets, [], `networks of range ${range.name} remain`);
  assert.deepEqual(vols, [], `overlay volumes of range ${range.name} remain`);
  assert.deepEqual(procs, [], `processes of range ${range.name} remain`);
  assert.ok(!existsSync(join(range.stateDir, 'ranges', `${range.name}.db`)), `state of range ${range.name} remains`);
}

/* ---- the browser ---- */

export async function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless=new',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-background-networking',
      '--no-first-run'
    ]
  });
}

/* A browser context whose pages may reach 127.0.0.1 only; page errors are
 * collected in context.pageErrors so a test can assert there were none. */
export async function newContext(browser, options = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true, ...options });
  await context.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (url.hostname === '127.0.0.1' || url.protocol === 'data:' || url.protocol === 'blob:') return route.continue();
    return route.abort('blockedbyclient');
  });
  context.pageErrors = [];
  context.on('page', (page) => {
    page.on('pageerror', (e) => context.pageErrors.push(e.message));
  });
  return context;
}

/* A screenshot into $ENSHU_BROWSER_SHOTS, when set (for looking at a run). */
export async function snap(page, name) {
  const dir = process.env.ENSHU_BROWSER_SHOTS;
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: join(dir, `${name}.png`), fullPage: true });
}

/* ---- the protocol over a plain websocket ---- */

export class ProtocolClient {
  constructor(ws) {
    this.ws = ws;
    this.nextId = 1;
    this.pending = new Map();
    this.messages = []; /* every message that is not a reply, in order */
    this.binary = [];
    this.waiters = [];
    this.closed = null;
    ws.on('message', (data, isBinary) => {
      if (isBinary) {
        this.binary.push(Buffer.from(data));
        this.poke();
        return;
      }
      const msg = JSON.parse(data.toString());
      if (msg.id != null && this.pending.has(msg.id)) {
        const resolve = this.pending.get(msg.id);
        this.pending.delete(msg.id);
        resolve(msg);
      } else {
        this.messages.push(msg);
      }
      this.poke();
    });
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      for (const [, resolve] of this.pending) resolve({ type: 'closed', ...this.closed });
      this.pending.clear();
      this.poke();
    });
  }

  static connect(url) {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, 'enshu.v1');
      ws.once('open', () => resolve(new ProtocolClient(ws)));
      ws.once('error', reject);
    });
  }

  /* Sends {type, ...fields, id} and resolves with the reply to that id. */
  request(type, fields = {}) {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.ws.send(JSON.stringify({ ...fields, type, id }));
    });
  }

  send(obj) {
    this.ws.send(JSON.stringify(obj));
  }

  poke() {
    for (const w of this.waiters.slice()) {
      const found = w.pred();
      if (found) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(found);
      }
    }
  }

  /* Resolves with pred()'s first truthy value, re-checked on every message. */
  waitFor(pred, what, timeoutMs = 30000) {
    const found = pred();
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const w = { pred, resolve };
      this.waiters.push(w);
      setTimeout(() => {
        const i = this.waiters.indexOf(w);
        if (i >= 0) {
          this.waiters.splice(i, 1);
          reject(new Error(`timed out waiting for ${what}`));
        }
      }, timeoutMs);
    });
  }

  /* The guest's console output on channel so far, as text. */
  consoleText(channel) {
    return Buffer.concat(this.binary.filter((b) => b[0] === channel).map((b) => b.subarray(1))).toString('utf8');
  }

  close() {
    this.ws.close();
  }
}

/* ---- accessibility ---- */

const AXE = join(HERE, 'node_modules', 'axe-core', 'axe.min.js');

/* The WCAG 2.1 A and AA problems axe-core finds on what the page shows
 * now, as "rule: target" lines. The terminal emulator's own markup is left
 * out (it is xterm.js's, not ours). */
export async function accessibilityProblems(page) {
  /* Evaluated through the debugging protocol, which the consoles' CSP
   * (script-src 'self') does not govern, as an inline script tag would be. */
  if (!(await page.evaluate(() => Boolean(window.axe)))) await page.evaluate(readFileSync(AXE, 'utf8'));
  const violations = await page.evaluate(async () => {
    const result = await window.axe.run(
      { exclude: [['.xterm']] },
      { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } }
    );
    return result.violations.map((v) => ({ id: v.id, targets: v.nodes.map((n) => n.target.join(' ')) }));
  });
  return violations.flatMap((v) => v.targets.map((target) => `${v.id}: ${target}`));
}
