/*
 * A guest's screen in noVNC (Debian's chromium), through Enshu and, as the
 * baseline, through Debian's websockify straight to a guest's display:
 * - keystroke-to-screen latency: a key sent by noVNC (alternately "a" and
 *   BackSpace at the workstation's login prompt) until noVNC's canvas shows
 *   the guest's echo, median and p99;
 * - a full-screen update: the guest writes noise to its whole framebuffer
 *   (/dev/fb0: no encoding compresses it), and noVNC takes the screen's
 *   bytes as its own update requests bring them; bytes and bytes per second
 *   from the first large message of the change until 99% of what came in
 *   CHANGE_MS had come (the cursor's blink goes on sending a few bytes, so
 *   the end is not "when it goes quiet").
 * Prints figures only (no assertion on time: the machine is shared).
 *
 * The Enshu side is `enshu run` of tests/browser/consoles.yaml (one team)
 * and the trainee console; the baseline is a guest of the same image
 * started in libvirt's namespace with its VNC on a unix socket (never a
 * TCP port), websockify on 127.0.0.1 in front of it, and the same noVNC in
 * a page of its own. Commands in the guests go through their agents
 * (`enshu exec`, and guest-exec through virsh for the baseline).
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
const CHANGES = 7;
const CHANGE_MS = 8000;
/* A message at least this large starts a change (not a cursor's blink). */
const CHANGE_START_BYTES = 4096;
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
    <channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0'/></channel>
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

/* Runs sh command cmd in the baseline guest through its agent; its stdout. */
async function baseRun(cmd) {
  const exec = JSON.stringify({ execute: 'guest-exec', arguments: { path: '/bin/sh', arg: ['-c', cmd], 'capture-output': true } });
  const until = Date.now() + 120000;
  let pid;
  while (pid === undefined) {
    const r = spawnSync(VIRSH[0], [...VIRSH.slice(1), 'qemu-agent-command', BASE, exec, '--timeout', '5'], { encoding: 'utf8' });
    if (r.status === 0) pid = JSON.parse(r.stdout).return.pid;
    else if (Date.now() > until) throw new Error(`the baseline guest's agent does not answer: ${r.stderr}`);
    else await sleep(1000);
  }
  const status = JSON.stringify({ execute: 'guest-exec-status', arguments: { pid } });
  for (;;) {
    const r = JSON.parse(virsh('qemu-agent-command', BASE, status)).return;
    if (r.exited) {
      if (r.exitcode !== 0) throw new Error(`'${cmd}' in the baseline guest: exit ${r.exitcode}`);
      return Buffer.from(r['out-data'] || '', 'base64').toString();
    }
    await sleep(200);
  }
}

/* Runs sh command cmd in the range's workstation (enshu exec); its stdout. */
function enshuRun(cmd) {
  const r = spawnSync(process.env.ENSHU, ['exec', '--name', 'benchvnc', '1', 'ws', cmd], { env: range.env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`enshu exec '${cmd}': ${r.stderr}`);
  return r.stdout;
}

/* Full-screen changes made by the guest (run: runs a command in it), as
 * the page's window.bench.trace records the screen's messages. */
async function screenChanges(page, run, changes) {
  const fb = '/sys/class/graphics/fb0';
  const [w, h, bpp] = (await run(`cat ${fb}/virtual_size ${fb}/bits_per_pixel`)).split(/[\s,]+/).map(Number);
  const size = (w * h * bpp) / 8;
  const out = [];
  for (let c = 0; c < changes; c++) {
    await run(`head -c ${size} /dev/urandom > /tmp/noise`); /* new noise: the same would change nothing */
    await sleep(1000);
    await page.evaluate(() => {
      window.bench.trace = [];
    });
    await run('cat /tmp/noise > /dev/fb0');
    await sleep(CHANGE_MS);
    const trace = await page.evaluate(() => {
      const t = window.bench.trace;
      window.bench.trace = null;
      return t;
    });
    const start = trace.findIndex(([, n]) => n >= CHANGE_START_BYTES);
    if (start < 0) throw new Error('the guest\'s screen did not change');
    const after = trace.slice(start);
    const total = after.reduce((a, [, n]) => a + n, 0);
    let bytes = 0, end = after[0][0];
    for (const [t, n] of after) {
      bytes += n;
      end = t;
      if (bytes >= 0.99 * total) break;
    }
    out.push({ bytes, ms: Math.max(end - after[0][0], 1) });
  }
  return { size: [w, h, bpp], fbBytes: size, changes: out };
}

function reportChanges(name, r) {
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const mib = (x) => (x / 1048576).toFixed(2);
  const rates = r.changes.map((c) => (c.bytes / c.ms) * 1000);
  console.log(
    `${name}: full-screen update (${r.size[0]}x${r.size[1]}, ${r.size[2]} bpp, ${mib(r.fbBytes)} MiB of noise): ` +
      `${mib(median(r.changes.map((c) => c.bytes)))} MiB in ${median(r.changes.map((c) => c.ms)).toFixed(0)} ms, ` +
      `${mib(median(rates))} MiB/s (median of ${r.changes.length}: ${rates.map(mib).join(', ')} MiB/s)`
  );
}

function stats(ms) {
  const s = [...ms].sort((a, b) => a - b);
  const at = (q) => s[Math.min(s.length - 1, Math.floor(q * s.length))];
  return `median ${at(0.5).toFixed(1)} ms, p99 ${at(0.99).toFixed(1)} ms (${s.length} keys)`;
}

/* In the page: keys through noVNC until the canvas changes.
 * window.bench = {rfb} is set up by the caller. */
async function measure(page, keys) {
  return page.evaluate(
    async ({ keys }) => {
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
      return { latencies };
    },
    { keys }
  );
}

function report(name, r) {
  console.log(`${name}: keystroke to screen ${stats(r.latencies)}`);
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
    window.bench = { rfb: d.rfb, trace: null };
    window.enshu.conn.onBinary((f) => {
      if (f[0] === d.channel && window.bench.trace) window.bench.trace.push([performance.now(), f.length - 1]);
    });
  });
  report('enshu', await measure(page, KEYS));
  reportChanges('enshu', await screenChanges(page, async (cmd) => enshuRun(cmd), CHANGES));

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
    window.bench = { rfb, trace: null };
    await new Promise((r) => rfb.addEventListener('connect', r));
    rfb._sock._websocket.addEventListener('message', (e) => {
      if (window.bench.trace) window.bench.trace.push([performance.now(), e.data.byteLength]);
    });
  }, `ws://127.0.0.1:${port}/`);
  report('websockify', await measure(base, KEYS));
  reportChanges('websockify', await screenChanges(base, baseRun, CHANGES));
} finally {
  if (browser) await browser.close();
  if (websockify) websockify.kill();
  if (http) http.close();
  spawnSync(VIRSH[0], [...VIRSH.slice(1), 'destroy', BASE], { stdio: 'ignore' });
  await stopRange(range);
  rmSync(dir, { recursive: true, force: true });
}
