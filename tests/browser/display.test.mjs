/*
 * Graphical consoles (screens) in Debian's chromium against `enshu run` on
 * real guests (two teams, one workstation each, whose screen shows a login
 * prompt): a trainee opens the workstation's screen in noVNC and sees what
 * the guest itself shows (its own screendump, `virsh screenshot`); keys
 * typed in noVNC reach the guest (its screen's text, read through the guest
 * agent from /dev/vcs1); a Japanese keyboard's keys leave the page as the
 * keys they are; another team is refused; an instructor watching cannot
 * type, even with the page's own guard removed, and can after taking
 * control; text pasted in noVNC's clipboard reaches the guest's display,
 * which offers it to the other viewer (the guests run no clipboard agent,
 * so it goes no further); Ctrl-Alt-Del from the toolbar reboots the guest
 * (its init's ctrlaltdel action). The steps share the pages: each builds
 * on the one before.
 */

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  HERE,
  PASSWORD,
  ProtocolClient,
  enshuBinary,
  requirePlatform,
  startRange,
  stopRange,
  launchBrowser,
  newContext,
  snap,
  sleep
} from './lib.mjs';

const STEP_MS = 5 * 60 * 1000;
const GUEST_MS = 120000;
const NAME = 'brwvnc';

let range;
let browser;
let trainee;
let instructor;
let shotDir;

const T = (name) => `[data-test="${name}"]`;
const SCREEN = `${T('display')}[data-node="ws"]`;

before(async () => {
  requirePlatform();
  shotDir = mkdtempSync(join(tmpdir(), 'enshu-display-'));
  range = await startRange({ name: NAME, scenario: join(HERE, 'consoles.yaml'), teams: 2 });
  browser = await launchBrowser();
});

after(async () => {
  if (trainee) await snap(trainee, 'display-trainee-last').catch(() => {});
  if (instructor) await snap(instructor, 'display-instructor-last').catch(() => {});
  if (browser) await browser.close();
  await stopRange(range);
  if (shotDir) rmSync(shotDir, { recursive: true, force: true });
});

/* The text on the guest's screen (tty1), read by the guest itself. */
function screenText(team = 1) {
  const r = spawnSync(enshuBinary(), ['exec', '--name', NAME, String(team), 'ws', 'cat /dev/vcs1'], {
    env: range.env,
    encoding: 'utf8'
  });
  assert.equal(r.status, 0, `enshu exec failed: ${r.stderr}`);
  return r.stdout.replace(/\s+/g, ' ');
}

async function waitForScreenText(pred, what, timeoutMs = GUEST_MS) {
  const until = Date.now() + timeoutMs;
  let text = '';
  while (Date.now() < until) {
    text = screenText();
    if (pred(text)) return text;
    await sleep(1000);
  }
  assert.fail(`the guest's screen never showed ${what}; it shows: ${text}`);
}

/* The guest's own screendump, as a PNG's bytes. */
function screendump(team = 1) {
  const file = join(shotDir, `dump-${Date.now()}.png`);
  const r = spawnSync('virsh', ['-c', 'qemu:///system', 'screenshot', `enshu-${NAME}-t0${team}-ws`, file], {
    encoding: 'utf8'
  });
  assert.equal(r.status, 0, `virsh screenshot failed: ${r.stderr}`);
  return readFileSync(file);
}

/* Compares noVNC's canvas with the screendump, pixel by pixel, in the page. */
async function compareWithScreendump(page, host, png) {
  return page.evaluate(
    async ({ host, data }) => {
      const canvas = document.querySelector(`${host} canvas`);
      const img = new Image();
      img.src = `data:image/png;base64,${data}`;
      await img.decode();
      const off = document.createElement('canvas');
      off.width = img.naturalWidth;
      off.height = img.naturalHeight;
      const ctx = off.getContext('2d');
      ctx.drawImage(img, 0, 0);
      const want = ctx.getImageData(0, 0, off.width, off.height).data;
      const got = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
      let differ = 0;
      let lit = 0;
      for (let i = 0; i < want.length; i += 4) {
        const d = Math.abs(want[i] - got[i]) + Math.abs(want[i + 1] - got[i + 1]) + Math.abs(want[i + 2] - got[i + 2]);
        if (d > 24) differ++;
        if (want[i] + want[i + 1] + want[i + 2] > 200) lit++;
      }
      return {
        dump: [off.width, off.height],
        canvas: [canvas.width, canvas.height],
        differ,
        lit,
        pixels: want.length / 4
      };
    },
    { host, data: png.toString('base64') }
  );
}

