/*
 * A guest's screen (graphical console) in the page: noVNC's RFB client,
 * talking over one display channel of the consoles' websocket instead of a
 * websocket of its own. The channel (ChannelSocket) looks like a WebSocket
 * to noVNC: what noVNC sends goes out as binary frames whose first byte is
 * the channel, and the binary frames of the channel come in as its
 * messages (PROTOCOL.md, "Graphical consoles").
 *
 * The panel offers Ctrl-Alt-Del, the clipboard both ways, fitting the
 * screen to the panel (noVNC's scaleViewport) or asking the guest for the
 * panel's size (resizeSession), and, for instructors, watching (view-only,
 * the default) or taking control. View-only is also enforced by the server,
 * which does not forward a watching viewer's input; the page only keeps
 * noVNC from sending it.
 *
 * Keyboard: noVNC sends each key as the keysym of KeyboardEvent.key and,
 * since the guest's display (QEMU) supports it, the key's scancode from
 * KeyboardEvent.code (QEMU's extended key event), which QEMU passes to the
 * guest as the key pressed. So a JIS keyboard works as it does on the
 * machine itself: ¥ (IntlYen), the Ro key (IntlRo: \ and _), Henkan
 * (Convert), Muhenkan (NonConvert) and Hiragana/Katakana (KanaMode) reach
 * the guest as those keys, and the guest's own keyboard layout (jp106 on a
 * Japanese desktop) gives their characters.
 *
 * noVNC is loaded on the first screen opened, from the copy scripts/setup
 * puts under vendor/ (scripts/vendor-novnc.mjs).
 */

import { t } from './i18n.js';
import { el, confirmDialog } from './ui.js';

const CLIPBOARD_MAX = 16 * 1024; /* characters sent at once: far below the 64 KiB frame bound */
const REATTACH_FIRST_MS = 5000;
const REATTACH_MAX_MS = 60000;

let novnc = null;
function loadNoVNC() {
  if (!novnc) novnc = import('../vendor/novnc/rfb.js').then((m) => m.default);
  return novnc;
}

/* Every open screen of the page, by "team/node", for the page's tests. */
export const openDisplays = new Map();

/* One display channel as noVNC's "raw channel" (a WebSocket look-alike). */
export class ChannelSocket {
  constructor(conn, channel) {
    this.conn = conn;
    this.channel = channel;
    /* The properties noVNC looks for on the object itself. */
    this.binaryType = 'arraybuffer';
    this.protocol = '';
    this.readyState = 'open';
    this.onopen = null;
    this.onmessage = null;
    this.onclose = null;
    this.onerror = null;
  }

  /* noVNC reuses its buffer: the connection copies the bytes. */
  send(data) {
    if (this.readyState !== 'open') return;
    const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
    this.conn.sendBinary(this.channel, bytes);
  }

  close() {
    if (this.readyState === 'closed') return;
    this.readyState = 'closed';
    this.conn.request('display.close', { channel: this.channel }).catch(() => {});
    if (this.onclose) this.onclose({ code: 1000, reason: '', wasClean: true });
  }

  /* Bytes of the guest's display. */
  deliver(bytes) {
    if (this.readyState === 'open' && this.onmessage) this.onmessage({ data: bytes.slice().buffer });
  }

  /* The server closed the channel (display.closed), or the connection went. */
  ended(reason) {
    if (this.readyState === 'closed') return;
    this.readyState = 'closed';
    if (this.onclose) this.onclose({ code: 1000, reason, wasClean: true });
  }
}

export class GuestDisplay {
  /* conn: the Connection; host: the element the panel fills; node, team:
   * whose screen (team only sent by instructors); watch: start view-only
   * (instructors), with a control to take part. */
  constructor(conn, host, { node, team = null, watch = false }) {
    this.conn = conn;
    this.host = host;
    this.node = node;
    this.team = team;
    this.canWatch = watch;
    this.viewOnly = watch;
    this.key = `${team ?? ''}/${node}`;
    this.channel = null;
    this.socket = null;
    this.rfb = null;
    this.wanted = false;
    this.attaches = 0;
    this.guestClipboard = '';
    this.unsubscribe = [];
  }

