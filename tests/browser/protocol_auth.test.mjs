/*
 * Authorization of the console protocol, checked over plain websockets on a
 * real range of two teams: before hello every request gets `not_joined`; a
 * wrong code or password gets `bad_login`; a team member gets `forbidden`
 * for every instructor request and for every request that names the other
 * team, cannot reach the other team's console channels, and never receives
 * anything of the other team; the same requests succeed for the team itself
 * and for an instructor, so the refusals are not the server refusing
 * everything. Logins give a session token that a reconnect uses instead of
 * the code or password; a rotated code and a removed member's token are
 * refused.
 */

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { HERE, PASSWORD, ProtocolClient, requirePlatform, startRange, stopRange } from './lib.mjs';

/* Every request type of web/PROTOCOL.md with well-formed fields. */
const TEAM_REQUESTS = {
  lang: { lang: 'ja' },
  answer: { objective: 'which-host', text: 'nothing' },
  report: { objective: 'incident-report', text: 'a report', attachment: { name: 'a.txt', data: 'YQ==' } },
  hint: { objective: 'which-host', index: 0 },
  attachment: { inject: 'notice' },
  'request.ask': { request: 'reimage' },
  timeline: {},
  nodes: {},
  'console.open': { node: 'ws' },
  'console.input': { channel: 1, data: 'echo hi\r' },
  'console.pause': { channel: 1 },
  'console.resume': { channel: 1 },
  'console.close': { channel: 1 }
};
const INSTRUCTOR_REQUESTS = {
  'exercise.start': {},
  'exercise.pause': {},
  'exercise.resume': {},
  'exercise.end': {},
  'exercise.speed': { speed: 2 },
  'inject.release': { inject: 'notice', team: 2 },
  'inject.skip': { inject: 'notice', team: 2 },
  'inject.hold': { inject: 'notice', team: 2, held: true },
  timeline: { team: 2 },
  scoreboard: {},
  grade: { team: 2, objective: 'incident-report', item: 0, points: 5 },
  broadcast: { text: 'hello from a trainee', team: 0 },
  nodes: { team: 0 },
  'node.restart': { team: 2, node: 'ws' },
  'node.revert': { team: 2, node: 'ws' },
  'console.open': { node: 'ws', team: 2 },
  'code.rotate': { team: 2 },
  members: {},
  'member.remove': { team: 2, name: 'Bob' },
  'request.decide': { team: 2, request: 'reimage', approve: true },
  events: { team: 2, kinds: ['answer'], limit: 10 },
  overview: {},
  after_action: { format: 'csv' }
};
/* The team requests that may name a team: naming the other one is refused. */
const NAMING_TEAM_B = ['answer', 'report', 'hint', 'attachment', 'request.ask', 'timeline', 'nodes', 'console.open'];
/* Requests only instructors may make, whatever their fields. */
const INSTRUCTOR_ONLY = [
  'exercise.start',
  'exercise.pause',
  'exercise.resume',
  'exercise.end',
  'exercise.speed',
  'inject.release',
  'inject.skip',
  'inject.hold',
  'scoreboard',
  'grade',
  'broadcast',
  'node.restart',
  'node.revert',
  'code.rotate',
  'members',
  'member.remove',
  'request.decide',
  'events',
  'overview',
  'after_action'
];

let range;
const clients = [];

async function connect() {
  const c = await ProtocolClient.connect(range.wsUrl);
  clients.push(c);
  return c;
}

async function join_(role, fields) {
  const c = await connect();
  const welcome = await c.request('hello', { version: 1, role, since: 0, ...fields });
  assert.equal(welcome.type, 'welcome', `hello as ${role} failed: ${JSON.stringify(welcome)}`);
  c.welcome = welcome;
  return c;
}

function assertError(reply, code, what) {
  assert.equal(reply.type, 'error', `${what}: expected error ${code}, got ${JSON.stringify(reply)}`);
  assert.equal(reply.code, code, `${what}: expected ${code}, got ${JSON.stringify(reply)}`);
}

before(async () => {
  requirePlatform();
  range = await startRange({ name: 'brwauth', scenario: join(HERE, 'consoles.yaml'), teams: 2 });
});

after(async () => {
  for (const c of clients) c.close();
  await stopRange(range);
});

