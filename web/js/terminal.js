/*
 * A guest's serial console in the page: an xterm.js terminal fed by the
 * binary frames of one console channel (first byte: the channel, the rest:
 * what the guest wrote), typing sent as `console.input`.
 *
 * Flow control as ttyd does it: xterm.js parses writes asynchronously and
 * calls back when a write is done. The bytes handed to it and not yet done
 * are the backlog; above HIGH_WATER the console sends `console.pause` (the
 * server holds the guest's output for this client, up to a bound: see
 * PROTOCOL.md), and once the backlog has fallen below LOW_WATER,
 * `console.resume`.
 *
 * After a reconnect the old channel is gone: a console that was open asks
 * for its node's console again; so it does, with backoff, after the guest's
 * console ended (a restart, a power inject). xterm.js is loaded on the first console
 * opened, from the copy scripts/setup puts under vendor/.
 */

import { t } from './i18n.js';

export const HIGH_WATER = 256 * 1024;
export const LOW_WATER = 64 * 1024;
const INPUT_CHUNK = 4096; /* characters per console.input message */
const INPUT_DELAY_MS = 10; /* keystrokes within this are sent together */
const REATTACH_FIRST_MS = 5000;
const REATTACH_MAX_MS = 60000;

let xterm = null;
function loadXterm() {
  if (!xterm) {
    const css = document.createElement('link');
    css.rel = 'stylesheet';
    css.href = new URL('../vendor/xterm/xterm.css', import.meta.url).href;
    document.head.append(css);
    xterm = Promise.all([import('../vendor/xterm/xterm.js'), import('../vendor/xterm/addon-fit.js')]).then(
      ([{ Terminal }, { FitAddon }]) => ({ Terminal, FitAddon })
    );
  }
  return xterm;
}

/* Every open console of the page, by "team/node", for the page's tests. */
export const openConsoles = new Map();

export class SerialConsole {
  /* conn: the Connection; host: the element the terminal fills;
   * node, team: whose console (team is only sent by instructors). */
  constructor(conn, host, { node, team = null }) {
    this.conn = conn;
    this.host = host;
    this.node = node;
    this.team = team;
    this.key = `${team ?? ''}/${node}`;
    this.channel = null;
    this.attaches = 0; /* how many times the channel was opened */
    this.wanted = false;
    this.backlog = 0;
    this.paused = false;
    this.input = '';
    this.inputTimer = null;
    this.term = null;
    this.unsubscribe = [];
  }

  async open() {
    if (this.wanted) return;
    this.wanted = true;
    const { Terminal, FitAddon } = await loadXterm();
    if (!this.wanted) return;
    this.term = new Terminal({
      convertEol: false,
      cursorBlink: true,
      scrollback: 5000,
      fontSize: 14,
      screenReaderMode: false
    });
    this.fit = new FitAddon();
    this.term.loadAddon(this.fit);
    this.term.open(this.host);
    this.host.setAttribute('aria-label', t('console.label', { node: this.node }));
    this.resizeObserver = new ResizeObserver(() => {
      try {
        this.fit.fit();
      } catch {
        /* hidden: no size to fit */
      }
    });
    this.resizeObserver.observe(this.host);
    this.term.onData((data) => this.type(data));
    this.unsubscribe.push(
      this.conn.onBinary((frame) => {
        if (this.channel !== null && frame[0] === this.channel) this.output(frame.subarray(1));
      }),
      this.conn.on('console.closed', (msg) => {
        if (msg.channel !== this.channel) return;
        this.channel = null;
        this.note(t('console.closed', { reason: msg.reason || '' }));
        /* Free the channel, then try again: a guest that was restarted or
         * powered on again gets its console back without a click. */
        this.conn.request('console.close', { channel: msg.channel }).catch(() => {});
        this.scheduleReattach();
      }),
      this.conn.on('welcome', () => {
        /* A new connection: the old channel is gone, ask again. */
        if (!this.wanted) return;
        this.channel = null;
        this.note(t('console.reopening'));
        this.attach();
      })
    );
    openConsoles.set(this.key, this);
    this.term.focus();
    await this.attach();
  }