  async open() {
    if (this.wanted) return;
    this.wanted = true;
    this.build();
    this.unsubscribe.push(
      this.conn.onBinary((frame) => {
        if (this.socket && frame[0] === this.channel) this.socket.deliver(frame.subarray(1));
      }),
      this.conn.on('display.closed', (msg) => {
        if (msg.channel !== this.channel) return;
        this.detach(t('display.closed', { reason: msg.reason || '' }));
        this.conn.request('display.close', { channel: msg.channel }).catch(() => {});
        this.scheduleReattach();
      }),
      this.conn.on('welcome', () => {
        /* A new connection: the old channel is gone. */
        if (!this.wanted) return;
        this.detach(t('display.reopening'));
        this.attach();
      })
    );
    openDisplays.set(this.key, this);
    await this.attach();
  }

  build() {
    this.status = el('p', { class: 'display-status', dataset: { test: 'display-status' }, role: 'status' });
    this.screen = el('div', {
      class: 'display-screen',
      dataset: { test: 'display-screen', node: this.node },
      'aria-label': t('display.label', { node: this.node })
    });
    const cad = el(
      'button',
      { type: 'button', dataset: { test: 'display-cad' }, onclick: () => this.ctrlAltDel() },
      t('display.cad')
    );
    const fit = el('input', { type: 'checkbox', checked: true, dataset: { test: 'display-fit' } });
    fit.onchange = () => {
      this.scale = fit.checked;
      if (this.rfb) this.rfb.scaleViewport = fit.checked;
    };
    this.scale = true;
    const resize = el('input', { type: 'checkbox', dataset: { test: 'display-resize' } });
    resize.onchange = () => {
      this.resize = resize.checked;
      if (this.rfb) this.rfb.resizeSession = resize.checked;
    };
    this.resize = false;
    this.watchToggle = this.canWatch
      ? el(
          'button',
          { type: 'button', dataset: { test: 'display-control' }, onclick: () => this.setViewOnly(!this.viewOnly) },
          t('display.take')
        )
      : null;
    this.clip = el('textarea', {
      rows: 2,
      maxlength: CLIPBOARD_MAX,
      dataset: { test: 'display-clipboard' },
      'aria-label': t('display.clipboard')
    });
    const paste = el(
      'button',
      { type: 'button', dataset: { test: 'display-paste' }, onclick: () => this.paste(this.clip.value) },
      t('display.paste')
    );
    this.toolbar = el(
      'div',
      { class: 'display-toolbar' },
      cad,
      el('label', {}, fit, ` ${t('display.fit')}`),
      el('label', {}, resize, ` ${t('display.resize')}`),
      this.watchToggle
    );
    this.clipRow = el('div', { class: 'display-clipboard' }, el('label', {}, t('display.clipboard')), this.clip, paste);
    this.host.replaceChildren(this.toolbar, this.status, this.screen, this.clipRow);
    this.updateControls();
  }

  updateControls() {
    const watching = this.viewOnly;
    for (const b of this.toolbar.querySelectorAll('button[data-test=display-cad]')) b.disabled = watching;
    this.clipRow.querySelector('button').disabled = watching;
    if (this.watchToggle) {
      this.watchToggle.textContent = watching ? t('display.take') : t('display.watch');
      this.watchToggle.setAttribute('aria-pressed', String(!watching));
    }
    this.host.dataset.viewOnly = String(watching);
  }

