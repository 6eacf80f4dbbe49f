/*
 * Starts console_fixture (the consoles' hub over fake actions, no guests):
 * a state directory of its own with the instructor's password set, the
 * fixture on a scenario of this folder for N teams on a free loopback port.
 * Resolves once it printed its address and every team's join code, with
 * { child, stateDir, codes, url, out, err }.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HERE, TOP, PASSWORD, enshuBinary } from './lib.mjs';

/* yaml: a file of this folder; options: { teams (default 2), roster (a
 * file of this folder), prefix (of the state directory's name) }. */
export function startConsoleFixture(yaml, { teams = 2, roster = null, prefix = 'fixture' } = {}) {
  const bin = process.env.ENSHU_CONSOLE_FIXTURE;
  assert.ok(bin, 'set ENSHU_CONSOLE_FIXTURE to the console_fixture binary');
  const stateDir = mkdtempSync(join(tmpdir(), `enshu-${prefix}-`));
  const env = { ...process.env, ENSHU_STATE_DIR: stateDir };
  const pw = spawnSync(enshuBinary(), ['passwd'], { input: `${PASSWORD}\n`, env, encoding: 'utf8' });
  assert.ifError(pw.error);
  assert.equal(pw.status, 0, `enshu passwd failed: ${pw.stderr}`);
  const args = [...(roster ? ['--roster', join(HERE, roster)] : []), join(HERE, yaml), String(teams), '127.0.0.1:0', join(TOP, 'web')];
  const child = spawn(bin, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
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
      if (f.url && Object.keys(f.codes).length === teams) resolve(f);
    });
    child.on('exit', (code) => reject(new Error(`console_fixture exited (${code})\n${f.out}\n${f.err}`)));
  });
}

/* Stops the fixture (SIGTERM), removes its state directory, and asserts
 * that it exited cleanly, with no sanitizer report. */
export async function stopConsoleFixture(f) {
  const exited = f.child.exitCode === null ? new Promise((r) => f.child.on('exit', r)) : null;
  f.child.kill('SIGTERM');
  await exited;
  rmSync(f.stateDir, { recursive: true, force: true });
  assert.doesNotMatch(f.err, /Sanitizer|runtime error/, f.err);
  assert.equal(f.child.exitCode, 0, f.err);
}
