/*
 * A guest's screen in noVNC (Debian's chromium), through Enshu and, as the
 * baseline, through Debian's websockify straight to a guest's display:
 * - keystroke-to-screen latency: a key sent by noVNC (alternately "a" and
 *   BackSpace at the workstation's login prompt) until noVNC's canvas shows
 *   the guest's echo, median and p99;
 * - a full-screen update: bytes and bytes per second from a non-incremental
 *   FramebufferUpdateRequest of the whole screen until the last byte.
 * Prints figures only (no assertion on time: the machine is shared).
 *
 * The Enshu side is `enshu run` of tests/browser/consoles.yaml (one team)
 * and the trainee console; the baseline is a guest of the same image
 * started in libvirt's namespace with its VNC on a unix socket (never a
 * TCP port), websockify on 127.0.0.1 in front of it, and the same noVNC in
 * a page of its own.
 *
 *   ENSHU=build/enshu node tests/bench/bench_display.mjs [KEYS]
 */

import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HERE as BROWSER, TOP, startRange, stopRange, launchBrowser, newContext, sleep } from '../browser/lib.mjs';

const KEYS = Number(process.argv[2] || 100);
const UPDATES = 5;
const BASE = 'enshu-benchdisplay-base';
const VIRSH = ['ip', 'netns', 'exec', 'enshu', 'virsh', '-c', 'qemu:///system'];
const imageDir = process.env.ENSHU_IMAGE_DIR || '/var/lib/enshu/images';