  async attach() {
    if (this.attaching || this.channel !== null) return;
    this.attaching = true;
    try {
      const RFB = await loadNoVNC();
      if (!this.wanted) return;
      const fields = { node: this.node, view_only: this.viewOnly };
      if (this.team != null) fields.team = this.team;
      const reply = await this.conn.request('display.open', fields);
      if (!this.wanted) {
        this.conn.send('display.close', { channel: reply.channel });
        return;
      }
      this.channel = reply.channel;
      this.viewOnly = reply.view_only;
      this.attaches++;
      this.reattachDelay = 0;
      this.host.dataset.channel = String(reply.channel);
      this.socket = new ChannelSocket(this.conn, reply.channel);
      this.screen.replaceChildren();
      this.rfb = new RFB(this.screen, this.socket, { shared: true });
      this.rfb.viewOnly = this.viewOnly;
      this.rfb.scaleViewport = this.scale;
      this.rfb.resizeSession = this.resize;
      this.rfb.focusOnClick = true;
      this.rfb.addEventListener('connect', () => {
        this.setStatus(t('display.connected', { node: this.node }));
        this.host.dataset.connected = 'true';
      });
      this.rfb.addEventListener('disconnect', () => {
        this.host.dataset.connected = 'false';
      });
      this.rfb.addEventListener('clipboard', (e) => {
        this.guestClipboard = e.detail.text;
        this.clip.value = e.detail.text.slice(0, CLIPBOARD_MAX);
      });
      this.updateControls();
    } catch (err) {
      if (err.code !== 'disconnected') this.setStatus(t('display.closed', { reason: err.message }));
      if (err.code === 'unavailable' || err.code === 'rate_limited') this.scheduleReattach();
    } finally {
      this.attaching = false;
    }
  }

  /* The channel is gone: noVNC stops (its socket closes), the screen stays
   * as it was until the next attach. */
  detach(note) {
    const socket = this.socket;
    this.socket = null;
    this.channel = null;
    this.rfb = null;
    if (socket) socket.ended(note);
    this.host.dataset.connected = 'false';
    delete this.host.dataset.channel;
    if (note) this.setStatus(note);
  }

  scheduleReattach() {
    if (!this.wanted || this.reattachTimer) return;
    this.reattachDelay = Math.min(this.reattachDelay ? this.reattachDelay * 2 : REATTACH_FIRST_MS, REATTACH_MAX_MS);
    this.reattachTimer = setTimeout(() => {
      this.reattachTimer = null;
      if (this.wanted && this.channel === null) {
        this.setStatus(t('display.reopening'));
        this.attach();
      }
    }, this.reattachDelay);
  }

  setStatus(text) {
    if (this.status) this.status.textContent = text;
  }

  /* Watching and taking part are different viewers on the server (a
   * watcher's input is never forwarded): switching opens the screen again. */
  async setViewOnly(on) {
    this.viewOnly = on;
    this.updateControls();
    if (this.channel !== null) {
      const socket = this.socket;
      this.detach(null);
      if (socket) this.conn.request('display.close', { channel: socket.channel }).catch(() => {});
    }
    await this.attach();
  }

  async ctrlAltDel() {
    if (!this.rfb || this.viewOnly) return;
    const ok = await confirmDialog({
      title: t('display.cad.confirm.title', { node: this.node }),
      text: t('display.cad.confirm.text'),
      ok: t('display.cad')
    });
    if (ok && this.rfb) this.rfb.sendCtrlAltDel();
  }

  paste(text) {
    if (!this.rfb || this.viewOnly || !text) return;
    this.rfb.clipboardPasteFrom(text.slice(0, CLIPBOARD_MAX));
    this.rfb.focus();
  }

  close() {
    this.wanted = false;
    const socket = this.socket;
    if (this.rfb) this.rfb.disconnect(); /* closes the socket: display.close */
    else if (socket) socket.close();
    this.socket = null;
    this.rfb = null;
    this.channel = null;
    for (const off of this.unsubscribe) off();
    this.unsubscribe = [];
    clearTimeout(this.reattachTimer);
    this.reattachTimer = null;
    openDisplays.delete(this.key);
    this.host.replaceChildren();
  }
}