test('before hello every request type gets not_joined', async () => {
  const c = await connect();
  const all = { ...TEAM_REQUESTS, ...INSTRUCTOR_REQUESTS };
  for (const [type, fields] of Object.entries(all)) {
    assertError(await c.request(type, fields), 'not_joined', type);
  }
  const unknown = await c.request('no.such.type');
  assert.equal(unknown.type, 'error');
  assert.ok(['unknown_type', 'not_joined'].includes(unknown.code), JSON.stringify(unknown));
  c.close();
});

test('a wrong join code or password gets bad_login', async () => {
  const c = await connect();
  assertError(await c.request('hello', { version: 1, role: 'team', code: 'ZZZZ-ZZZZ', name: 'Mallory', since: 0 }), 'bad_login', 'wrong code');
  assertError(await c.request('hello', { version: 1, role: 'instructor', password: 'not the password', since: 0 }), 'bad_login', 'wrong password');
  /* Still not joined after the failures. */
  assertError(await c.request('timeline'), 'not_joined', 'timeline after failed logins');
  c.close();
});

test('a team member gets forbidden for every instructor request', async () => {
  const a = await join_('team', { code: range.codes[1], name: 'Alice' });
  for (const type of INSTRUCTOR_ONLY) {
    assertError(await a.request(type, INSTRUCTOR_REQUESTS[type]), 'forbidden', `team 1: ${type}`);
  }
  /* An instructor's form of a shared request names team 2: refused too. */
  assertError(await a.request('timeline', { team: 2 }), 'forbidden', 'team 1: timeline of team 2');
  /* "Every team" from a team member means its own team only. */
  const all = await a.request('nodes', { team: 0 });
  if (all.type === 'nodes') assert.deepEqual([...new Set(all.nodes.map((n) => n.team))], [1], 'team 1 read other teams\' nodes');
  else assertError(all, 'forbidden', 'team 1: nodes of every team');
  assertError(await a.request('console.open', { node: 'ws', team: 2 }), 'forbidden', "team 1: team 2's console");
  a.close();
});

test("a team member gets forbidden for every request naming the other team", async () => {
  const a = await join_('team', { code: range.codes[1], name: 'Alice' });
  for (const type of NAMING_TEAM_B) {
    assertError(await a.request(type, { ...TEAM_REQUESTS[type], team: 2 }), 'forbidden', `team 1: ${type} for team 2`);
  }
  a.close();
});

test('the same requests succeed for the team itself and for an instructor', async () => {
  const a = await join_('team', { code: range.codes[1], name: 'Alice' });
  assert.equal(a.welcome.team, 1);
  const tl = await a.request('timeline', {});
  assert.equal(tl.type, 'timeline', JSON.stringify(tl));
  assert.ok(!('injects' in tl), 'a team must not see the inject timeline');
  const nodes = await a.request('nodes', {});
  assert.equal(nodes.type, 'nodes');
  assert.deepEqual(
    nodes.nodes.map((n) => [n.team, n.name]),
    [[1, 'ws']],
    'team 1 sees its own nodes only'
  );
  const own = await a.request('timeline', { team: 1 });
  assert.equal(own.type, 'timeline', 'naming its own team is allowed');

  const i = await join_('instructor', { password: PASSWORD });
  const itl = await i.request('timeline', { team: 2 });
  assert.equal(itl.type, 'timeline');
  assert.ok(itl.injects.some((x) => x.id === 'notice' && x.state === 'pending' && x.why), JSON.stringify(itl.injects));
  const board = await i.request('scoreboard');
  assert.equal(board.type, 'scoreboard');
  assert.deepEqual(board.teams.map((x) => x.team), [1, 2]);
  a.close();
  i.close();
});

test("team 1 cannot reach team 2's console channel, and its own console works", async () => {
  const b = await join_('team', { code: range.codes[2], name: 'Bob' });
  const bc = await b.request('console.open', { node: 'ws' });
  assert.equal(bc.type, 'console', JSON.stringify(bc));
  assert.equal(bc.team, 2);

  const a = await join_('team', { code: range.codes[1], name: 'Alice' });
  /* Channels belong to a session: team 1's session has none of team 2's. */
  for (const type of ['console.input', 'console.pause', 'console.resume', 'console.close']) {
    const reply = await a.request(type, { ...TEAM_REQUESTS[type], channel: bc.channel });
    assertError(reply, 'not_found', `team 1: ${type} on team 2's channel`);
  }
  const ac = await a.request('console.open', { node: 'ws' });
  assert.equal(ac.type, 'console', JSON.stringify(ac));
  assert.equal(ac.team, 1);
  a.send({ type: 'console.input', channel: ac.channel, data: '\recho team1-$((20+1))\r' });
  await a.waitFor(() => a.consoleText(ac.channel).includes('team1-21'), "team 1's console output", 90000);
  assert.ok(!b.consoleText(bc.channel).includes('team1-21'), "team 1's typing reached team 2's guest");
  a.close();
  b.close();
});

