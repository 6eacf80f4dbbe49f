/*
 * The one websocket client both consoles use (protocol: web/PROTOCOL.md).
 *
 * - Joins with `hello`, whose `since` is the highest `seq` of the event
 *   messages seen so far. Event messages (those with a `seq` that are not a
 *   reply) are remembered, with that seq, in sessionStorage: a reload shows
 *   them again from there, and the server sends only what came after. A
 *   message whose seq is not above the highest seen is a duplicate and is
 *   dropped, so nothing shows twice however the connection came back.
 * - Reconnects by itself after any close, with exponential backoff and
 *   jitter, with the session token the join page got (never the code or
 *   the password); a token refused (expired, logged out, the member
 *   removed) ends the session instead.
 * - Requests get an id and a promise of their reply: `ok` or a typed reply
 *   resolves it, `error` rejects it with a ProtocolError. Requests made while
 *   disconnected wait for the next welcome.
 * - Outgoing messages are paced below the server's limit of 50 a second.
 * - Binary frames (serial console and screen output) go to onBinary
 *   listeners whole. sendBinary sends a screen's bytes on its channel, paced
 *   below the server's limit of 200 binary messages a second: bytes of one
 *   channel that wait are sent together as one frame (a screen's bytes are a
 *   stream, so joining them changes nothing).
 *
 * Listeners: on(type, fn) for a message type, and the pseudo-types
 * 'welcome' (every welcome, also after a reconnect), 'state' (connection
 * state changes: {state, retryMs, error}), 'reset' (the stored messages were
 * dropped: a console rebuilds from what follows) and '*' (every message).
 */

const PROTOCOL = 'enshu.v1';
const MAX_PER_SECOND = 40; /* under the server's 50, leaving room for replies to race */
const MAX_BINARY_PER_SECOND = 160; /* under the server's 200 */
const BINARY_JOIN_MAX = 32 * 1024;
const BACKOFF_FIRST_MS = 500;
const BACKOFF_MAX_MS = 15000;
const LOG_LIMIT_CHARS = 2_000_000; /* beyond this the log is not kept across reloads */
const SAVE_DELAY_MS = 250;

export class ProtocolError extends Error {
  constructor(reply) {
    super(reply.message || reply.code);
    this.code = reply.code;
    this.field = reply.field;
    this.retryMs = reply.retry_ms;
    this.reply = reply;
  }
}

/* The websocket address of the server that served this page. */
export function socketUrl() {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  return `${scheme}://${location.host}/ws`;
}

/* One hello on a fresh socket, for the join page to check a login before
 * it opens a console: resolves with the welcome, rejects with a
 * ProtocolError (bad_login, rate_limited, ...) or a plain Error when the
 * server cannot be reached. */
export function tryHello(hello, url = socketUrl(), timeoutMs = 10000) {
  return new Promise((resolve, reject) => {
    let ws;
    try {
      ws = new WebSocket(url, PROTOCOL);
    } catch (e) {
      reject(e);
      return;
    }
    const timer = setTimeout(() => {
      ws.close();
      reject(new Error('timeout'));
    }, timeoutMs);
    const finish = (fn, value) => {
      clearTimeout(timer);
      ws.onclose = null;
      ws.close(1000);
      fn(value);
    };
    ws.onopen = () => ws.send(JSON.stringify({ ...hello, type: 'hello', version: 1, id: 1, since: 0 }));
    ws.onmessage = (ev) => {
      if (typeof ev.data !== 'string') return;
      let msg;
      try {
        msg = JSON.parse(ev.data);
      } catch {
        return;
      }
      if (msg.id !== 1) return;
      if (msg.type === 'error') finish(reject, new ProtocolError(msg));
      else finish(resolve, msg);
    };
    ws.onclose = () => {
      clearTimeout(timer);
      reject(new Error('closed'));
    };
  });
}