function virsh(...args) {
  const r = spawnSync(VIRSH[0], [...VIRSH.slice(1), ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`virsh ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/* The baseline guest: the workstation image, its VNC on a unix socket. */
function startBaseGuest(dir) {
  const xml = `<domain type='qemu'>
  <name>${BASE}</name>
  <memory unit='MiB'>128</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64'>hvm</type>
    <kernel>${imageDir}/workstation/vmlinuz</kernel>
    <initrd>${imageDir}/workstation/initrd.img</initrd>
    <cmdline>console=ttyS0 enshu.hostname=ws</cmdline>
  </os>
  <features><acpi/></features>
  <devices>
    <serial type='pty'><target port='0'/></serial>
    <graphics type='vnc'><listen type='socket'/></graphics>
    <video><model type='vga'/></video>
    <controller type='usb' model='none'/>
    <memballoon model='none'/>
  </devices>
</domain>`;
  writeFileSync(join(dir, 'base.xml'), xml);
  virsh('create', join(dir, 'base.xml'));
  const m = virsh('dumpxml', BASE).match(/<listen type='socket' socket='([^']+)'/);
  if (!m) throw new Error('the baseline guest has no VNC socket');
  return m[1];
}

function stats(ms) {
  const s = [...ms].sort((a, b) => a - b);
  const at = (q) => s[Math.min(s.length - 1, Math.floor(q * s.length))];
  return `median ${at(0.5).toFixed(1)} ms, p99 ${at(0.99).toFixed(1)} ms (${s.length} keys)`;
}

/* In the page: keys through noVNC until the canvas changes; then full
 * updates. window.bench = {rfb, bytes} is set up by the caller. */
async function measure(page, keys, updates) {
  return page.evaluate(
    async ({ keys, updates }) => {
      const { rfb } = window.bench;
      const canvas = rfb._target.querySelector('canvas');
      const rows = () => canvas.getContext('2d').getImageData(0, 0, canvas.width, 48).data;
      const same = (a, b) => a.length === b.length && a.every((v, i) => v === b[i]);
      const tick = () => new Promise((r) => setTimeout(r, 0));
      const latencies = [];
      for (let i = 0; i < keys; i++) {
        const before = rows();
        const t0 = performance.now();
        if (i % 2 === 0) rfb.sendKey(0x61, 'KeyA');
        else rfb.sendKey(0xff08, 'Backspace');
        for (;;) {
          await tick();
          if (!same(before, rows())) break;
          if (performance.now() - t0 > 10000) break;
        }
        latencies.push(performance.now() - t0);
        await new Promise((r) => setTimeout(r, 50));
      }
      const w = canvas.width, h = canvas.height;
      const full = [];
      for (let u = 0; u < updates; u++) {
        const start = window.bench.bytes;
        const t0 = performance.now();
        let last = t0, seen = start;
        rfb._sock.sQpushBytes(new Uint8Array([3, 0, 0, 0, 0, 0, w >> 8, w & 255, h >> 8, h & 255]));
        rfb._sock.flush();
        for (;;) {
          await new Promise((r) => setTimeout(r, 5));
          if (window.bench.bytes !== seen) {
            seen = window.bench.bytes;
            last = performance.now();
          } else if (performance.now() - last > 500 && seen !== start) break;
          if (performance.now() - t0 > 20000) break;
        }
        full.push({ bytes: seen - start, ms: last - t0 });
      }
      return { latencies, full, size: [w, h] };
    },
    { keys, updates }
  );
}

function report(name, r) {
  console.log(`${name}: keystroke to screen ${stats(r.latencies)}`);
  const mean = (xs) => xs.reduce((a, b) => a + b) / xs.length;
  const bytes = mean(r.full.map((f) => f.bytes));
  const ms = mean(r.full.map((f) => f.ms));
  console.log(
    `${name}: full-screen update (${r.size.join('x')}): ${Math.round(bytes)} bytes in ${ms.toFixed(1)} ms, ` +
      `${((bytes / ms) * 1000 / 1024).toFixed(1)} KiB/s (mean of ${r.full.length}; noVNC's negotiated encoding)`
  );
}

const dir = mkdtempSync(join(tmpdir(), 'enshu-bench-display-'));
let range, browser, websockify, http;
try {
  range = await startRange({ name: 'benchvnc', scenario: join(BROWSER, 'consoles.yaml'), teams: 1 });
  const sock = startBaseGuest(dir);
  browser = await launchBrowser();
  const context = await newContext(browser);

  /* Enshu: the trainee console's own screen. */
  const page = await context.newPage();
  await page.goto(`${range.url}/`);
  await page.fill('[data-test="join-code"]', range.codes[1]);
  await page.fill('[data-test="join-name"]', 'Bench');
  await page.click('[data-test="join-submit"]');
  await page.waitForURL(/trainee\.html/);
  await page.click('[data-test="tab-nodes"]');
  await page.click('[data-test="node"][data-node="ws"] [data-test="display-open"]');
  await page.waitForSelector('[data-test="display"][data-node="ws"][data-connected="true"]', { timeout: 120000 });
  await sleep(15000); /* the guest's login prompt */
  await page.evaluate(() => {
    const d = window.enshu.displays.get('/ws');
    window.bench = { rfb: d.rfb, bytes: 0 };
    window.enshu.conn.onBinary((f) => {
      if (f[0] === d.channel) window.bench.bytes += f.length - 1;
    });
  });
  report('enshu', await measure(page, KEYS, UPDATES));

  /* Baseline: websockify on loopback to the guest's unix socket. */
  const port = 20000 + Math.floor(Math.random() * 20000);
  websockify = spawn('websockify', [`--unix-target=${sock}`, `127.0.0.1:${port}`], { stdio: 'ignore' });
  const rfbJs = readFileSync(join(TOP, 'web', 'vendor', 'novnc', 'rfb.js'));
  http = createServer((req, res) => {
    if (req.url === '/rfb.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(rfbJs);
    else res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><div id="s" style="width:1200px;height:800px"></div>');
  });
  await new Promise((r) => http.listen(0, '127.0.0.1', r));
  const base = await context.newPage();
  await base.goto(`http://127.0.0.1:${http.address().port}/`);
  await sleep(1000);
  await base.evaluate(async (url) => {
    const RFB = (await import('/rfb.js')).default;
    const rfb = new RFB(document.getElementById('s'), url, { shared: true });
    rfb.scaleViewport = true;
    window.bench = { rfb, bytes: 0 };
    await new Promise((r) => rfb.addEventListener('connect', r));
    rfb._sock._websocket.addEventListener('message', (e) => {
      window.bench.bytes += e.data.byteLength;
    });
  }, `ws://127.0.0.1:${port}/`);
  report('websockify', await measure(base, KEYS, UPDATES));
} finally {
  if (browser) await browser.close();
  if (websockify) websockify.kill();
  if (http) http.close();
  spawnSync(VIRSH[0], [...VIRSH.slice(1), 'destroy', BASE], { stdio: 'ignore' });
  await stopRange(range);
  rmSync(dir, { recursive: true, force: true });
}