async function joinAs(context, { code, name, password }) {
  const page = await context.newPage();
  /* noVNC reports what goes wrong on the console: shown with the test's output. */
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') console.error(`page: ${m.text()}`);
  });
  page.on('pageerror', (e) => console.error(`page error: ${e.message}`));
  await page.goto(`${range.url}/`);
  if (password) {
    await page.check(T('join-role-instructor'));
    await page.fill(T('join-password'), password);
  } else {
    await page.fill(T('join-code'), code);
    await page.fill(T('join-name'), name);
  }
  await page.click(T('join-submit'));
  await page.waitForURL(password ? /instructor\.html/ : /trainee\.html/);
  await page.waitForSelector(`${T('connection-state')}[data-state="open"]`);
  return page;
}

test("a trainee opens the workstation's screen and sees the guest's login", { timeout: STEP_MS }, async () => {
  await waitForScreenText((s) => /login:/.test(s), 'a login prompt');
  trainee = await joinAs(await newContext(browser), { code: range.codes[1], name: 'Aiko' });
  const node = `${T('node')}[data-node="ws"]`;
  await trainee.click(T('tab-nodes'));
  await trainee.waitForSelector(`${node} ${T('display-open')}:not([hidden])`);
  await trainee.click(`${node} ${T('display-open')}`);
  await trainee.waitForSelector(`${SCREEN}[data-connected="true"]`, { timeout: 60000 });
  assert.equal(await trainee.getAttribute(SCREEN, 'data-view-only'), 'false');
  /* The canvas is the guest's framebuffer once the first update is drawn:
   * compare until it is (the cursor blinks: a few pixels may differ). */
  let last;
  for (let i = 0; i < 30; i++) {
    last = await compareWithScreendump(trainee, SCREEN, screendump());
    if (last.canvas.join() === last.dump.join() && last.differ <= last.pixels / 500) break;
    await sleep(1000);
  }
  await snap(trainee, 'display-trainee-login');
  assert.deepEqual(last.canvas, last.dump, 'the canvas has the size of the guest screen');
  assert.ok(last.lit > 200, `the guest screen shows text (${last.lit} lit pixels)`);
  assert.ok(last.differ <= last.pixels / 500, `noVNC shows what the guest shows (${last.differ} pixels differ)`);
});

test('keys typed in noVNC arrive in the guest', { timeout: STEP_MS }, async () => {
  await trainee.click(`${SCREEN} canvas`);
  await trainee.keyboard.type('staff', { delay: 50 });
  await waitForScreenText((s) => /login: staff/.test(s), '"login: staff"');
  /* The guest's screen and noVNC's canvas still agree. */
  let last;
  for (let i = 0; i < 30; i++) {
    last = await compareWithScreendump(trainee, SCREEN, screendump());
    if (last.differ <= last.pixels / 500) break;
    await sleep(1000);
  }
  assert.ok(last.differ <= last.pixels / 500, `noVNC shows the typed name as the guest does (${last.differ} differ)`);
});