export class Connection {
  /*
   * options:
   *   hello():  the hello fields (token, lang), read at
   *             every (re)connect so a language change carries over
   *   storageKey: where the seen messages are kept (one login, one key)
   *   keep(msg): which event messages are stored across reloads (default all)
   *   collapse(msg): a key under which only the latest message is stored
   *             (e.g. a team's score), or null to keep every one
   *   url: the websocket address (default: this page's server)
   */
  constructor({ hello, storageKey, keep = () => true, collapse = () => null, url = socketUrl() }) {
    this.helloFields = hello;
    this.storageKey = storageKey;
    this.keep = keep;
    this.collapse = collapse;
    this.url = url;
    this.ws = null;
    this.state = 'idle';
    this.welcome = null;
    this.listeners = new Map();
    this.binaryListeners = new Set();
    this.pending = new Map(); /* id -> {resolve, reject, msg} */
    this.waiting = []; /* requests made before the welcome */
    this.outbox = []; /* paced sends */
    this.sentTimes = [];
    this.pumpTimer = null;
    this.binaryOutbox = []; /* [{channel, parts}] waiting for the pace */
    this.binaryTimes = [];
    this.binaryTimer = null;
    this.nextId = 1;
    this.helloId = null;
    this.backoff = BACKOFF_FIRST_MS;
    this.retryTimer = null;
    this.saveTimer = null;
    this.stopped = false;
    this.persist = true;
    this.lastSeq = 0;
    this.typesAtLastSeq = new Set();
    this.log = [];
    this.restore();
    addEventListener('pagehide', () => this.save());
  }

  /* ---- listeners ---- */

  on(type, fn) {
    if (!this.listeners.has(type)) this.listeners.set(type, new Set());
    this.listeners.get(type).add(fn);
    return () => this.listeners.get(type).delete(fn);
  }

  onBinary(fn) {
    this.binaryListeners.add(fn);
    return () => this.binaryListeners.delete(fn);
  }

  emit(type, payload) {
    for (const fn of [...(this.listeners.get(type) || [])]) {
      try {
        fn(payload);
      } catch (e) {
        console.error(`enshu: a listener of '${type}' failed`, e);
      }
    }
  }

  dispatch(msg) {
    this.emit(msg.type, msg);
    this.emit('*', msg);
  }

  setState(state, extra = {}) {
    this.state = state;
    this.emit('state', { state, ...extra });
  }

  /* ---- the stored messages ---- */

  restore() {
    try {
      const raw = sessionStorage.getItem(this.storageKey);
      if (!raw) return;
      const saved = JSON.parse(raw);
      if (Array.isArray(saved.log) && Number.isFinite(saved.seq)) {
        this.log = saved.log;
        this.lastSeq = saved.seq;
        this.exerciseId = saved.exercise;
      }
    } catch {
      this.log = [];
      this.lastSeq = 0;
    }
  }

  save() {
    clearTimeout(this.saveTimer);
    this.saveTimer = null;
    if (!this.persist) return;
    try {
      const raw = JSON.stringify({ seq: this.lastSeq, exercise: this.exerciseId, log: this.log });
      if (raw.length > LOG_LIMIT_CHARS) throw new Error('too large');
      sessionStorage.setItem(this.storageKey, raw);
    } catch {
      /* Too much to keep: a reload then starts from seq 0 and the server
       * sends everything again, which is slower but complete. */
      this.persist = false;
      try {
        sessionStorage.removeItem(this.storageKey);
      } catch {
        /* nothing stored anyway */
      }
    }
  }

  scheduleSave() {
    if (!this.saveTimer) this.saveTimer = setTimeout(() => this.save(), SAVE_DELAY_MS);
  }

  remember(msg) {
    if (!this.keep(msg)) return;
    const key = this.collapse(msg);
    if (key != null) {
      const i = this.log.findIndex((m) => this.collapse(m) === key);
      if (i >= 0) this.log.splice(i, 1);
    }
    this.log.push(msg);
    this.scheduleSave();
  }

  /* The stored messages, oldest first, to rebuild a console after a reload. */
  stored() {
    return this.log.slice();
  }

  /* Forgets every stored message and joins again from seq 0 (a language
   * change: the server then sends every text again in the new language). */
  resync() {
    this.log = [];
    this.lastSeq = 0;
    this.typesAtLastSeq.clear();
    this.persist = true;
    this.save();
    this.emit('reset');
    if (this.ws) {
      this.resyncing = true;
      this.ws.close(1000, 'resync');
    } else if (!this.stopped && this.state !== 'idle') {
      clearTimeout(this.retryTimer);
      this.connect();
    }
  }