  async attach() {
    if (this.attaching || this.channel !== null) return;
    this.attaching = true;
    try {
      await this.attachOnce();
    } finally {
      this.attaching = false;
    }
  }

  async attachOnce() {
    const fields = { node: this.node };
    if (this.team != null) fields.team = this.team;
    try {
      const reply = await this.conn.request('console.open', fields);
      if (!this.wanted) {
        this.conn.send('console.close', { channel: reply.channel });
        return;
      }
      this.channel = reply.channel;
      this.attaches++;
      this.reattachDelay = 0;
      this.backlog = 0;
      this.paused = false;
      this.note(t('console.connected', { node: this.node }));
      this.host.dataset.channel = String(reply.channel);
    } catch (err) {
      if (err.code !== 'disconnected') this.note(t('console.closed', { reason: err.message }));
      /* disconnected: the next welcome asks again; a guest whose console
       * could not be opened (down, restarting) or too many opens: later */
      if (err.code === 'unavailable' || err.code === 'rate_limited') this.scheduleReattach();
    }
  }

  /* After the guest's console ended: again in 5 s, then 10, 20... 60 s. */
  scheduleReattach() {
    if (!this.wanted || this.reattachTimer) return;
    this.reattachDelay = Math.min(this.reattachDelay ? this.reattachDelay * 2 : REATTACH_FIRST_MS, REATTACH_MAX_MS);
    this.reattachTimer = setTimeout(() => {
      this.reattachTimer = null;
      if (this.wanted && this.channel === null) {
        this.note(t('console.reopening'));
        this.attach();
      }
    }, this.reattachDelay);
  }

  /* A line of our own in the terminal, dimmed, not from the guest. */
  note(text) {
    if (this.term) this.term.write(`\r\n\x1b[2m[${text}]\x1b[0m\r\n`);
  }

  output(bytes) {
    this.backlog += bytes.length;
    this.term.write(bytes, () => {
      this.backlog -= bytes.length;
      if (this.paused && this.backlog < LOW_WATER && this.channel !== null) {
        this.paused = false;
        this.conn.send('console.resume', { channel: this.channel });
      }
    });
    if (!this.paused && this.backlog > HIGH_WATER) {
      this.paused = true;
      this.conn.send('console.pause', { channel: this.channel });
    }
  }

  type(data) {
    if (this.channel === null) return;
    this.input += data;
    if (!this.inputTimer) this.inputTimer = setTimeout(() => this.flushInput(), INPUT_DELAY_MS);
  }

  flushInput() {
    this.inputTimer = null;
    while (this.input && this.channel !== null) {
      /* Cut between UTF-16 units that are not half of a surrogate pair. */
      let n = Math.min(INPUT_CHUNK, this.input.length);
      const last = this.input.charCodeAt(n - 1);
      if (n < this.input.length && last >= 0xd800 && last <= 0xdbff) n--;
      this.conn.send('console.input', { channel: this.channel, data: this.input.slice(0, n) });
      this.input = this.input.slice(n);
    }
    this.input = '';
  }

  /* The terminal's whole buffer as text, line by line. */
  text() {
    if (!this.term) return '';
    const buf = this.term.buffer.active;
    const lines = [];
    for (let i = 0; i < buf.length; i++) lines.push(buf.getLine(i).translateToString(true));
    return lines.join('\n');
  }

  close() {
    this.wanted = false;
    if (this.channel !== null) this.conn.request('console.close', { channel: this.channel }).catch(() => {});
    this.channel = null;
    for (const off of this.unsubscribe) off();
    this.unsubscribe = [];
    if (this.resizeObserver) this.resizeObserver.disconnect();
    clearTimeout(this.inputTimer);
    clearTimeout(this.reattachTimer);
    this.reattachTimer = null;
    if (this.term) this.term.dispose();
    this.term = null;
    openConsoles.delete(this.key);
    this.host.replaceChildren();
  }
}