test("a Japanese keyboard's keys leave the page as those keys", { timeout: STEP_MS }, async () => {
  /* What noVNC sends on the channel, caught on its way out. */
  await trainee.evaluate(() => {
    window.sentKeys = [];
    const conn = window.enshu.conn;
    const send = conn.sendBinary.bind(conn);
    conn.sendBinary = (channel, bytes) => {
      /* QEMU's extended key event: 255 0 down(2) keysym(4) keycode(4) */
      for (let i = 0; i + 12 <= bytes.length; i++) {
        if (bytes[i] === 255 && bytes[i + 1] === 0 && bytes.length - i === 12) {
          const v = new DataView(bytes.buffer, bytes.byteOffset + i);
          window.sentKeys.push({ down: v.getUint16(2), keysym: v.getUint32(4), keycode: v.getUint32(8) });
        }
      }
      return send(channel, bytes);
    };
  });
  const cdp = await trainee.context().newCDPSession(trainee);
  /* As Chromium reports the keys of a JIS keyboard (Japanese input off). */
  const keys = [
    { key: '¥', code: 'IntlYen', vk: 220, text: '¥', keysym: 0xa5, keycode: 0x7d },
    { key: '_', code: 'IntlRo', vk: 226, text: '_', keysym: 0x5f, keycode: 0x73 },
    { key: 'Convert', code: 'Convert', vk: 28, keysym: 0xff23, keycode: 0x79 },
    { key: 'NonConvert', code: 'NonConvert', vk: 29, keysym: 0xff22, keycode: 0x7b },
    { key: 'KanaMode', code: 'KanaMode', vk: 21, keysym: 0xff2e, keycode: 0x70 }
  ];
  for (const k of keys) {
    const base = { key: k.key, code: k.code, windowsVirtualKeyCode: k.vk, nativeVirtualKeyCode: k.vk };
    await cdp.send('Input.dispatchKeyEvent', { type: k.text ? 'keyDown' : 'rawKeyDown', ...base, text: k.text });
    await cdp.send('Input.dispatchKeyEvent', { type: 'keyUp', ...base });
  }
  await trainee.waitForFunction((n) => window.sentKeys.length >= n, keys.length * 2);
  const sent = await trainee.evaluate(() => window.sentKeys);
  for (const k of keys) {
    const down = sent.find((s) => s.down === 1 && s.keycode === k.keycode);
    assert.ok(down, `${k.code} was sent as scancode 0x${k.keycode.toString(16)}: ${JSON.stringify(sent)}`);
    assert.equal(down.keysym, k.keysym, `${k.code} was sent as keysym 0x${k.keysym.toString(16)}`);
    assert.ok(sent.some((s) => s.down === 0 && s.keycode === k.keycode), `${k.code} was released`);
  }
  await cdp.detach();
});

test("another team's trainee cannot open the screen, nor send to a screen not open", { timeout: STEP_MS }, async () => {
  const other = await ProtocolClient.connect(range.wsUrl);
  const welcome = await other.request('hello', { version: 1, role: 'team', code: range.codes[2], name: 'Ken' });
  assert.equal(welcome.type, 'welcome');
  const ws = welcome.nodes.find((n) => n.name === 'ws');
  assert.equal(ws.display, true, 'the workstation has a screen');
  const refused = await other.request('display.open', { node: 'ws', team: 1 });
  assert.equal(refused.type, 'error');
  assert.equal(refused.code, 'forbidden');
  /* A binary frame for a channel that is no open screen ends the session. */
  other.ws.send(Buffer.from([7, 1, 2, 3]));
  await other.waitFor(() => other.closed, 'the close');
  assert.equal(other.closed.code, 1003);
});