  /* Forgets everything stored for this login (on leaving). */
  forget() {
    this.log = [];
    this.lastSeq = 0;
    clearTimeout(this.saveTimer);
    this.saveTimer = null;
    try {
      sessionStorage.removeItem(this.storageKey);
    } catch {
      /* nothing stored */
    }
  }

  /* ---- the socket ---- */

  start() {
    this.stopped = false;
    for (const msg of this.log) this.dispatch(msg);
    this.connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    if (this.ws) this.ws.close(1000, 'leaving');
    this.save();
  }

  connect() {
    if (this.stopped) return;
    this.setState('connecting');
    let ws;
    try {
      ws = new WebSocket(this.url, PROTOCOL);
    } catch (e) {
      this.scheduleReconnect();
      return;
    }
    ws.binaryType = 'arraybuffer';
    this.ws = ws;
    ws.onopen = () => {
      this.helloId = this.nextId++;
      this.sendNow({
        ...this.helloFields(),
        type: 'hello',
        version: 1,
        id: this.helloId,
        since: this.lastSeq
      });
    };
    ws.onmessage = (ev) => {
      if (ws !== this.ws) return;
      if (typeof ev.data !== 'string') {
        for (const fn of [...this.binaryListeners]) fn(new Uint8Array(ev.data));
        return;
      }
      let msg;
      try {
        msg = JSON.parse(ev.data);
      } catch {
        console.error('enshu: the server sent a frame that is not JSON');
        return;
      }
      this.receive(msg);
    };
    ws.onclose = (ev) => {
      if (ws !== this.ws) return;
      this.ws = null;
      this.welcome = null;
      clearTimeout(this.pumpTimer);
      this.pumpTimer = null;
      this.outbox = [];
      this.binaryOutbox = [];
      /* A request never sent waits for the next welcome; one sent whose
       * reply did not come may or may not have been done: its caller is told. */
      for (const [, p] of this.pending) {
        if (p.sent)
          p.reject(new ProtocolError({ code: 'disconnected', message: `connection closed (${ev.code})` }));
        else this.waiting.push(p);
      }
      this.pending.clear();
      if (this.state !== 'failed') this.scheduleReconnect(ev);
    };
  }