test("a team never receives the other team's events", async () => {
  const a = await join_('team', { code: range.codes[1], name: 'Alice' });
  const b = await join_('team', { code: range.codes[2], name: 'Bob' });
  const i = await join_('instructor', { password: PASSWORD });
  if (i.welcome.exercise.phase === 'ready') {
    assert.equal((await i.request('exercise.start')).type, 'ok');
  }
  /* Team 2 acts and gets a message; then team 1 answers. The hub fans
   * events out in ledger order, so by the time team 1 sees its own answer
   * it would have seen team 2's events, were they sent to it. */
  assert.equal((await b.request('answer', { objective: 'which-host', text: 'team2-guess' })).type, 'ok');
  assert.equal((await b.request('report', { objective: 'incident-report', text: 'team2 report' })).type, 'ok');
  assert.equal((await i.request('inject.release', { inject: 'notice', team: 2 })).type, 'ok');
  assert.equal((await i.request('broadcast', { text: 'only for team 2', team: 2 })).type, 'ok');
  await b.waitFor(() => b.messages.some((m) => m.type === 'inbox' && m.inject === 'notice'), "team 2's inbox message");
  await b.waitFor(() => b.messages.some((m) => m.type === 'message' && m.text === 'only for team 2'), "team 2's broadcast");
  assert.equal((await a.request('answer', { objective: 'which-host', text: 'team1-guess' })).type, 'ok');
  await a.waitFor(() => a.messages.some((m) => m.type === 'answer' && m.text === 'team1-guess'), "team 1's own answer");

  const leaked = a.messages.filter((m) => (m.team != null && m.team !== 1 && m.team !== 0) || JSON.stringify(m).includes('team2'));
  assert.deepEqual(leaked, [], 'team 1 received team 2 events');
  assert.ok(!a.messages.some((m) => m.type === 'event'), 'a team received raw events');
  /* The attachment of an inject that did not fire for team 1 stays hidden. */
  assertError(await a.request('attachment', { inject: 'notice' }), 'not_found', "team 1: attachment of an inject it did not get");
  /* Team 2 itself sees all of it; the instructor too. */
  assert.ok(b.messages.some((m) => m.type === 'answer' && m.text === 'team2-guess'));
  await i.waitFor(() => i.messages.some((m) => m.type === 'answer' && m.team === 2), "the instructor's copy of team 2's answer");
  a.close();
  b.close();
  i.close();
});

test('a token reconnects; a rotated code and a removed member are refused', async () => {
  const b = await join_('team', { code: range.codes[2], name: 'Bob' });
  assert.equal(typeof b.welcome.token, 'string');
  const again = await connect();
  const w = await again.request('hello', { version: 1, token: b.welcome.token, since: 0 });
  assert.equal(w.type, 'welcome', JSON.stringify(w));
  assert.equal(w.team, 2);
  assert.equal(w.name, 'Bob');
  const i = await join_('instructor', { password: PASSWORD });
  /* range.codes follows what enshu run prints, the new code included. */
  const oldCode = range.codes[2];
  const rotated = await i.request('code.rotate', { team: 2 });
  assert.equal(rotated.type, 'ok', JSON.stringify(rotated));
  const late = await connect();
  assertError(await late.request('hello', { version: 1, role: 'team', code: oldCode, name: 'Carol', since: 0 }), 'bad_login', 'the old code');
  assert.equal(range.codes[2], rotated.code, 'enshu run printed the new code');
  const carol = await join_('team', { code: range.codes[2], name: 'Carol' });
  assert.equal(carol.welcome.team, 2);
  const removed = await i.request('member.remove', { team: 2, name: 'Bob' });
  assert.equal(removed.type, 'ok', JSON.stringify(removed));
  assert.equal(removed.sessions, 2);
  const back = await connect();
  assertError(await back.request('hello', { version: 1, token: b.welcome.token, since: 0 }), 'bad_login', "a removed member's token");
  for (const c of [back, carol, late, again, b, i]) c.close();
});