test('an instructor watching cannot type; taking control, can', { timeout: STEP_MS }, async () => {
  instructor = await joinAs(await newContext(browser), { password: PASSWORD });
  await instructor.click(T('tab-nodes'));
  const row = `${T('node-row')}[data-team="1"][data-node="ws"]`;
  await instructor.waitForSelector(`${row} ${T('display-open')}`);
  await instructor.click(`${row} ${T('display-open')}`);
  const host = `${T('display')}[data-team="1"][data-node="ws"]`;
  await instructor.waitForSelector(`${host}[data-connected="true"]`, { timeout: 60000 });
  assert.equal(await instructor.getAttribute(host, 'data-view-only'), 'true', 'instructors watch by default');
  /* Remove the page's own guard: the server must drop the keys. */
  await instructor.evaluate(() => {
    for (const d of window.enshu.displays.values()) d.rfb.viewOnly = false;
  });
  await instructor.click(`${host} canvas`);
  await instructor.keyboard.type('qqq', { delay: 50 });
  await instructor.keyboard.press('Enter');
  /* The trainee's keys after them do arrive; the watcher's never did. */
  await trainee.click(`${SCREEN} canvas`);
  await trainee.keyboard.type('zz', { delay: 50 });
  let text = await waitForScreenText((s) => /login: staff.*zz/.test(s), 'the trainee\'s "zz"');
  await sleep(2000);
  text = screenText();
  assert.doesNotMatch(text, /qqq/, "the watching instructor's keys did not reach the guest");

  await instructor.click(`${host} ${T('display-control')}`);
  await instructor.waitForSelector(`${host}[data-view-only="false"][data-connected="true"]`, { timeout: 60000 });
  await instructor.click(`${host} canvas`);
  await instructor.keyboard.type('yy', { delay: 50 });
  await waitForScreenText((s) => /login: staff.*zz.*yy/.test(s), 'the instructor\'s "yy"');
});

test("text pasted in noVNC's clipboard reaches the guest's display, which offers it to its other viewers", { timeout: STEP_MS }, async () => {
  /* Neither built-in guest runs a clipboard agent (QEMU's vdagent and
   * spice-vdagent), so the pasted text goes no further than QEMU's display
   * (its clipboard). The display offers it to every other viewer that
   * speaks the extended clipboard, as noVNC does: the instructor's page
   * (in control since the step before) shows it in its clipboard box, so
   * the text crossed the server both ways. */
  const text = `enshu clipboard ${Date.now()} 日本語`;
  const instructorClip = `${T('display')}[data-team="1"][data-node="ws"] ${T('display-clipboard')}`;
  assert.notEqual(await instructor.inputValue(instructorClip), text);
  await trainee.fill(`${SCREEN} ${T('display-clipboard')}`, text);
  await trainee.click(`${SCREEN} ${T('display-paste')}`);
  await instructor.waitForFunction(
    ({ sel, want }) => document.querySelector(sel)?.value === want,
    { sel: instructorClip, want: text },
    { timeout: 30000 }
  );
  /* The screen goes on taking keys after the paste. */
  await trainee.click(`${SCREEN} canvas`);
  await trainee.keyboard.type('cc', { delay: 50 });
  await waitForScreenText((s) => /login: staff.*yy.*cc/.test(s), 'the trainee\'s "cc" after the paste');
});

test("Ctrl-Alt-Del from noVNC's toolbar reaches the guest, whose init reboots it", { timeout: STEP_MS }, async () => {
  /* The workstation's init (BusyBox, etc/inittab) runs ::ctrlaltdel,
   * /sbin/reboot, when the kernel reports the keys: a new boot, seen in the
   * boot id the kernel draws at each boot. Last, as it reboots the guest. */
  const bootId = () => {
    const r = spawnSync(enshuBinary(), ['exec', '--name', NAME, '1', 'ws', 'cat /proc/sys/kernel/random/boot_id'], {
      env: range.env,
      encoding: 'utf8'
    });
    return r.status === 0 ? r.stdout.trim() : null;
  };
  const before = bootId();
  assert.match(before || '', /^[0-9a-f-]{36}$/, 'the guest tells its boot id');
  await trainee.click(`${SCREEN} ${T('display-cad')}`);
  await trainee.waitForSelector(T('confirm-dialog'));
  await trainee.click(T('confirm-ok'));
  const until = Date.now() + GUEST_MS;
  let now = before;
  while (Date.now() < until && (now === before || now === null)) {
    await sleep(2000);
    now = bootId();
  }
  assert.ok(now && now !== before, `the guest booted again after Ctrl-Alt-Del (boot id ${before}, then ${now})`);
  /* The screen stays open through the reboot and shows the new login. */
  await waitForScreenText((s) => /login:/.test(s), 'a login prompt after the reboot');
  assert.equal(await trainee.getAttribute(SCREEN, 'data-connected'), 'true', 'the screen stayed connected');
});