  scheduleReconnect(ev) {
    if (this.stopped) return;
    /* A resync reconnects at once; anything else backs off. */
    let delay = 0;
    if (this.resyncing) this.resyncing = false;
    else {
      delay = Math.min(this.backoff, BACKOFF_MAX_MS) * (0.75 + Math.random() * 0.5);
      this.backoff = Math.min(this.backoff * 2, BACKOFF_MAX_MS);
    }
    this.setState('reconnecting', { retryMs: delay, reason: ev ? ev.reason : '' });
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  receive(msg) {
    if (msg.id != null && msg.id === this.helloId) {
      this.helloId = null;
      if (msg.type === 'error') {
        this.joinFailed(msg);
        return;
      }
      this.joined(msg);
      return;
    }
    if (msg.id != null && this.pending.has(msg.id)) {
      const p = this.pending.get(msg.id);
      this.pending.delete(msg.id);
      if (msg.type === 'error') p.reject(new ProtocolError(msg));
      else p.resolve(msg);
      return;
    }
    if (msg.id == null && typeof msg.seq === 'number') {
      /* One seq may give several messages (an answer and the score it
       * changed; after a hello, every team's score at the latest seq): a
       * duplicate is the same type for the same team again. */
      const kind = `${msg.type}/${msg.team ?? ''}`;
      if (msg.seq < this.lastSeq) return;
      if (msg.seq === this.lastSeq && this.typesAtLastSeq.has(kind)) return;
      if (msg.seq > this.lastSeq) this.typesAtLastSeq.clear();
      this.typesAtLastSeq.add(kind);
      this.lastSeq = msg.seq;
      this.remember(msg);
    }
    if (msg.type === 'welcome') this.welcome = msg; /* the reply to `lang` */
    this.dispatch(msg);
  }

  joined(welcome) {
    const exercise = welcome.exercise && welcome.exercise.id;
    /* The server's ledger is not the one our stored messages came from (a
     * new exercise under the same login): start again from nothing. */
    if (
      (this.exerciseId && exercise && this.exerciseId !== exercise) ||
      (typeof welcome.last_seq === 'number' && welcome.last_seq < this.lastSeq)
    ) {
      this.exerciseId = exercise;
      this.resync();
      return;
    }
    this.exerciseId = exercise;
    this.backoff = BACKOFF_FIRST_MS;
    this.welcome = welcome;
    this.setState('open');
    this.dispatch(welcome);
    this.emit('welcome', welcome);
    const waiting = this.waiting;
    this.waiting = [];
    for (const w of waiting) this.transmit(w);
  }

  joinFailed(err) {
    if (err.code === 'rate_limited') {
      const delay = Math.max(err.retry_ms || 0, 1000);
      this.setState('reconnecting', { retryMs: delay, error: err });
      if (this.ws) {
        const ws = this.ws;
        this.ws = null;
        ws.onclose = null;
        ws.close(1000);
      }
      clearTimeout(this.retryTimer);
      this.retryTimer = setTimeout(() => this.connect(), delay);
      return;
    }
    /* A refused token will not get better by retrying. */
    this.setState('failed', { error: err });
    if (this.ws) this.ws.close(1000);
  }

  /* ---- sending ---- */

  /* Sends a request; resolves with its reply, rejects with a ProtocolError. */
  request(type, fields = {}) {
    return new Promise((resolve, reject) => {
      const msg = { ...fields, type, id: this.nextId++ };
      const entry = { msg, resolve, reject };
      if (this.welcome && this.ws) this.transmit(entry);
      else this.waiting.push(entry);
    });
  }

  /* Sends a message that has no reply (console input, flow control); it
   * is dropped when not connected, as a console is reopened then anyway. */
  send(type, fields = {}) {
    if (!this.welcome || !this.ws) return false;
    this.queue({ ...fields, type });
    return true;
  }

  /* Sends bytes on a screen's channel (copied); dropped when not connected,
   * as a screen is opened again then anyway. */
  sendBinary(channel, bytes) {
    if (!this.welcome || !this.ws) return false;
    const last = this.binaryOutbox[this.binaryOutbox.length - 1];
    /* Joined frames stay far below the server's 64 KiB bound. */
    if (last && last.channel === channel && last.size + bytes.length <= BINARY_JOIN_MAX) {
      last.parts.push(bytes.slice());
      last.size += bytes.length;
    } else this.binaryOutbox.push({ channel, parts: [bytes.slice()], size: bytes.length });
    this.pumpBinary();
    return true;
  }

  pumpBinary() {
    if (this.binaryTimer) return;
    while (this.binaryOutbox.length) {
      const now = performance.now();
      while (this.binaryTimes.length && now - this.binaryTimes[0] >= 1000) this.binaryTimes.shift();
      if (this.binaryTimes.length >= MAX_BINARY_PER_SECOND) {
        this.binaryTimer = setTimeout(() => {
          this.binaryTimer = null;
          this.pumpBinary();
        }, 1000 - (now - this.binaryTimes[0]) + 1);
        return;
      }
      const { channel, parts } = this.binaryOutbox.shift();
      if (!this.ws || this.ws.readyState !== WebSocket.OPEN) continue;
      const size = parts.reduce((n, p) => n + p.length, 0);
      const frame = new Uint8Array(1 + size);
      frame[0] = channel;
      let off = 1;
      for (const p of parts) {
        frame.set(p, off);
        off += p.length;
      }
      this.binaryTimes.push(now);
      this.ws.send(frame);
    }
  }

  transmit(entry) {
    entry.sent = false;
    this.pending.set(entry.msg.id, entry);
    this.outbox.push(entry);
    this.pump();
  }

  queue(msg) {
    this.outbox.push({ msg });
    this.pump();
  }

  pump() {
    if (this.pumpTimer) return;
    while (this.outbox.length) {
      const now = performance.now();
      while (this.sentTimes.length && now - this.sentTimes[0] >= 1000) this.sentTimes.shift();
      if (this.sentTimes.length >= MAX_PER_SECOND) {
        this.pumpTimer = setTimeout(() => {
          this.pumpTimer = null;
          this.pump();
        }, 1000 - (now - this.sentTimes[0]) + 1);
        return;
      }
      const entry = this.outbox.shift();
      entry.sent = this.sendNow(entry.msg);
    }
  }

  sendNow(msg) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.sentTimes.push(performance.now());
    this.ws.send(JSON.stringify(msg));
    return true;
  }
}
